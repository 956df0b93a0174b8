// Credentials for the memory agent (SPEC §4.1, §4.2, §4.4). The agent's provider gets its
// environment only from buildIsolatedEnv(): the worker's env minus BLOCKED_ENV_VARS, plus the
// credentials in DATA_DIR/.env (and, opt-in, Claude Code's settings env block), plus
// CLAUDE_MEM_INTERNAL=1. Values are never logged; only key names are. Node builtins only.
import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeFileAtomic } from '../lib/fsutil.js';
import { setKnownSecrets, urlCredentialParts } from '../lib/redact.js';
import { createLogger } from './logger.js';
import { claudeSettingsPath, envFilePath } from './paths.js';
import { getBool, loadSettings } from './SettingsManager.js';

export const RECOGNISED_ENV_KEYS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_AUTH_TOKEN',
  'OPENROUTER_API_KEY',
  'GEMINI_API_KEY',
  'OPENAI_API_KEY',
] as const;
export type RecognisedEnvKey = (typeof RECOGNISED_ENV_KEYS)[number];
export type ClaudeMemEnv = Partial<Record<RecognisedEnvKey, string>>;

export function isRecognisedEnvKey(key: string): key is RecognisedEnvKey {
  return (RECOGNISED_ENV_KEYS as readonly string[]).includes(key);
}

/**
 * Never inherited from the worker's own environment into the memory agent's.
 *
 * The SPEC list (first block) stops a key leaked from a shell or a project's .env from billing the
 * user, and a half-configured gateway from the shell from capturing requests. We extend the same
 * reasoning to everything else that would silently change where the agent's requests go, who pays
 * for them, or which model answers:
 * - the other providers' keys and OpenAI's base URL (the OpenAI and Gemini SDKs read these from the
 *   environment): credentials for the agent come from .env / settings only;
 * - model overrides (ANTHROPIC_MODEL, ANTHROPIC_SMALL_FAST_MODEL, ANTHROPIC_DEFAULT_*_MODEL): the
 *   model is CLAUDE_MEM_MODEL, passed through unchanged; a shell's interactive-model choice (opus)
 *   must not make every observation expensive. ANTHROPIC_DEFAULT_HAIKU_MODEL may still come in
 *   through the opt-in auto-detection, which is an explicit source;
 * - ANTHROPIC_CUSTOM_HEADERS: gateway auth headers without their gateway would be sent to the
 *   public endpoint;
 * - CLAUDE_CODE_USE_BEDROCK / _VERTEX / _FOUNDRY and their base URLs: they reroute the agent-sdk
 *   transport to another cloud using ambient cloud credentials.
 */
export const BLOCKED_ENV_VARS: readonly string[] = [
  // SPEC §4.2, exact.
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_EFFORT_LEVEL',
  // Other providers' credentials and endpoints.
  'OPENROUTER_API_KEY',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  // Model overrides.
  'ANTHROPIC_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  // Request rerouting.
  'ANTHROPIC_CUSTOM_HEADERS',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_VERTEX_BASE_URL',
];

const BLOCKED = new Set(BLOCKED_ENV_VARS);

/** Keys auto-detection may take from Claude Code's settings.json `env` block (SPEC §4.4). */
export const AUTODETECT_KEYS = [
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
] as const;
export type AutodetectKey = (typeof AUTODETECT_KEYS)[number];

// ---- parsing -------------------------------------------------------------------------------

export interface ParsedEnvFile {
  /** Recognised keys with non-empty values (last assignment wins, as in a shell). */
  values: ClaudeMemEnv;
  /** Names of unrecognised keys, in first-seen order. Never their values. */
  ignored: string[];
  /** 1-based line numbers that are not `KEY=VALUE`, a comment or blank. */
  invalidLines: number[];
}

interface Statement {
  key: string;
  value: string;
  /** Offsets of the whole statement, including its line break; used to edit in place. */
  start: number;
  end: number;
}

/**
 * Shell-style env file scanner: blank lines, `#` comments, optional `export`, `KEY=value` with
 * single quotes (literal), double quotes (escapes \" \\ \$ \` \n \t \r; may span lines) or a bare
 * value ended by ` #` comment or end of line. Backslashes in bare values are kept literally.
 */
function scanEnv(text: string): { statements: Statement[]; invalidLines: number[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const offsetShift = src.length === text.length ? 0 : 1;
  const statements: Statement[] = [];
  const invalidLines: number[] = [];
  let i = 0;
  let line = 1;
  const lineEnd = (from: number): number => {
    const n = src.indexOf('\n', from);
    return n === -1 ? src.length : n;
  };
  const skipLine = (from: number): number => {
    const e = lineEnd(from);
    return e < src.length ? e + 1 : e;
  };
  const countLines = (from: number, to: number): number => {
    let n = 0;
    for (let k = from; k < to; k++) if (src.charCodeAt(k) === 10) n++;
    return n;
  };

  while (i < src.length) {
    const start = i;
    const startLine = line;
    let j = i;
    while (j < src.length && (src[j] === ' ' || src[j] === '\t')) j++;
    const c = src[j];
    if (c === undefined || c === '\n' || c === '\r' || c === '#') {
      const next = skipLine(j);
      line += countLines(start, next);
      i = next;
      continue;
    }
    const m = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(=)?/.exec(src.slice(j, lineEnd(j)));
    if (!m || !m[2]) {
      // `export KEY` alone is valid shell (no value); anything else is not an assignment.
      const rest = src.slice(j, lineEnd(j)).replace(/\r$/, '').trim();
      if (!m || !/^export[ \t]+[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) invalidLines.push(startLine);
      const next = skipLine(j);
      line += countLines(start, next);
      i = next;
      continue;
    }
    const key = m[1];
    j += m[0].length;
    const afterEquals = j;
    while (j < src.length && (src[j] === ' ' || src[j] === '\t')) j++;
    let value = '';
    let ok = true;
    if (src[j] === '#' && j > afterEquals) {
      // `KEY= # note`: an empty value followed by a comment, as in a shell.
      j = lineEnd(j);
    } else if (src[j] === "'") {
      const close = src.indexOf("'", j + 1);
      if (close === -1) ok = false;
      else {
        value = src.slice(j + 1, close);
        j = close + 1;
      }
    } else if (src[j] === '"') {
      let k = j + 1;
      let closed = false;
      while (k < src.length) {
        const ch = src[k];
        if (ch === '\\' && k + 1 < src.length) {
          const e = src[k + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', $: '$', '`': '`' };
          if (e === '\n') {
            // Line continuation inside double quotes.
          } else value += map[e] ?? '\\' + e;
          k += 2;
          continue;
        }
        if (ch === '"') {
          closed = true;
          k++;
          break;
        }
        value += ch;
        k++;
      }
      if (!closed) ok = false;
      else j = k;
    } else {
      const e = lineEnd(j);
      let raw = src.slice(j, e).replace(/\r$/, '');
      const comment = /[ \t]#/.exec(raw);
      if (comment) raw = raw.slice(0, comment.index);
      value = raw.trimEnd();
      j = e;
    }
    if (ok) {
      // After a quoted value only whitespace or a comment may follow on that line.
      const tail = src.slice(j, lineEnd(j)).replace(/\r$/, '');
      if (tail.trim() !== '' && !/^[ \t]*#/.test(tail)) ok = false;
    }
    if (!ok) {
      invalidLines.push(startLine);
      const next = skipLine(j);
      line += countLines(start, next);
      i = next;
      continue;
    }
    const next = skipLine(j);
    line += countLines(start, next);
    statements.push({ key, value, start: start + offsetShift, end: next + offsetShift });
    i = next;
  }
  return { statements, invalidLines };
}

/** Parse `.env` text into recognised values and the names of ignored keys. */
export function parseEnvFile(text: string): ParsedEnvFile {
  const { statements, invalidLines } = scanEnv(text);
  const values: ClaudeMemEnv = {};
  const ignored: string[] = [];
  for (const s of statements) {
    if (isRecognisedEnvKey(s.key)) {
      if (s.value === '') delete values[s.key];
      else values[s.key] = s.value;
    } else if (!ignored.includes(s.key)) ignored.push(s.key);
  }
  return { values, ignored, invalidLines };
}

// ---- loading -------------------------------------------------------------------------------

const log = createLogger('env');
const reportedIgnored = new Set<string>();
let reportedInvalid = false;

/** Read and parse DATA_DIR/.env; a missing file is empty. Does not report anything. */
export function readClaudeMemEnv(filePath: string = envFilePath()): ParsedEnvFile {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { values: {}, ignored: [], invalidLines: [] };
    // Name the file and the fix: a bare `EISDIR … read` says neither.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`Could not read ${filePath} (${code}): it must be a readable KEY=VALUE file; fix or remove it, then run \`claude-mem worker restart\``);
  }
  return parseEnvFile(text);
}

/**
 * The recognised credentials from DATA_DIR/.env with non-empty values. Unrecognised keys are
 * reported once per process (by name) in the worker log.
 */
export function loadClaudeMemEnv(filePath: string = envFilePath()): ClaudeMemEnv {
  const parsed = readClaudeMemEnv(filePath);
  const fresh = parsed.ignored.filter((k) => !reportedIgnored.has(k));
  if (fresh.length > 0) {
    fresh.forEach((k) => reportedIgnored.add(k));
    log.warn(`Ignoring unrecognised keys in ${filePath}: ${fresh.join(', ')}. Recognised: ${RECOGNISED_ENV_KEYS.join(', ')}.`);
  }
  if (parsed.invalidLines.length > 0 && !reportedInvalid) {
    reportedInvalid = true;
    log.warn(`Skipping unparsable lines in ${filePath}: ${parsed.invalidLines.join(', ')} (expected KEY=VALUE).`);
  }
  registerCredentialValues('file', parsed.values);
  return parsed.values;
}

// ---- exact values for redaction -------------------------------------------------------------

/** Variables whose value is an endpoint: only their userinfo is secret. */
const ENDPOINT_VARS = /_BASE_URL$|_URL$/;

/**
 * The exact secret values among credential-like variables: whole values, except for endpoints
 * (only their URL userinfo). Used to redact them wherever they appear, whatever their shape.
 */
export function secretValuesOf(vars: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(vars)) {
    if (!value) continue;
    if (ENDPOINT_VARS.test(key)) out.push(...urlCredentialParts(value));
    else out.push(value);
  }
  return out;
}

/**
 * Register the configured credentials' exact values with the redactor (lib/redact.ts): .env, the
 * auto-detected Claude Code values, and blocked credentials in the process's own environment.
 * Called whenever they are read or changed, so a changed key is redacted from then on.
 */
function registerCredentialValues(source: string, vars: Record<string, string | undefined>): void {
  setKnownSecrets(`env:${source}`, secretValuesOf(vars));
}

/** The credentials in the worker's own environment that the memory agent never inherits. */
function blockedCredentialsIn(base: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of BLOCKED_ENV_VARS) {
    if (/KEY|TOKEN|_URL$/.test(key)) out[key] = base[key];
  }
  return out;
}

// ---- saving --------------------------------------------------------------------------------

/** A rejected `.env` change; names the key and the fix. Nothing was written. */
export class EnvValidationError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnvValidationError';
  }
}

/** Keys whose value is an endpoint, not a secret: checked as URLs before saving. */
const URL_ENV_KEYS: readonly string[] = ['ANTHROPIC_BASE_URL'];

/** The value as shown in a message: URLs may carry user:password@, which is never echoed. */
function shownUrl(value: string): string {
  return value.includes('@') ? '(not shown: it contains credentials)' : JSON.stringify(value);
}

/**
 * Why a value cannot be saved under `key`, or null. Base URLs must be absolute http(s) URLs with a
 * host: a bare host name or a typo would otherwise only fail later, inside the worker.
 */
export function envValueProblem(key: string, value: string): string | null {
  if (!URL_ENV_KEYS.includes(key) || value === '') return null;
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
    return `${key} must be an absolute http:// or https:// URL such as https://gateway.example.com; got ${shownUrl(value)}.`;
  }
  return null;
}

/**
 * Things worth knowing about a value that is still saved. ANTHROPIC_BASE_URL ending in /v1: the
 * Anthropic SDK appends /v1/messages itself, so most gateways then see /v1/v1/messages (a few
 * really do serve under …/v1/v1, hence a warning and not a refusal).
 */
export function envValueWarnings(key: string, value: string): string[] {
  if (key !== 'ANTHROPIC_BASE_URL' || value === '' || envValueProblem(key, value) !== null) return [];
  if (!/\/v1\/?$/.test(new URL(value).pathname)) return [];
  const target = value.includes('@') ? '…/v1/v1/messages' : `${value.replace(/\/$/, '')}/v1/messages`;
  return [`${key} ends in /v1, but the Anthropic SDK appends /v1/messages itself: requests will go to ${target}. Drop the trailing /v1 unless your gateway really serves that path.`];
}

/** Quote a value so scanEnv reads it back byte for byte. */
function serialiseValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+=,%~-]*$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/[\\"$`]/g, (c) => '\\' + c)}"`;
}

/** Narrow a directory or file to `mode` when group/other have any access (SPEC §4.1). */
function repairMode(p: string, mode: number): void {
  if (process.platform === 'win32') return;
  const current = fs.statSync(p).mode & 0o777;
  if (current & 0o077 || (current & 0o700) !== (mode & 0o700)) fs.chmodSync(p, mode);
}

/**
 * Merge `partial` into DATA_DIR/.env and write it atomically: directory 0700, file 0600 (wider
 * modes on existing ones are repaired). `''` or `undefined` removes a key. Comments, other lines
 * and their order are preserved. Returns the credentials now in the file.
 */
export function saveClaudeMemEnv(partial: Partial<Record<string, string | undefined>>, filePath: string = envFilePath()): ClaudeMemEnv {
  for (const [key, value] of Object.entries(partial)) {
    if (!isRecognisedEnvKey(key)) {
      throw new EnvValidationError(key, `${key} is not a recognised .env key. Recognised keys: ${RECOGNISED_ENV_KEYS.join(', ')}.`);
    }
    if (value !== undefined && typeof value !== 'string') {
      throw new EnvValidationError(key, `${key}: value must be a string.`);
    }
    if (value !== undefined && /[\r\n\0]/.test(value)) {
      throw new EnvValidationError(key, `${key}: value must be a single line (no newline or NUL characters).`);
    }
    const problem = value === undefined ? null : envValueProblem(key, value);
    if (problem) throw new EnvValidationError(key, problem);
  }

  const dir = path.dirname(filePath);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  repairMode(dir, 0o700);

  let text = '';
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { statements } = scanEnv(text);

  const pending = new Map<string, string | undefined>(Object.entries(partial));
  let out = '';
  let last = 0;
  for (const s of statements) {
    if (!Object.prototype.hasOwnProperty.call(partial, s.key)) continue;
    out += text.slice(last, s.start);
    last = s.end;
    // First occurrence of a key takes the new value; later duplicates are dropped.
    if (pending.has(s.key)) {
      const v = pending.get(s.key);
      pending.delete(s.key);
      if (v !== undefined && v !== '') out += `${s.key}=${serialiseValue(v)}\n`;
    }
  }
  out += text.slice(last);
  for (const [key, v] of pending) {
    if (v === undefined || v === '') continue;
    if (out !== '' && !out.endsWith('\n')) out += '\n';
    out += `${key}=${serialiseValue(v)}\n`;
  }

  writeFileAtomic(filePath, out, 0o600);
  const saved = parseEnvFile(out).values;
  registerCredentialValues('file', saved);
  return saved;
}

// ---- Claude Code auto-detection (SPEC §4.4) -------------------------------------------------

/**
 * The credential keys in the `env` block of Claude Code's settings.json (non-empty strings only).
 * A missing or malformed file gives {} — auto-detection is a convenience, never a failure.
 */
export function readClaudeCodeEnv(settingsFile: string = claudeSettingsPath()): Partial<Record<AutodetectKey, string>> {
  let data: unknown;
  try {
    data = readJsonFile(settingsFile);
  } catch {
    return {};
  }
  const env = (data as { env?: unknown } | undefined)?.env;
  if (!env || typeof env !== 'object' || Array.isArray(env)) return {};
  const out: Partial<Record<AutodetectKey, string>> = {};
  for (const key of AUTODETECT_KEYS) {
    const v = (env as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.trim() !== '') out[key] = v;
  }
  return out;
}

export interface IsolatedEnvOptions {
  /** The worker's environment to start from; defaults to `process.env`. */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Take credentials from Claude Code's settings.json for keys .env does not set. Defaults to the
   * `CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV` setting.
   */
  autodetect?: boolean;
  /** Override file locations (tests, doctor). */
  envFile?: string;
  claudeSettingsFile?: string;
}

function autodetectEnabled(opts: IsolatedEnvOptions): boolean {
  if (opts.autodetect !== undefined) return opts.autodetect;
  const { settings } = loadSettings({ createIfMissing: false, env: opts.baseEnv ?? process.env });
  return getBool(settings, 'CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV');
}

/**
 * The environment for the memory agent's provider: `baseEnv` minus BLOCKED_ENV_VARS, plus the
 * auto-detected Claude Code values (opt-in) for keys .env does not set, plus the .env credentials,
 * plus CLAUDE_MEM_INTERNAL=1 (so hooks inside the agent's own process do nothing). Nothing else is
 * added or rewritten; values are passed through exactly as written.
 */
export function buildIsolatedEnv(opts: IsolatedEnvOptions = {}): Record<string, string> {
  const base = opts.baseEnv ?? process.env;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !BLOCKED.has(key)) out[key] = value;
  }
  registerCredentialValues('process', blockedCredentialsIn(base));
  const fromFile = loadClaudeMemEnv(opts.envFile);
  if (autodetectEnabled(opts)) {
    const detected = readClaudeCodeEnv(opts.claudeSettingsFile);
    registerCredentialValues('claude-code', detected);
    for (const [key, value] of Object.entries(detected)) {
      if (!(key in fromFile)) out[key] = value;
    }
  }
  Object.assign(out, fromFile);
  out.CLAUDE_MEM_INTERNAL = '1';
  return out;
}

// ---- diagnostics (doctor) ------------------------------------------------------------------

export type CredentialSourceName = '.env' | 'claude-code-settings' | 'not set';

export interface CredentialSource {
  key: string;
  source: CredentialSourceName;
  set: boolean;
}

export interface CredentialReport {
  /** One entry per RECOGNISED_ENV_KEYS key. Sources only, never values. */
  credentials: CredentialSource[];
  /** Where ANTHROPIC_DEFAULT_HAIKU_MODEL would come from (only auto-detection provides it). */
  haikuModel: CredentialSource;
  /** Blocked variables present in the worker's own environment: ignored for the memory agent. */
  blockedInShell: string[];
  /** Whether auto-detection was consulted. */
  autodetect: boolean;
  /** Unrecognised key names found in .env. */
  ignoredEnvKeys: string[];
}

/** Which source each credential would come from. Never returns or logs a value. */
export function describeCredentialSources(opts: IsolatedEnvOptions = {}): CredentialReport {
  const base = opts.baseEnv ?? process.env;
  const parsed = readClaudeMemEnv(opts.envFile);
  const autodetect = autodetectEnabled(opts);
  const detected = autodetect ? readClaudeCodeEnv(opts.claudeSettingsFile) : {};
  const sourceOf = (key: string): CredentialSource => {
    if (isRecognisedEnvKey(key) && parsed.values[key] !== undefined) return { key, source: '.env', set: true };
    if ((detected as Record<string, string | undefined>)[key] !== undefined) return { key, source: 'claude-code-settings', set: true };
    return { key, source: 'not set', set: false };
  };
  return {
    credentials: RECOGNISED_ENV_KEYS.map(sourceOf),
    haikuModel: sourceOf('ANTHROPIC_DEFAULT_HAIKU_MODEL'),
    blockedInShell: BLOCKED_ENV_VARS.filter((k) => base[k] !== undefined && base[k] !== ''),
    autodetect,
    ignoredEnvKeys: parsed.ignored,
  };
}
