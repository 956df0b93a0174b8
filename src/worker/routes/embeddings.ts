// Vector index control: `POST /api/embeddings/reindex {reset?: boolean}` starts a backfill (202)
// and answers with the indexing status; progress is then read from /api/health (`embeddings`).
import { Hono } from 'hono';
import { EmbeddingsRequestError } from '../../embeddings/EmbeddingService.js';
import { reindexBody } from '../../api/schemas.js';
import { parseJsonBody } from '../http.js';
import type { WorkerDeps } from '../WorkerDeps.js';

export function embeddingRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();

  app.get('/api/embeddings', (c) => c.json(deps.embeddings?.status() ?? { mode: 'none', state: 'off' }));

  app.post('/api/embeddings/reindex', async (c) => {
    const body = await parseJsonBody(c, reindexBody);
    if (!deps.embeddings) return c.json({ error: 'vector search is not available in this worker' }, 400);
    try {
      return c.json(deps.embeddings.reindex({ reset: body.reset }), 202);
    } catch (err) {
      if (err instanceof EmbeddingsRequestError) return c.json({ error: err.message }, err.status);
      throw err;
    }
  });

  return app;
}
