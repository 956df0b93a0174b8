// GET /api/stats: what the memory agent spent, grouped by day, project, session or model.
import { Hono } from 'hono';
import { z } from 'zod';
import { PriceTableError } from '../../agent/pricing.js';
import { usageStats } from '../../agent/usage.js';
import { parseQuery } from '../http.js';
import type { WorkerDeps } from '../WorkerDeps.js';

const statsQuery = z.object({
  by: z.enum(['day', 'project', 'session', 'model'], { error: 'must be day, project, session or model' }).default('day'),
  days: z.coerce.number({ error: 'must be a whole number from 1 to 366' }).int('must be a whole number from 1 to 366').min(1, 'must be a whole number from 1 to 366').max(366, 'must be a whole number from 1 to 366').default(30),
});

export function statsRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  app.get('/api/stats', async (c) => {
    const q = parseQuery(c, statsQuery);
    try {
      return c.json(await usageStats(deps.store, deps.settings(), q));
    } catch (err) {
      if (err instanceof PriceTableError) return c.json({ error: err.message }, 400);
      throw err;
    }
  });
  return app;
}
