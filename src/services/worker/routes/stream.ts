// GET /stream: server-sent events for the viewer's live feed.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WorkerDeps } from '../WorkerDeps.js';

const HEARTBEAT_MS = 15_000;

export function streamRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  app.get('/stream', (c) =>
    streamSSE(c, async (stream) => {
      let id = 0;
      const queue: Array<{ event: string; data: unknown }> = [];
      let wake: (() => void) | null = null;
      const unsubscribe = deps.bus.subscribe((event, data) => {
        queue.push({ event, data });
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ version: deps.version }), id: String(id++) });
      while (!stream.aborted) {
        while (queue.length) {
          const next = queue.shift()!;
          await stream.writeSSE({ event: next.event, data: JSON.stringify(next.data), id: String(id++) });
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, HEARTBEAT_MS);
        });
        wake = null;
        if (!queue.length && !stream.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      unsubscribe();
    }),
  );
  return app;
}
