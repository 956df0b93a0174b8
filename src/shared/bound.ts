// Bounds a captured JSON value so that huge tool outputs are never stored or sent raw.
// Used by the hooks (before sending) and the worker (before storing). No npm imports.
import { truncateMiddle } from '../services/worker/eventFormat.js';

/** Largest string kept per field of a captured tool event; the LLM sees far less. */
export const MAX_STORED_FIELD_CHARS = 64 * 1024;

export function boundValue(value: unknown, maxChars = MAX_STORED_FIELD_CHARS, depth = 0): unknown {
  if (typeof value === 'string') return value.length > maxChars ? truncateMiddle(value, maxChars) : value;
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
