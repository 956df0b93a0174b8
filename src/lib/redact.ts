// Secret redaction: key- and token-shaped strings, and values labelled as credentials, become
// [REDACTED]. Pure text functions with no project knowledge, so the logger (config/) and the
// capture edge (capture/privacy.ts) share one set of rules.

export const REDACTED = '[REDACTED]';

/** Names that label a credential in `name=value`, `name: value` and `"name": "value"` forms. */
// Bounded affixes (and the lookbehind in ASSIGNMENT_RE) keep matching linear on long identifier runs
// such as base64 blobs in tool output.
const SECRET_NAME =
  '[A-Za-z0-9_.-]{0,40}(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|session[_-]?key)[A-Za-z0-9_.-]{0,40}';

/** Secret-looking names that are really counters or settings (max_tokens, tokenizer, …). */
const NOT_SECRET_NAME = /tokens|tokeniz|token_?(?:count|limit|usage|budget|type|id)\b|_?max_?token/i;

/** Values that are placeholders, references or types rather than secrets. */
export const PLACEHOLDER_VALUE = /^(?:|\[REDACTED\]|null|undefined|none|true|false|string|number|boolean|\*+|<[^>]*>|\$.*|process\.env\..*|os\.environ.*)$/i;

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
  // URL userinfo, up to the LAST @ of the authority (a password may itself contain @): with a
  // `user:` the name is kept and everything after it goes; a bare userinfo (a token used as the
  // user name, https://TOKEN@host) goes whole.
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*(?:@[^\s/?#@]*)*)@/gi,
    replace: (whole, scheme, userinfo) => {
      const colon = userinfo.indexOf(':');
      if (userinfo === REDACTED || userinfo.endsWith(`:${REDACTED}`)) return whole;
      return colon > 0 ? `${scheme}${userinfo.slice(0, colon + 1)}${REDACTED}@` : `${scheme}${REDACTED}@`;
    },
  },
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

// ---- exact values ----------------------------------------------------------------------------
// A corporate key or gateway token has no recognisable shape, so the shape rules above miss it.
// The process that knows its configured credentials (the worker: .env, settings, its own token)
// registers their exact values here, and every redaction removes them wherever they appear.

/** Shorter values are not registered: redacting every "abc" would wreck ordinary text. */
export const MIN_KNOWN_SECRET_CHARS = 8;
/** A fragment of a known secret next to a truncation cut is redacted from this length on. */
const MIN_FRAGMENT_CHARS = 6;

const knownGroups = new Map<string, string[]>();
let knownValues: string[] = [];

/** The forms a value may take in text: as written, percent-encoded, JSON-escaped. */
function formsOf(value: string): string[] {
  const forms = new Set([value]);
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    /* lone surrogate: not encodable, the raw form is enough */
  }
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms];
}

/**
 * Register the exact credential values of one source (`group`), replacing that group's previous
 * values: a changed or removed key is forgotten. Values shorter than MIN_KNOWN_SECRET_CHARS and
 * placeholders are ignored.
 */
export function setKnownSecrets(group: string, values: Iterable<string | undefined | null>): void {
  const kept: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const t = v.trim();
    if (t.length < MIN_KNOWN_SECRET_CHARS || PLACEHOLDER_VALUE.test(t)) continue;
    kept.push(...formsOf(t));
  }
  if (kept.length === 0) knownGroups.delete(group);
  else knownGroups.set(group, kept);
  // Longest first, so a value containing another is removed whole.
  knownValues = [...new Set([...knownGroups.values()].flat())].sort((a, b) => b.length - a.length);
}

/** The secret parts of a URL value (its userinfo and password, decoded too); [] for a plain URL. */
export function urlCredentialParts(value: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#]*)@/i.exec(value.trim());
  if (!m) return [];
  const userinfo = m[1];
  const colon = userinfo.indexOf(':');
  const parts = colon >= 0 ? [userinfo, userinfo.slice(colon + 1)] : [userinfo];
  for (const p of [...parts]) {
    try {
      parts.push(decodeURIComponent(p));
    } catch {
      /* not percent-encoded */
    }
  }
  return parts;
}

/** How many distinct forms are registered (diagnostics and tests; never the values). */
export function knownSecretCount(): number {
  return knownValues.length;
}

const CUT_MARKER_RE = /(\n…\[truncated \d+ chars\]…\n)/;

/** Length of the longest prefix (≥ MIN_FRAGMENT_CHARS, shorter than the whole) of a secret that `text` ends with. */
function headFragment(text: string): number {
  for (const secret of knownValues) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_FRAGMENT_CHARS; k--) {
      if (text.endsWith(secret.slice(0, k))) return k;
    }
  }
  return 0;
}

/** Length of the longest suffix of a secret that `text` starts with (same bounds). */
function tailFragment(text: string): number {
  for (const secret of knownValues) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_FRAGMENT_CHARS; k--) {
      if (text.startsWith(secret.slice(secret.length - k))) return k;
    }
  }
  return 0;
}

/**
 * A known secret cut in two by truncateMiddle leaves a head fragment before the marker and a tail
 * fragment after it, neither equal to the value. Both are redacted when they are long enough.
 */
function redactCutFragments(text: string): string {
  if (!text.includes('…[truncated ')) return text;
  // Odd indexes are the markers; the pieces around each marker are trimmed where they touch it.
  const parts = text.split(CUT_MARKER_RE);
  for (let i = 1; i < parts.length; i += 2) {
    const before = parts[i - 1];
    const h = headFragment(before);
    if (h > 0) parts[i - 1] = before.slice(0, before.length - h) + REDACTED;
    const after = parts[i + 1] ?? '';
    const t = tailFragment(after);
    if (t > 0) parts[i + 1] = REDACTED + after.slice(t);
  }
  return parts.join('');
}

/** Remove every registered credential value (and a value's fragments at a truncation cut). */
export function redactKnownSecrets(text: string): string {
  if (knownValues.length === 0) return text;
  let out = text;
  for (const secret of knownValues) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return redactCutFragments(out);
}

/**
 * Replace registered credential values, then key- and token-shaped strings, with `[REDACTED]`,
 * keeping any label (`password=`).
 */
export function redactSecrets(text: string): string {
  let out = redactKnownSecrets(text);
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

const SECRET_KEY_RE = new RegExp(`^${SECRET_NAME}$`, 'i');

/** True for object keys such as `apiKey`, `password`, `GITHUB_TOKEN` whose value is a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_KEY_RE.test(name) && !NOT_SECRET_NAME.test(name);
}

