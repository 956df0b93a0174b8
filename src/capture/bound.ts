// Bounds a captured JSON value so that huge tool outputs are never stored or sent raw.
// Used by the hooks (before sending) and the worker (before storing). No npm imports.
import { truncateMiddle } from '../lib/text.js';
import { scrubText } from './privacy.js';

/**
 * Cut the middle of a long string, cleaning it first: a secret or a `<private>` tag split by the
 * cut would leave pieces no rule recognises (the tail of a key has lost its `sk-` prefix).
 */
function cutString(value: string, maxChars: number): string {
  if (value.length <= maxChars) return value;
  const clean = scrubText(value);
  return clean.length > maxChars ? truncateMiddle(clean, maxChars) : clean;
}

/** Largest string kept per field of a captured tool event; the LLM sees far less. */
export const MAX_STORED_FIELD_CHARS = 64 * 1024;

export function boundValue(value: unknown, maxChars = MAX_STORED_FIELD_CHARS, depth = 0): unknown {
  if (typeof value === 'string') return cutString(value, maxChars);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 500).map((v) => boundValue(v, maxChars, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 500)) {
    if (k === '__proto__') continue; // never let a payload key become a prototype
    out[k] = boundValue(v, maxChars, depth + 1);
  }
  return out;
}

/** Largest JSON size of one captured field after boundToJsonSize (far below the worker's 8 MB). */
export const MAX_EVENT_JSON_CHARS = 256 * 1024;

/**
 * Roughly the JSON size boundValue(value, cap) would have, without building it; stops counting
 * once past `stopAt`, so huge inputs cost one partial walk.
 */
function boundedSize(value: unknown, cap: number, stopAt: number, depth = 0): number {
  if (typeof value === 'string') return Math.min(value.length, cap + 64) + 2;
  if (value === null || typeof value !== 'object') return 8;
  if (depth > 12) return 20;
  let n = 2;
  const entries = Array.isArray(value) ? value.slice(0, 500).map((v) => ['', v] as const) : Object.entries(value).slice(0, 500);
  for (const [k, v] of entries) {
    n += k.length + 4 + boundedSize(v, cap, stopAt - n, depth + 1);
    if (n > stopAt) return n;
  }
  return n;
}

/** Copies what fits in the budget, in order, and says how much of each container was left out. */
function takeWithin(value: unknown, cap: number, budget: { left: number }, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 12) {
    const leaf = boundValue(value, cap, depth);
    budget.left -= (JSON.stringify(leaf) ?? '').length;
    return leaf;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    budget.left -= 2;
    for (const item of value) {
      if (budget.left <= 0) {
        out.push(`[${value.length - out.length} more items omitted]`);
        break;
      }
      budget.left -= 1; // the comma
      out.push(takeWithin(item, cap, budget, depth + 1));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  budget.left -= 2;
  for (const [i, [k, v]] of entries.entries()) {
    if (k === '__proto__') continue;
    if (budget.left <= 0) {
      out['…'] = `${entries.length - i} more keys omitted`;
      break;
    }
    budget.left -= k.length + 4;
    out[k] = takeWithin(v, cap, budget, depth + 1);
  }
  return out;
}

/**
 * Bounds a value's total JSON size, not only each string: many fields of 64 KB add up. Picks the
 * largest per-string cap at which the whole fits (every key kept, values shortened); a structure
 * too wide even for short strings keeps what fits, in order, with a note of what was omitted.
 */
export function boundToJsonSize(value: unknown, maxJsonChars = MAX_EVENT_JSON_CHARS): unknown {
  for (let cap = MAX_STORED_FIELD_CHARS; cap >= 256; cap = Math.floor(cap / 4)) {
    if (boundedSize(value, cap, maxJsonChars) > maxJsonChars) continue;
    const bounded = boundValue(value, cap);
    // The estimate ignores JSON escapes; confirm on the (now small) result.
    if ((JSON.stringify(bounded) ?? '').length <= maxJsonChars) return bounded;
  }
  return takeWithin(value, 256, { left: maxJsonChars });
}
