// GET /api/stats: what the memory agent spent, grouped by day, project, session or model.
import { Hono } from 'hono';
import { PriceTableError } from '../../agent/pricing.js';
import { usageStats } from '../../agent/usage.js';
import { statsQuery } from '../../api/schemas.js';
import { parseQuery } from '../http.js';
import type { WorkerDeps } from '../WorkerDeps.js';

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
