// Memory you can trust: forget (DELETE /api/observations/:id, POST /api/forget), correct
// (PATCH /api/observations/:id) and supersede (POST /api/observations/:id/supersede).
import { Hono } from 'hono';
import { forgetBody, observationPatch, supersedeBody } from '../../api/schemas.js';
import { ForgetRequestError, forgetMemory } from '../../store/memoryService.js';
import { parseEdgeBody, routeId } from '../edge.js';
import type { WorkerDeps } from '../WorkerDeps.js';

export function memoryRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.delete('/api/observations/:id', async (c) => {
    const id = routeId(c, 'id', 'an observation id');
    const dryRun = c.req.query('dryRun') === 'true';
    const receipt = await forgetMemory(store, { ids: [id], dryRun });
    if (receipt.observations === 0) return c.json({ error: `observation ${id} not found` }, 404);
    return c.json(receipt);
  });

  app.post('/api/forget', async (c) => {
    const body = await parseEdgeBody(c, forgetBody);
    try {
      return c.json(await forgetMemory(store, body));
    } catch (err) {
      if (err instanceof ForgetRequestError) return c.json({ error: err.message }, 400);
      throw err;
    }
  });

  app.patch('/api/observations/:id', async (c) => {
    const id = routeId(c, 'id', 'an observation id');
    const patch = await parseEdgeBody(c, observationPatch);
    const row = await store.sessions.editObservation(id, patch);
    if (!row) return c.json({ error: `observation ${id} not found` }, 404);
    // The keyword index followed the row; its vector was dropped: embed it again now, not at the next poll.
    try {
      deps.embeddings?.reindex({ reset: false });
    } catch {
      // Vectors are off or unavailable: keyword search already has the correction.
    }
    return c.json(row);
  });

  app.post('/api/observations/:id/supersede', async (c) => {
    const id = routeId(c, 'id', 'an observation id');
    const { by } = await parseEdgeBody(c, supersedeBody);
    if (!(await store.sessions.supersede(id, by))) {
      const what = by === null ? `observation ${id} not found` : `observation ${id} cannot be superseded by ${by}: both must exist, differ, and share a project`;
      return c.json({ error: what }, by === null ? 404 : 400);
    }
    const [row] = await store.sessions.getObservations([id]);
    return c.json(row);
  });

  return app;
}
