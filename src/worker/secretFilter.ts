// Last line of defence for API answers: the exact values of the configured credentials (registered
// with lib/redact.ts when .env, settings and the worker token are read) are removed from every JSON
// and text answer, whatever route produced it — a backend error echoing the key in /api/health,
// a memory captured before the key was configured, a log line served by /api/logs.
import type { MiddlewareHandler } from 'hono';
import { knownSecretCount, redactKnownSecrets } from '../lib/redact.js';

const FILTERED_TYPES = /^(?:application\/json|text\/plain)\b/i;

export function secretFilter(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (knownSecretCount() === 0) return;
    const type = c.res.headers.get('Content-Type') ?? '';
    // Server-sent events are a long-lived stream; their payloads come from already-redacted data.
    if (!FILTERED_TYPES.test(type) || !c.res.body) return;
    const text = await c.res.clone().text();
    const clean = redactKnownSecrets(text);
    if (clean === text) return;
    const headers = new Headers(c.res.headers);
    headers.delete('Content-Length');
    c.res = new Response(clean, { status: c.res.status, statusText: c.res.statusText, headers });
  };
}
