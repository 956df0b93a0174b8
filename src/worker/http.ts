// Shared HTTP plumbing for the routes: validation that names the field, loopback guards.
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';

/** Describes zod issues as "field: problem" so the client can fix its request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export function badRequest(message: string): never {
  throw new HTTPException(400, { message });
}

export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    badRequest('body: must be a JSON object (Content-Type: application/json)');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) badRequest(describeIssues(parsed.error));
  return parsed.data;
}

export function parseQuery<T>(c: Context, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) badRequest(describeIssues(parsed.error));
  return parsed.data;
}

const LOCAL_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0].toLowerCase();
}

/**
 * Refuses requests whose Host or Origin is not loopback: a web page on another origin (or a
 * DNS-rebound name) must not read or write memory. Requests without Origin (curl, hooks) pass.
 */
export function loopbackGuard(extraHosts: string[] = []): MiddlewareHandler {
  const allowed = new Set([...LOCAL_HOSTNAMES, ...extraHosts.map((h) => h.toLowerCase())]);
  return async (c, next) => {
    const host = c.req.header('host');
    if (host && !allowed.has(hostnameOf(host))) {
      return c.json({ error: `Host '${host}' is not allowed: the worker only answers loopback requests` }, 403);
    }
    const origin = c.req.header('origin');
    if (origin && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).hostname;
      } catch {
        /* unparsable origin: refused below */
      }
      if (!allowed.has(originHost) && !allowed.has(`[${originHost}]`)) {
        return c.json({ error: `Origin '${origin}' is not allowed` }, 403);
      }
    } else if (origin === 'null') {
      return c.json({ error: `Origin 'null' is not allowed` }, 403);
    }
    await next();
  };
}
