// Request parsing at the edge for the routes that take identifiers: the raw bytes and percent-
// encodings are checked before zod sees the decoded values (see the identifier rules in schemas.ts).
import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest, parseJsonBody, parseQuery } from './http.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A numeric id from a route (`/api/observation/:id`, `/api/queue/dead/:id/retry`): decimal digits
 * only. `Number()` would also take "1e3", "0x10" or " 7" and act on a row nobody named.
 */
export function parseRouteId(raw: string, what: string): { ok: true; id: number } | { ok: false; message: string } {
  if (/^[1-9][0-9]{0,15}$/.test(raw)) {
    const id = Number(raw);
    if (Number.isSafeInteger(id)) return { ok: true, id };
  }
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return { ok: false, message: `id: ${JSON.stringify(shown)} is not ${what}; use the number as listed (digits only, from 1)` };
}

/** The route parameter as an id, or a 400 naming it. */
export function routeId(c: Context, param: string, what: string): number {
  const r = parseRouteId(c.req.param(param) ?? '', what);
  if (!r.ok) badRequest(r.message);
  return r.id;
}

/** The query parameters that carry identifiers (filters, paths); free text is left as sent. */
export const IDENTIFIER_PARAMS: readonly string[] = ['project', 'cwd', 'path'];

/**
 * The first identifier parameter whose percent-encoding is not valid UTF-8 (`%ED%A0%80`, an encoded
 * surrogate; a cut-off `%E2%82`), as a 400 message; null when all decode. The router passes such
 * values on undecoded, so a filter would silently match nothing. Free text (a search query) with a
 * stray `%` is still searched for as written.
 */
export function undecodableQuery(url: string, names: readonly string[] = IDENTIFIER_PARAMS): string | null {
  const q = url.indexOf('?');
  if (q === -1) return null;
  const hash = url.indexOf('#', q);
  for (const pair of url.slice(q + 1, hash === -1 ? undefined : hash).split('&')) {
    if (!pair.includes('%')) continue;
    const eq = pair.indexOf('=');
    let key: string;
    try {
      key = decodeURIComponent((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    } catch {
      continue; // not a parameter we read
    }
    if (!names.includes(key)) continue;
    try {
      decodeURIComponent((eq === -1 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return `${key}: the percent-encoding is not valid UTF-8; encode the UTF-8 bytes of well-formed text (encodeURIComponent does)`;
    }
  }
  return null;
}

/** parseQuery, after refusing undecodable percent-encodings. */
export function parseEdgeQuery<T>(c: Context, schema: z.ZodType<T>): T {
  const bad = undecodableQuery(c.req.url);
  if (bad) badRequest(bad);
  return parseQuery(c, schema);
}

/**
 * parseJsonBody, after refusing a body that is not valid UTF-8: the JSON parser would turn each bad
 * byte into U+FFFD and store an id nobody sent. (A lone surrogate written as a `\ud800` escape is
 * valid UTF-8 and JSON; the identifier schemas refuse that one.)
 */
export async function parseEdgeBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const bytes = await c.req.arrayBuffer();
  try {
    utf8.decode(bytes);
  } catch {
    badRequest('body: is not valid UTF-8; send the JSON as UTF-8 text');
  }
  // Hono caches the body: parseJsonBody reads the same bytes again.
  return parseJsonBody(c, schema);
}
