// Privacy filters applied before anything is stored, sent to an LLM or logged (SPEC §11):
// <private> removal, context-tag removal (so injected memory is never re-memorised), secret
// redaction, and the project/tool exclusion rules. Node builtins only: the hook bundle imports it.
import os from 'node:os';
import path from 'node:path';

export const REDACTED = '[REDACTED]';

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

/** Names that label a credential in `name=value`, `name: value` and `"name": "value"` forms. */
// Bounded affixes (and the lookbehind in ASSIGNMENT_RE) keep matching linear on long identifier runs
// such as base64 blobs in tool output.
const SECRET_NAME =
  '[A-Za-z0-9_.-]{0,40}(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|session[_-]?key)[A-Za-z0-9_.-]{0,40}';

/** Secret-looking names that are really counters or settings (max_tokens, tokenizer, …). */
const NOT_SECRET_NAME = /tokens|tokeniz|token_?(?:count|limit|usage|budget|type|id)\b|_?max_?token/i;

/** Values that are placeholders, references or types rather than secrets. */
const PLACEHOLDER_VALUE = /^(?:|\[REDACTED\]|null|undefined|none|true|false|string|number|boolean|\*+|<[^>]*>|\$.*|process\.env\..*|os\.environ.*)$/i;

// A value: JSON/double-quoted string, an escaped-quoted string (JSON inside a JSON string),
// a single-quoted string, or a bare word up to a delimiter.
const SECRET_VALUE = String.raw`"(?:[^"\\\n]|\\.)*"|\\"(?:(?!\\")[^\n])*\\"|'[^'\n]*'|[^\s"'\x60,;&})\]\\]+`;

const ASSIGNMENT_RE = new RegExp(
  String.raw`(\\?["']?)(?<![A-Za-z0-9_.-])(${SECRET_NAME})(\\?["']?)([ \t]*(?::=|:|=(?!=))[ \t]*)(${SECRET_VALUE})`,
  'gi',
);

interface Rule {
  re: RegExp;
  replace: string | ((...m: string[]) => string);
}

const RULES: Rule[] = [
  // PEM private key blocks (an unterminated one is redacted to the end of the text).
  {
    re: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$(?![\s\S]))/g,
    replace: REDACTED,
  },
  // user:password@ in URLs.
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)@/gi, replace: `$1${REDACTED}@` },
  // name=value / name: value / "name": "value" — keep the name, drop the value.
  {
    re: ASSIGNMENT_RE,
    replace: (whole, q1, name, q2, sep, value) => {
      if (NOT_SECRET_NAME.test(name)) return whole;
      const wrap = value.startsWith('\\"') ? '\\"' : value[0] === '"' || value[0] === "'" ? value[0] : '';
      const inner = wrap ? value.slice(wrap.length, value.length - wrap.length) : value;
      if (PLACEHOLDER_VALUE.test(inner.trim())) return whole;
      return `${q1}${name}${q2}${sep}${wrap}${REDACTED}${wrap}`;
    },
  },
  // Authorization: Basic/Digest/Token <credential> (Bearer is handled below).
  {
    re: /\b(authorization["']?[ \t]*[:=][ \t]*["']?(?:Basic|Digest|Token)[ \t]+)[A-Za-z0-9._~+/=-]{6,}/gi,
    replace: `$1${REDACTED}`,
  },
  // Bearer <token>: a token has a digit; "Bearer authentication" in prose is left alone.
  { re: /\b(Bearer[ \t]+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,}/gi, replace: `$1${REDACTED}` },
  // Provider keys: Anthropic sk-ant-…, OpenAI sk-… / sk-proj-…, OpenRouter sk-or-….
  { re: /\bsk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}/g, replace: REDACTED },
  // GitHub tokens.
  { re: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: REDACTED },
  { re: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, replace: REDACTED },
  // Slack tokens.
  { re: /\bxox[abprse]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  // AWS access key ids.
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // Google API keys.
  { re: /\bAIza[0-9A-Za-z_-]{30,}/g, replace: REDACTED },
  // JSON Web Tokens (header and payload are base64url JSON, so both start with eyJ).
  { re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: REDACTED },
];

/** Replace key- and token-shaped strings with `[REDACTED]`, keeping any label (`password=`). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

/** Strings in captured data: private content, our own context, and secrets all go. */
function scrubString(s: string): string {
  return redactSecrets(stripContextTags(stripPrivate(s)));
}

const SECRET_KEY_RE = new RegExp(`^${SECRET_NAME}$`, 'i');

/** True for object keys such as `apiKey`, `password`, `GITHUB_TOKEN` whose value is a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_KEY_RE.test(name) && !NOT_SECRET_NAME.test(name);
}

/**
 * Apply stripPrivate, stripContextTags and redactSecrets to every string in a JSON-like value.
 * Object keys are kept; a string value under a credential-named key is redacted whole.
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
    for (const [k, item] of Object.entries(v)) out[k] = walk(item, k);
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
