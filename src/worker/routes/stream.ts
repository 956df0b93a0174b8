// GET /stream: server-sent events for the viewer's live feed.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WorkerDeps } from '../WorkerDeps.js';

const HEARTBEAT_MS = 15_000;

/**
 * Live streams open at once. Each holds a socket, a bus subscription and a queue; a page that
 * leaks EventSources (or a script that opens them in a loop) must not grow those without bound.
 * One viewer tab uses one stream, so this is far above normal use.
 */
export const MAX_SSE_STREAMS = 32;

export function streamRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  let open = 0;
  app.get('/stream', (c) => {
    if (open >= MAX_SSE_STREAMS) {
      c.header('Retry-After', '5');
      return c.json({ error: `too many live streams (${open} open, limit ${MAX_SSE_STREAMS}); close other viewer tabs and reload` }, 503);
    }
    open++;
    return streamSSE(c, async (stream) => {
      let unsubscribe = () => {};
      try {
        let id = 0;
        const queue: Array<{ event: string; data: unknown }> = [];
        let wake: (() => void) | null = null;
        unsubscribe = deps.bus.subscribe((event, data) => {
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
      } finally {
        unsubscribe();
        open--;
      }
    });
  });
  return app;
}
