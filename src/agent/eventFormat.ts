// Turning captured tool I/O into bounded text for the memory agent, and reading which files a tool
// call touched. Pure functions: the cost of every LLM request depends on these bounds (SPEC §7).
import { requireNonNegativeInt, truncateMiddle } from '../lib/text.js';

// ---------------------------------------------------------------------------------------------
// renderValue

/** Arrays longer than this are cut; the count of the rest is shown. */
const MAX_ARRAY_ITEMS = 100;
const MAX_DEPTH = 12;
/** Each string field keeps at least this much, however many long fields share the budget. */
const MIN_FIELD_CHARS = 64;

/** A copy of `value` safe for JSON.stringify: no cycles, bounded depth and array lengths. */
function sanitize(value: unknown, depth: number, seen: WeakSet<object>, strings: string[]): unknown {
  if (typeof value === 'string') {
    strings.push(value);
    return value;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined; // functions, symbols, undefined
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY_ITEMS).map((v) => sanitize(v, depth + 1, seen, strings) ?? null);
    if (value.length > MAX_ARRAY_ITEMS) items.push(`…[${value.length - MAX_ARRAY_ITEMS} more items]`);
    out = items;
  } else {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = sanitize(v, depth + 1, seen, strings);
      if (s !== undefined) obj[k] = s;
    }
    out = obj;
  }
  seen.delete(value);
  return out;
}

/**
 * The largest per-string cap such that all strings together fit in `budget` ("water filling"):
 * short strings stay whole and the long ones share what is left equally.
 */
function fairCap(lengths: number[], budget: number): number {
  const sorted = [...lengths].sort((a, b) => a - b);
  let remaining = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(remaining / (sorted.length - i));
    if (sorted[i] > share) return Math.max(share, MIN_FIELD_CHARS);
    remaining -= sorted[i];
  }
  return Infinity;
}

function capStrings(value: unknown, cap: number): unknown {
  if (typeof value === 'string') return value.length > cap ? truncateMiddle(value, cap) : value;
  if (Array.isArray(value)) return value.map((v) => capStrings(v, cap));
  if (value !== null && typeof value === 'object') {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) obj[k] = capStrings(v, cap);
    return obj;
  }
  return value;
}

/**
 * Tool input/response as compact, readable text: a string as-is; an object as one `key: value`
 * line per field (nested objects as dotted keys), string values raw (multi-line ones between `"""`
 * lines: real newlines read better and cost fewer tokens than JSON escapes), arrays as compact JSON.
 * Long strings are cut individually first so one huge field (a file's content) does not push out
 * the others (its path); then the whole is bounded by truncateMiddle.
 */
export function renderValue(value: unknown, maxChars: number): string {
  requireNonNegativeInt(maxChars, 'maxChars');
  if (value === undefined) return '';
  if (typeof value === 'string') return truncateMiddle(value, maxChars);
  const strings: string[] = [];
  const clean = sanitize(value, 0, new WeakSet(), strings);
  if (clean === undefined) return '';

  const totalStringChars = strings.reduce((n, s) => n + s.length, 0);
  let capped: unknown = clean;
  if (totalStringChars > maxChars) {
    // Leave about a fifth of the budget for keys and punctuation.
    const cap = fairCap(strings.map((s) => s.length), Math.floor(maxChars * 0.8));
    capped = capStrings(clean, cap);
  }
  return truncateMiddle(formatTop(capped), maxChars);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function formatTop(value: unknown): string {
  if (!isPlainObject(value)) return JSON.stringify(value);
  const lines: string[] = [];
  formatFields(value, '', lines);
  return lines.join('\n');
}

/** Nested objects become dotted keys (`file.content`), so their strings are shown raw too. */
function formatFields(obj: Record<string, unknown>, prefix: string, lines: string[]): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === 'string') {
      lines.push(v.includes('\n') ? `${key}: """\n${v}\n"""` : `${key}: ${v}`);
    } else if (isPlainObject(v) && Object.keys(v).length > 0) {
      formatFields(v, key + '.', lines);
    } else {
      lines.push(`${key}: ${JSON.stringify(v)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// filesTouched

export interface FilesTouched {
  read: string[];
  modified: string[];
}

/** Tools whose input names a file they change, and the input field that holds it. */
const MODIFYING_TOOLS = new Map([
  ['Edit', 'file_path'],
  ['Write', 'file_path'],
  ['MultiEdit', 'file_path'],
  ['NotebookEdit', 'notebook_path'],
]);

/** Tools whose input names a file or directory they only read. */
const READING_TOOLS = new Map([
  ['Read', 'file_path'],
  ['Grep', 'path'],
  ['Glob', 'path'],
]);

/**
 * The files a tool call touched, taken from its input (what Claude Code actually did), not from the
 * model's claims. Unknown tools and malformed inputs touch nothing.
 */
export function filesTouched(toolName: string, toolInput: unknown): FilesTouched {
  const result: FilesTouched = { read: [], modified: [] };
  if (toolInput === null || typeof toolInput !== 'object' || Array.isArray(toolInput)) return result;
  const input = toolInput as Record<string, unknown>;
  const modField = MODIFYING_TOOLS.get(toolName);
  const readField = READING_TOOLS.get(toolName);
  const pick = (field: string): string | null => {
    const v = input[field];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
  };
  if (modField) {
    const p = pick(modField);
    if (p) result.modified.push(p);
  } else if (readField) {
    const p = pick(readField);
    if (p) result.read.push(p);
  }
  return result;
}
