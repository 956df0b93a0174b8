// The one owner of DATA_DIR/settings.json (SPEC §3): defaults ← file (known keys) ← process env.
// Flat and string-valued on disk, validated per key here, typed by the getters at the bottom.
// Node builtins only (no zod): the hook bundle imports this file and must start fast.
import fs from 'node:fs';
import path from 'node:path';
import { JsonFileError, parseJsonText, writeFileAtomic } from '../lib/fsutil.js';
import { setKnownSecrets, urlCredentialParts } from '../lib/redact.js';
import { ensureDataDir, settingsPath } from './paths.js';

export type SettingKind =
  | { type: 'string'; nonEmpty?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'url' }
  | { type: 'list' }
  | { type: 'database-url' };

interface SettingSpec {
  default: string;
  description: string;
  kind: SettingKind;
  /** Credentials: write-only in the viewer, never echoed in messages. */
  secret?: boolean;
}

const str = (nonEmpty = false): SettingKind => ({ type: 'string', nonEmpty });
const int = (min = 0, max?: number): SettingKind => ({ type: 'int', min, max });
const bool: SettingKind = { type: 'bool' };
const url: SettingKind = { type: 'url' };
const list: SettingKind = { type: 'list' };
const oneOf = (...values: string[]): SettingKind => ({ type: 'enum', values });

export const PROVIDERS = ['claude', 'openrouter', 'gemini', 'openai'] as const;
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

/** Every setting, in the order docs and the viewer show them. */
export const SETTINGS_SPEC = {
  CLAUDE_MEM_PROVIDER: {
    default: 'claude',
    kind: oneOf(...PROVIDERS),
    description: 'LLM provider for the memory agent: claude (Anthropic-compatible), openrouter, gemini, or openai (any OpenAI-compatible endpoint).',
  },
  CLAUDE_MEM_MODEL: {
    default: 'claude-haiku-4-5-20251001',
    kind: str(true),
    description: 'Model for the claude provider, sent to the backend exactly as written (gateway ids and inference profiles included).',
  },
  CLAUDE_MEM_CLAUDE_TRANSPORT: {
    default: 'api',
    kind: oneOf('api', 'agent-sdk'),
    description: 'How the claude provider talks: api (Messages API in-process) or agent-sdk (Claude Agent SDK, uses your Claude Code login).',
  },
  CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV: {
    default: 'false',
    kind: bool,
    description: "Reuse ANTHROPIC_BASE_URL / ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY / ANTHROPIC_DEFAULT_HAIKU_MODEL from the env block of Claude Code's settings.json when ~/.claude-mem/.env does not set them.",
  },
  CLAUDE_MEM_OPENROUTER_MODEL: {
    default: 'anthropic/claude-haiku-4.5',
    kind: str(true),
    description: 'Model id for the openrouter provider.',
  },
  CLAUDE_MEM_OPENROUTER_BASE_URL: {
    default: 'https://openrouter.ai/api/v1',
    kind: url,
    description: 'OpenRouter API base URL (includes /v1).',
  },
  CLAUDE_MEM_OPENROUTER_API_KEY: {
    default: '',
    kind: str(),
    secret: true,
    description: 'OpenRouter API key (alternatively OPENROUTER_API_KEY in ~/.claude-mem/.env).',
  },
  CLAUDE_MEM_OPENROUTER_SITE_URL: {
    default: '',
    kind: url,
    description: 'Optional site URL sent to OpenRouter for attribution (HTTP-Referer).',
  },
  CLAUDE_MEM_OPENROUTER_APP_NAME: {
    default: 'claude-mem',
    kind: str(),
    description: 'App name sent to OpenRouter for attribution (X-Title).',
  },
  CLAUDE_MEM_OPENAI_BASE_URL: {
    default: 'https://api.openai.com/v1',
    kind: url,
    description: 'Base URL of an OpenAI-compatible endpoint, including /v1 (Ollama: http://127.0.0.1:11434/v1).',
  },
  CLAUDE_MEM_OPENAI_MODEL: {
    default: 'gpt-4.1-mini',
    kind: str(true),
    description: 'Model id for the openai provider.',
  },
  CLAUDE_MEM_OPENAI_API_KEY: {
    default: '',
    kind: str(),
    secret: true,
    description: 'API key for the openai provider; optional for local servers (alternatively OPENAI_API_KEY in .env).',
  },
  CLAUDE_MEM_GEMINI_MODEL: {
    default: 'gemini-2.5-flash-lite',
    kind: str(true),
    description: 'Model id for the gemini provider.',
  },
  CLAUDE_MEM_GEMINI_API_KEY: {
    default: '',
    kind: str(),
    secret: true,
    description: 'Gemini API key (alternatively GEMINI_API_KEY in .env).',
  },
  CLAUDE_MEM_GEMINI_BASE_URL: {
    default: 'https://generativelanguage.googleapis.com',
    kind: url,
    description: 'Gemini API base URL.',
  },
  CLAUDE_MEM_WORKER_HOST: {
    default: '127.0.0.1',
    kind: str(true),
    description: 'Address the worker binds to. Keep it loopback unless you know why not.',
  },
  CLAUDE_MEM_WORKER_PORT: {
    default: '37777',
    kind: int(1, 65535),
    description: 'Port of the worker HTTP server (viewer at http://127.0.0.1:PORT/).',
  },
  CLAUDE_MEM_LOG_LEVEL: {
    default: 'INFO',
    kind: oneOf(...LOG_LEVELS),
    description: 'Worker log verbosity.',
  },
  CLAUDE_MEM_CONTEXT_OBSERVATIONS: {
    default: '50',
    kind: int(),
    description: 'How many recent observations the SessionStart context lists.',
  },
  CLAUDE_MEM_CONTEXT_SESSION_COUNT: {
    default: '10',
    kind: int(),
    description: 'How many recent sessions the SessionStart context draws from.',
  },
  CLAUDE_MEM_CONTEXT_FULL_COUNT: {
    default: '5',
    kind: int(),
    description: 'How many of the newest observations are shown in full.',
  },
  CLAUDE_MEM_CONTEXT_FULL_FIELD: {
    default: 'narrative',
    kind: oneOf('narrative', 'facts'),
    description: 'Which field the fully shown observations display.',
  },
  CLAUDE_MEM_CONTEXT_SHOW_LAST_SUMMARY: {
    default: 'true',
    kind: bool,
    description: "Show the last session summary's completed / learned / next steps.",
  },
  CLAUDE_MEM_CONTEXT_MAX_BYTES: {
    default: '8000',
    kind: int(),
    description: 'Hard cap on the injected context in bytes (Claude Code truncates above ~10 KB).',
  },
  CLAUDE_MEM_PROMPT_RECALL: {
    default: 'true',
    kind: bool,
    description: 'On UserPromptSubmit, add the few observations most relevant to the prompt (not given to the session yet); nothing when none is relevant enough.',
  },
  CLAUDE_MEM_SEARCH_RANK_LIMIT: {
    default: '5000',
    kind: int(10, 100_000_000),
    description:
      'Rows one keyword search ranks at most: it matches on its rarest words while their rows fit, and ranks only the newest 1,000 rows when every word is common. Higher is more exhaustive and slower on stores past ~50k observations.',
  },
  CLAUDE_MEM_HYBRID_VECTOR_WEIGHT: {
    default: '1',
    kind: int(0, 100),
    description:
      'With embeddings on: weight of the vector ranking in hybrid search, in percent of the keyword ranking (keyword first). 0 leaves the keyword order alone.',
  },
  CLAUDE_MEM_PROMPT_RECALL_MAX_BYTES: {
    default: '2048',
    kind: int(256, 65536),
    description: 'Hard cap of the prompt-time recall text (UTF-8 bytes, fence included).',
  },
  CLAUDE_MEM_FILE_CONTEXT: {
    default: 'true',
    kind: bool,
    description: 'On PreToolUse Read, add prior observations about that file as context.',
  },
  CLAUDE_MEM_SKIP_TOOLS: {
    default: 'ListMcpResourcesTool,SlashCommand,Skill,TodoWrite,AskUserQuestion',
    kind: list,
    description: 'Comma-separated tool names that are never captured.',
  },
  CLAUDE_MEM_EXCLUDED_PROJECTS: {
    default: '',
    kind: list,
    description: 'Comma-separated globs (*, **, ?, leading ~) matched against the cwd and its basename; matching projects are never captured.',
  },
  CLAUDE_MEM_DAILY_TOKEN_BUDGET: {
    default: '0',
    kind: int(),
    description: 'LLM tokens the memory agent may spend per UTC day; 0 = unlimited. Events stay queued once spent.',
  },
  CLAUDE_MEM_SESSION_TOKEN_BUDGET: {
    default: '0',
    kind: int(),
    description: "LLM tokens the memory agent may spend on one Claude Code session; 0 = unlimited. That session's events then stay queued until the cap is raised.",
  },
  CLAUDE_MEM_MODEL_PRICES: {
    default: '',
    kind: str(),
    description:
      'Prices for `claude-mem stats` and the viewer, as JSON: {"model": {"input": USD per million tokens, "output": …, "cache_read": …, "cache_write": …}}. Merged over the built-in list prices; a model with no price shows tokens only.',
  },
  CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: {
    default: '60000',
    kind: int(100),
    description:
      'Longest wait between probes while the backend is unavailable (connection errors, timeouts, 5xx, 429). The whole agent pauses; one request probes, on a backoff that doubles up to this cap.',
  },
  CLAUDE_MEM_REQUEST_TIMEOUT_MS: {
    default: '60000',
    kind: int(100),
    description: 'How long one memory-agent LLM request may take before it is abandoned (the backend then counts as unavailable).',
  },
  CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: {
    default: '5',
    kind: int(1),
    description: 'Processing attempts per queued event before it is dead-lettered. Only failures the backend answered count (a 400 for this event, an unusable reply); an outage never does.',
  },
  CLAUDE_MEM_AGENT_HISTORY_TURNS: {
    default: '0',
    kind: int(),
    description:
      'Earlier exchanges (batches and replies) of the same request sent again with each memory-agent request. 0 keeps the cost per event lowest; the titles already recorded are always sent.',
  },
  CLAUDE_MEM_BATCH_MAX_EVENTS: {
    default: '20',
    kind: int(1),
    description: "Most tool calls the memory agent records in one request. A batch never mixes prompts and ends at the turn's end, whose summary rides along.",
  },
  CLAUDE_MEM_BATCH_IDLE_MS: {
    default: '5000',
    kind: int(0),
    description: 'How long a prompt\'s tool calls may wait for more before they are recorded without the turn having ended (ms).',
  },
  CLAUDE_MEM_FIELD_MAX_CHARS: {
    default: '4000',
    kind: int(1),
    description: 'Per-field cap on tool input/output sent to the memory agent (head + tail kept).',
  },
  CLAUDE_MEM_HOOK_TIMEOUT_MS: {
    default: '1000',
    kind: int(1),
    description: 'How long a hook waits for the worker before failing open.',
  },
  CLAUDE_MEM_EMBEDDINGS: {
    default: 'none',
    kind: oneOf('none', 'openai', 'local', 'test'),
    description:
      'Vector search: none, openai (an OpenAI-compatible /v1/embeddings endpoint), local (transformers.js model files) or test (a built-in deterministic embedder for tests and evaluation only; it knows no synonyms).',
  },
  CLAUDE_MEM_EMBEDDINGS_BASE_URL: {
    default: 'http://127.0.0.1:11434/v1',
    kind: url,
    description: 'Base URL of the embeddings endpoint when CLAUDE_MEM_EMBEDDINGS=openai.',
  },
  CLAUDE_MEM_EMBEDDINGS_MODEL: {
    default: 'nomic-embed-text',
    kind: str(),
    description: 'Embedding model name.',
  },
  CLAUDE_MEM_EMBEDDINGS_MODEL_DIR: {
    default: '',
    kind: str(),
    description: 'Directory with local model files when CLAUDE_MEM_EMBEDDINGS=local.',
  },
  CLAUDE_MEM_DATABASE_URL: {
    default: '',
    kind: { type: 'database-url' },
    description: 'Empty: the embedded SQLite store. postgres://…: a shared PostgreSQL store (team mode).',
  },
  CLAUDE_MEM_SHARED_PROJECTS: {
    default: '',
    kind: list,
    description: 'With CLAUDE_MEM_DATABASE_URL set: comma-separated globs of projects that are shared.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingsKey = keyof typeof SETTINGS_SPEC;
export type Settings = Record<SettingsKey, string>;

export const SETTINGS_KEYS = Object.keys(SETTINGS_SPEC) as SettingsKey[];

export const SETTINGS_DEFAULTS: Readonly<Settings> = Object.freeze(
  Object.fromEntries(SETTINGS_KEYS.map((k) => [k, SETTINGS_SPEC[k].default])) as Settings,
);

export const SETTINGS_DESCRIPTIONS: Readonly<Record<SettingsKey, string>> = Object.freeze(
  Object.fromEntries(SETTINGS_KEYS.map((k) => [k, SETTINGS_SPEC[k].description])) as Record<SettingsKey, string>,
);

/** How each setting is validated, for forms: enums list their values, ints their range. */
export const SETTINGS_KINDS: Readonly<Record<SettingsKey, SettingKind>> = Object.freeze(
  Object.fromEntries(SETTINGS_KEYS.map((k) => [k, SETTINGS_SPEC[k].kind])) as Record<SettingsKey, SettingKind>,
);

/** Keys holding credentials: the viewer shows them write-only and messages never echo them. */
export const SECRET_SETTINGS_KEYS: readonly SettingsKey[] = SETTINGS_KEYS.filter(
  (k) => (SETTINGS_SPEC[k] as SettingSpec).secret === true,
);

export function isSettingsKey(key: string): key is SettingsKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS_SPEC, key);
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The setting a mistyped key most likely meant: same name in another case, the name without its
 * CLAUDE_MEM_ prefix, or a close spelling (a few edits, scaled with the length). Null when none is
 * close enough to be a useful guess.
 */
export function suggestSettingKey(key: string): SettingsKey | null {
  const norm = (k: string) => k.toUpperCase().replace(/[-.\s]/g, '_').replace(/^CLAUDE_MEM_/, '');
  const wanted = norm(key);
  let best: { key: SettingsKey; d: number } | null = null;
  for (const k of SETTINGS_KEYS) {
    const d = editDistance(wanted, norm(k));
    if (!best || d < best.d) best = { key: k, d };
  }
  if (!best) return null;
  return best.d <= Math.max(1, Math.min(3, Math.floor(wanted.length / 5))) ? best.key : null;
}

/** "X: unknown setting. Did you mean Y?" (or the list of settings when nothing is close). */
function unknownKeyMessage(key: string, where: string): string {
  const guess = suggestSettingKey(key);
  return guess
    ? `${key}: unknown setting${where}. Did you mean ${guess}?`
    : `${key}: unknown setting${where}. Known settings: ${SETTINGS_KEYS.join(', ')}.`;
}

/** Allowed values in words, for error messages and docs. */
export function describeAllowed(key: SettingsKey): string {
  const kind: SettingKind = SETTINGS_SPEC[key].kind;
  switch (kind.type) {
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'int':
      return kind.max !== undefined
        ? `an integer from ${kind.min ?? 0} to ${kind.max}`
        : `an integer >= ${kind.min ?? 0}`;
    case 'bool':
      return '"true" or "false"';
    case 'url':
      return 'an http:// or https:// URL, or empty';
    case 'list':
      return 'a comma-separated list';
    case 'database-url':
      return 'empty (embedded SQLite) or a postgres:// / postgresql:// URL';
    case 'string':
      return kind.nonEmpty ? 'a non-empty string' : 'any string';
  }
}

export type ValidationResult = { ok: true; value: string } | { ok: false; message: string };

/**
 * Validate one raw value and return its canonical form (trimmed; enums and booleans accepted in any
 * case and normalised). The message names the key, the bad value (never for secrets) and what is
 * allowed.
 */
export function validateSetting(key: SettingsKey, raw: string): ValidationResult {
  const spec: SettingSpec = SETTINGS_SPEC[key];
  const kind = spec.kind;
  const value = kind.type === 'string' ? raw : raw.trim();
  const bad = (): ValidationResult => ({
    ok: false,
    message: `${key}: invalid value ${spec.secret ? '(hidden)' : JSON.stringify(raw)}; expected ${describeAllowed(key)}.`,
  });
  if (/[\r\n\0]/.test(value)) return bad();
  switch (kind.type) {
    case 'string':
      return kind.nonEmpty && value.trim() === '' ? bad() : { ok: true, value };
    case 'list':
      return { ok: true, value };
    case 'enum': {
      const hit = kind.values.find((v) => v.toLowerCase() === value.toLowerCase());
      return hit === undefined ? bad() : { ok: true, value: hit };
    }
    case 'bool': {
      const v = value.toLowerCase();
      return v === 'true' || v === 'false' ? { ok: true, value: v } : bad();
    }
    case 'int': {
      if (!/^\d+$/.test(value)) return bad();
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < (kind.min ?? 0) || (kind.max !== undefined && n > kind.max)) return bad();
      return { ok: true, value: String(n) };
    }
    case 'url': {
      if (value === '') return { ok: true, value };
      return isHttpUrl(value) ? { ok: true, value } : bad();
    }
    case 'database-url': {
      if (value === '') return { ok: true, value };
      return /^postgres(ql)?:\/\/\S+$/i.test(value) ? { ok: true, value } : bad();
    }
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** A problem found while loading settings. Loading never throws; it reports and falls back. */
export interface SettingsIssue {
  /** The setting concerned; absent for whole-file problems and unknown keys. */
  key?: SettingsKey;
  /** An unknown CLAUDE_MEM_* key (likely a typo): reported, but no value changed because of it. */
  severity?: 'warning';
  source: 'file' | 'env';
  /** settings.json path for file issues. */
  path?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface LoadSettingsOptions {
  /** Defaults to `settingsPath()`. */
  path?: string;
  /** Environment consulted for overrides; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Write a file with every default when none exists (first run). Default true. */
  createIfMissing?: boolean;
}

export interface LoadedSettings {
  settings: Settings;
  errors: SettingsIssue[];
  /** True when this call created the file with defaults. */
  created?: boolean;
}

/**
 * Load settings: defaults ← file (known keys only) ← env var of the same name (non-empty).
 * An invalid value at one layer is reported and that layer is skipped for that key. A malformed
 * file is reported with line/column and defaults are used; the file is left untouched.
 */
export function loadSettings(opts: LoadSettingsOptions = {}): LoadedSettings {
  const file = opts.path ?? settingsPath();
  const env = opts.env ?? process.env;
  const errors: SettingsIssue[] = [];
  const settings: Settings = { ...SETTINGS_DEFAULTS };
  let created = false;

  const read = readSettingsFile(file);
  if (read.kind === 'missing') {
    if (opts.createIfMissing !== false) {
      try {
        if (!opts.path) ensureDataDir();
        else fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        writeSettingsObject(file, { ...SETTINGS_DEFAULTS });
        created = true;
      } catch (err) {
        errors.push({ source: 'file', path: file, message: `Could not create ${file}: ${(err as Error).message}` });
      }
    }
  } else if (read.kind === 'error') {
    errors.push(read.issue);
  } else {
    for (const [key, rawValue] of Object.entries(read.data)) {
      if (!isSettingsKey(key)) {
        // Unknown keys stay in the file, ignored. One that looks like ours is probably a typo
        // that silently leaves the default in force: say so, with the likely intended key.
        if (/^claude[-_]mem[-_]/i.test(key) || suggestSettingKey(key)) {
          errors.push({ source: 'file', path: file, severity: 'warning', message: `${unknownKeyMessage(key, ` in ${file}, ignored`)}` });
        }
        continue;
      }
      const raw = coerceFileValue(rawValue);
      if (raw === undefined) {
        errors.push({ key, source: 'file', path: file, message: `${key}: expected a string value in ${file}; using the default.` });
        continue;
      }
      const v = validateSetting(key, raw);
      if (v.ok) settings[key] = v.value;
      else errors.push({ key, source: 'file', path: file, message: `${v.message} (in ${file}; using the default)` });
    }
  }

  for (const key of SETTINGS_KEYS) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue; // an empty export means "not set"
    const v = validateSetting(key, raw);
    if (v.ok) settings[key] = v.value;
    else errors.push({ key, source: 'env', message: `${v.message} (environment variable; ignored)` });
  }

  // Exact values of secret settings are redacted wherever they appear (lib/redact.ts).
  setKnownSecrets('settings', [
    ...SECRET_SETTINGS_KEYS.map((k) => settings[k]),
    ...SETTINGS_KEYS.filter((k) => k.endsWith('_URL')).flatMap((k) => urlCredentialParts(settings[k] ?? '')),
  ]);
  return { settings, errors, ...(created ? { created } : {}) };
}

/** Hand-edited files sometimes hold numbers or booleans; accept those, reject objects/arrays/null. */
function coerceFileValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

type FileRead =
  | { kind: 'missing' }
  | { kind: 'ok'; data: Record<string, unknown> }
  | { kind: 'error'; issue: SettingsIssue };

function readSettingsFile(file: string): FileRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'error', issue: { source: 'file', path: file, message: `Could not read ${file}: ${(err as Error).message}; using defaults.` } };
  }
  let data: unknown;
  try {
    data = parseJsonText(text, file);
  } catch (err) {
    if (err instanceof JsonFileError) {
      return {
        kind: 'error',
        issue: {
          source: 'file',
          path: file,
          line: err.line,
          column: err.column,
          message: `${file}:${err.line}:${err.column}: invalid JSON (${err.detail}); using defaults. The file was not changed — fix it by hand or delete it to regenerate.`,
        },
      };
    }
    throw err;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      kind: 'error',
      issue: { source: 'file', path: file, line: 1, column: 1, message: `${file}: expected a JSON object of "CLAUDE_MEM_*": "value" pairs; using defaults. The file was not changed.` },
    };
  }
  return { kind: 'ok', data: data as Record<string, unknown> };
}

function writeSettingsObject(file: string, data: Record<string, unknown>): void {
  // 0600: the file may hold provider API keys (CLAUDE_MEM_*_API_KEY).
  writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n', 0o600);
}

/** A rejected save. `issues` lists every bad key with a message naming the fix. */
export class SettingsValidationError extends Error {
  constructor(readonly issues: { key: string; message: string }[]) {
    super(`Invalid settings:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`);
    this.name = 'SettingsValidationError';
  }
}

/** The existing settings file cannot be safely merged into (malformed); nothing was written. */
export class SettingsFileError extends Error {
  constructor(
    message: string,
    readonly issue: SettingsIssue,
  ) {
    super(message);
    this.name = 'SettingsFileError';
  }
}

/**
 * Validate and save some settings. Merges into the existing file (unknown keys kept), writes
 * atomically with mode 0600. Throws `SettingsValidationError` (nothing written) when any value is
 * invalid and `SettingsFileError` when the existing file is malformed. Returns the reloaded settings.
 */
export function saveSettings(partial: Record<string, unknown>, opts: Omit<LoadSettingsOptions, 'createIfMissing'> = {}): LoadedSettings {
  const file = opts.path ?? settingsPath();
  const issues: { key: string; message: string }[] = [];
  const clean: Partial<Settings> = {};
  for (const [key, value] of Object.entries(partial)) {
    if (!isSettingsKey(key)) {
      issues.push({ key, message: unknownKeyMessage(key, '') });
      continue;
    }
    if (typeof value !== 'string') {
      issues.push({ key, message: `${key}: value must be a string (got ${value === null ? 'null' : typeof value}); expected ${describeAllowed(key)}.` });
      continue;
    }
    const v = validateSetting(key, value);
    if (v.ok) clean[key] = v.value;
    else issues.push({ key, message: v.message });
  }
  if (issues.length > 0) throw new SettingsValidationError(issues);

  const read = readSettingsFile(file);
  if (read.kind === 'error') {
    throw new SettingsFileError(`Refusing to save settings: ${read.issue.message}`, read.issue);
  }
  const base: Record<string, unknown> = read.kind === 'ok' ? read.data : { ...SETTINGS_DEFAULTS };
  if (!opts.path) ensureDataDir();
  else fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeSettingsObject(file, { ...base, ...clean });
  return loadSettings({ path: file, env: opts.env, createIfMissing: false });
}

// ---- typed getters -------------------------------------------------------------------------

/** Integer value of a setting; falls back to the default if the value is somehow not an integer. */
export function getInt(settings: Settings, key: SettingsKey): number {
  const n = Number.parseInt(settings[key], 10);
  if (Number.isFinite(n)) return n;
  const d = Number.parseInt(SETTINGS_DEFAULTS[key], 10);
  return Number.isFinite(d) ? d : 0;
}

export function getBool(settings: Settings, key: SettingsKey): boolean {
  return settings[key]?.trim().toLowerCase() === 'true';
}

/** Comma-separated list: items trimmed, empty items dropped. */
export function getList(settings: Settings, key: SettingsKey): string[] {
  return splitList(settings[key] ?? '');
}

export function splitList(csv: string): string[] {
  return csv
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Settings read once at start (the listener, the provider, the embedder, the store) take effect
 * only after a restart; the rest are read on use.
 */
const RESTART_KEY_PATTERN =
  /^CLAUDE_MEM_(WORKER_HOST|WORKER_PORT|PROVIDER|MODEL|CLAUDE_TRANSPORT|AUTODETECT_CLAUDE_CODE_ENV|OPENAI_.*|OPENROUTER_.*|GEMINI_.*|EMBEDDINGS.*|DATABASE_URL|SHARED_PROJECTS|SEARCH_RANK_LIMIT|HYBRID_VECTOR_WEIGHT|REQUEST_TIMEOUT_MS)$/;

/** Settings as a browser may see them: secret values only as '' (the viewer shows set / not set). */
export function publicSettings(settings: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SETTINGS_KEYS) out[k] = SECRET_SETTINGS_KEYS.includes(k) ? '' : settings[k];
  return out;
}

/**
 * Saves what the viewer sent. An empty value for a secret means "unchanged" (the browser never
 * had the old one). Says whether a changed key needs a restart. Throws like saveSettings.
 */
export function updateSettingsFromViewer(
  body: Record<string, string>,
  before: Settings,
): { settings: Record<string, string>; restartRequired: boolean } {
  const changes = { ...body };
  for (const k of SECRET_SETTINGS_KEYS) if (changes[k] === '') delete changes[k];
  const saved = saveSettings(changes);
  const restartRequired = Object.keys(changes).some((k) => RESTART_KEY_PATTERN.test(k) && before[k as SettingsKey] !== changes[k]);
  return { settings: publicSettings(saved.settings), restartRequired };
}
