// Privacy filters applied at the capture edge, before anything is stored, sent to an LLM or
// logged (SPEC §11): <private> removal, context-tag removal (so injected memory is never
// re-memorised), secret redaction of captured values (lib/redact.ts), and the project/tool
// exclusion rules. Node builtins only: the hook bundle imports it.
import os from 'node:os';
import path from 'node:path';
import { isSecretName, PLACEHOLDER_VALUE, REDACTED, redactSecrets } from '../lib/redact.js';

/**
 * Remove every `<tag …>…</tag>` region, honouring nesting. An unclosed opening tag removes
 * everything after it (fail closed: better to lose text than leak it); a stray closing tag is dropped.
 */
function stripTag(text: string, tag: string): string {
  if (!text.toLowerCase().includes(`<${tag}`) && !text.toLowerCase().includes(`</${tag}`)) return text;
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'gi');
  let out = '';
  let depth = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (depth === 0) out += text.slice(last, m.index);
    if (m[1] === '/') depth = Math.max(0, depth - 1);
    else depth++;
    last = m.index + m[0].length;
  }
  if (depth === 0) out += text.slice(last);
  return out;
}

/** Remove `<private>…</private>` content (case-insensitive, multiline, nested, unclosed to end). */
export function stripPrivate(text: string): string {
  return stripTag(text, 'private');
}

/** True when the text uses `<private>` and nothing but whitespace is left once it is removed. */
export function isEntirelyPrivate(text: string): boolean {
  return /<private\b/i.test(text) && stripPrivate(text).trim() === '';
}

/** Remove `<claude-mem-context>…</claude-mem-context>`: our own injected context, never re-captured. */
export function stripContextTags(text: string): string {
  return stripTag(text, 'claude-mem-context');
}

// ---- secret redaction ----------------------------------------------------------------------

/** Strings in captured data: private content, our own context, and secrets all go. */
export function scrubText(s: string): string {
  return redactSecrets(stripContextTags(stripPrivate(s)));
}
const scrubString = scrubText;

/**
 * An object key cleaned like a value (a secret pasted as a key reaches the LLM and the database
 * otherwise); a cleaned key that collides with one already present gets a ` #n` suffix.
 */
function scrubKey(key: string, taken: Record<string, unknown>): string {
  const clean = scrubString(key);
  if (clean === key || !Object.prototype.hasOwnProperty.call(taken, clean)) return clean;
  for (let n = 2; ; n++) if (!Object.prototype.hasOwnProperty.call(taken, `${clean} #${n}`)) return `${clean} #${n}`;
}

/**
 * Apply stripPrivate, stripContextTags and redactSecrets to every string in a JSON-like value,
 * object keys included; a string value under a credential-named key is redacted whole.
 */
export function redactDeep<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretName(key) && !PLACEHOLDER_VALUE.test(v.trim())) return REDACTED;
      return scrubString(v);
    }
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((item) => walk(item));
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      const key = scrubKey(k, out);
      if (key === '__proto__') continue; // never let a payload key become a prototype
      out[key] = walk(item, k);
    }
    return out;
  };
  return walk(value) as T;
}

// ---- exclusion rules -----------------------------------------------------------------------

function expandTilde(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

function toSlashes(p: string): string {
  const s = p.replace(/\\/g, '/');
  return s.length > 1 ? s.replace(/\/+$/, '') : s;
}

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let cached = globCache.get(glob);
  if (cached) return cached;
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?'; // "**/" also matches zero directories
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  cached = new RegExp(`^${re}$`);
  globCache.set(glob, cached);
  return cached;
}

/**
 * Glob match: `*` any run without `/`, `**` anything, `?` one non-`/` character, leading `~` is the
 * home directory. Trailing slashes are ignored; backslashes count as `/`.
 */
export function matchesGlob(pattern: string, candidate: string): boolean {
  const p = toSlashes(expandTilde(pattern.trim()));
  if (p === '') return false;
  return globToRegExp(p).test(toSlashes(candidate));
}

function splitCsv(csv: string): string[] {
  return csv
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * True when `cwd` matches one of the comma-separated globs. A glob is tried against the cwd and its
 * basename; a glob naming a path (it contains `/`) also excludes everything below a matching dir.
 */
export function isExcludedProject(cwd: string, globsCsv: string): boolean {
  const globs = splitCsv(globsCsv);
  if (globs.length === 0 || !cwd) return false;
  const full = toSlashes(path.resolve(expandTilde(cwd)));
  const base = path.posix.basename(full);
  for (const glob of globs) {
    if (matchesGlob(glob, full) || matchesGlob(glob, base)) return true;
    if (toSlashes(expandTilde(glob)).includes('/')) {
      for (let dir = path.posix.dirname(full); dir !== path.posix.dirname(dir); dir = path.posix.dirname(dir)) {
        if (matchesGlob(glob, dir)) return true;
      }
    }
  }
  return false;
}

/** True when the tool is listed (exact name or glob such as `mcp__*`) in the comma-separated list. */
export function shouldSkipTool(toolName: string, skipCsv: string): boolean {
  return splitCsv(skipCsv).some((entry) => entry === toolName || (/[*?]/.test(entry) && matchesGlob(entry, toolName)));
}
