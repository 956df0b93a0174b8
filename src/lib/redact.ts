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

const SECRET_KEY_RE = new RegExp(`^${SECRET_NAME}$`, 'i');

/** True for object keys such as `apiKey`, `password`, `GITHUB_TOKEN` whose value is a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_KEY_RE.test(name) && !NOT_SECRET_NAME.test(name);
}

