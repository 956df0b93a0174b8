import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonText, readJsonFile, scanJsonError, writeFileAtomic, JsonFileError } from '../../src/lib/fsutil.js';
import { dataDir, ensureDataDir, expandHome, settingsPath, workerLogPath } from '../../src/config/paths.js';
import {
  getBool,
  getInt,
  getList,
  loadSettings,
  saveSettings,
  SECRET_SETTINGS_KEYS,
  SETTINGS_DEFAULTS,
  SETTINGS_DESCRIPTIONS,
  SETTINGS_KEYS,
  SettingsFileError,
  SettingsValidationError,
  suggestSettingKey,
} from '../../src/config/SettingsManager.js';

let dir: string;
const savedDataDir = process.env.CLAUDE_MEM_DATA_DIR;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-settings-'));
  process.env.CLAUDE_MEM_DATA_DIR = dir;
});

afterEach(() => {
  if (savedDataDir === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
  else process.env.CLAUDE_MEM_DATA_DIR = savedDataDir;
  fs.rmSync(dir, { recursive: true, force: true });
});

const readFile = (): Record<string, string> => JSON.parse(fs.readFileSync(settingsPath(), 'utf8'));

describe('paths', () => {
  it('follows CLAUDE_MEM_DATA_DIR at call time and expands ~', () => {
    expect(dataDir()).toBe(dir);
    expect(workerLogPath()).toBe(path.join(dir, 'logs', 'worker.log'));
    process.env.CLAUDE_MEM_DATA_DIR = '~/somewhere-else';
    expect(dataDir()).toBe(path.join(os.homedir(), 'somewhere-else'));
    expect(expandHome('~')).toBe(os.homedir());
    expect(expandHome('/a/~b')).toBe('/a/~b');
  });

  it.skipIf(process.platform === 'win32')('ensureDataDir creates 0700 and repairs a wider mode', () => {
    const sub = path.join(dir, 'data');
    process.env.CLAUDE_MEM_DATA_DIR = sub;
    ensureDataDir();
    expect(fs.statSync(sub).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(sub, 'logs')).isDirectory()).toBe(true);
    fs.chmodSync(sub, 0o755);
    ensureDataDir();
    expect(fs.statSync(sub).mode & 0o777).toBe(0o700);
  });
});

describe('fsutil', () => {
  it('writeFileAtomic replaces content, applies the mode and leaves no temp files', () => {
    const f = path.join(dir, 'x.json');
    fs.writeFileSync(f, 'old', { mode: 0o644 });
    writeFileAtomic(f, 'new', 0o600);
    expect(fs.readFileSync(f, 'utf8')).toBe('new');
    if (process.platform !== 'win32') expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['x.json']);
  });

  it('readJsonFile: undefined when missing, line/column when malformed', () => {
    expect(readJsonFile(path.join(dir, 'nope.json'))).toBeUndefined();
    const f = path.join(dir, 'bad.json');
    fs.writeFileSync(f, '{\n  "a": "1",\n  "b": }\n');
    try {
      readJsonFile(f);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JsonFileError);
      const e = err as JsonFileError;
      expect([e.line, e.column]).toEqual([3, 8]);
      expect(e.message).toContain(`${f}:3:8`);
    }
  });

  it('locates errors V8 reports without a position', () => {
    // "Unexpected token" messages in Node 20 carry no position; our scanner finds it.
    expect(() => parseJsonText('{"a": x}', 'f')).toThrow(/f:1:7/);
    expect(scanJsonError('{"a": [1, 2,]}')).toBe(12);
    expect(scanJsonError('{"a": [1, 2]}')).toBeNull();
    expect(scanJsonError('')).toBe(0);
  });

  it('does not echo file content (which may hold a secret) in the error', () => {
    try {
      parseJsonText('{"CLAUDE_MEM_OPENAI_API_KEY": "sk-secret-value" x}', 'f');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('sk-secret-value');
    }
  });
});

describe('loadSettings', () => {
  it('creates the file with every default on first run', () => {
    expect(fs.existsSync(settingsPath())).toBe(false);
    const { settings, errors, created } = loadSettings({ env: {} });
    expect(errors).toEqual([]);
    expect(created).toBe(true);
    expect(settings).toEqual(SETTINGS_DEFAULTS);
    expect(readFile()).toEqual(SETTINGS_DEFAULTS);
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('37777');
    expect(settings.CLAUDE_MEM_MODEL).toBe('claude-haiku-4-5-20251001');
    expect(settings.CLAUDE_MEM_GEMINI_BASE_URL).toBe('https://generativelanguage.googleapis.com');
    if (process.platform !== 'win32') {
      expect(fs.statSync(settingsPath()).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    }
    // Second load does not report creation.
    expect(loadSettings({ env: {} }).created).toBeUndefined();
  });

  it('createIfMissing:false leaves the disk alone', () => {
    const { settings } = loadSettings({ env: {}, createIfMissing: false });
    expect(settings).toEqual(SETTINGS_DEFAULTS);
    expect(fs.existsSync(settingsPath())).toBe(false);
  });

  it('layers defaults ← file ← env, ignoring unknown keys', () => {
    fs.writeFileSync(
      settingsPath(),
      JSON.stringify({ CLAUDE_MEM_WORKER_PORT: '40000', CLAUDE_MEM_MODEL: 'glm-4.7', SOMETHING_ELSE: 'kept' }),
    );
    const { settings, errors } = loadSettings({ env: { CLAUDE_MEM_WORKER_PORT: '41000', CLAUDE_MEM_LOG_LEVEL: '' } });
    expect(errors).toEqual([]);
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('41000'); // env wins
    expect(settings.CLAUDE_MEM_MODEL).toBe('glm-4.7'); // file, byte for byte
    expect(settings.CLAUDE_MEM_LOG_LEVEL).toBe('INFO'); // empty env = not set
    expect((settings as Record<string, string>).SOMETHING_ELSE).toBeUndefined();
  });

  it('reads process.env by default', () => {
    process.env.CLAUDE_MEM_CONTEXT_OBSERVATIONS = '7';
    try {
      expect(loadSettings().settings.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toBe('7');
    } finally {
      delete process.env.CLAUDE_MEM_CONTEXT_OBSERVATIONS;
    }
  });

  it('reports a malformed file with path, line and column, uses defaults and never overwrites it', () => {
    const text = '{\n  "CLAUDE_MEM_WORKER_PORT": "40000",\n  "CLAUDE_MEM_PROVIDER": "claude"\n  "CLAUDE_MEM_MODEL": "x"\n}\n';
    fs.writeFileSync(settingsPath(), text);
    const { settings, errors } = loadSettings({ env: {} });
    expect(settings).toEqual(SETTINGS_DEFAULTS);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ source: 'file', path: settingsPath(), line: 4, column: 3 });
    expect(errors[0].message).toContain(`${settingsPath()}:4:3`);
    expect(fs.readFileSync(settingsPath(), 'utf8')).toBe(text);
    // Saving into a malformed file is refused, and the file still is not touched.
    expect(() => saveSettings({ CLAUDE_MEM_WORKER_PORT: '1234' }, { env: {} })).toThrow(SettingsFileError);
    expect(fs.readFileSync(settingsPath(), 'utf8')).toBe(text);
  });

  it('reports a non-object file without overwriting it', () => {
    fs.writeFileSync(settingsPath(), '["CLAUDE_MEM_PROVIDER"]');
    const { settings, errors } = loadSettings({ env: {} });
    expect(settings).toEqual(SETTINGS_DEFAULTS);
    expect(errors[0].message).toMatch(/expected a JSON object/);
    expect(fs.readFileSync(settingsPath(), 'utf8')).toBe('["CLAUDE_MEM_PROVIDER"]');
  });

  it('names invalid values, what is allowed, and falls back to the default for that key only', () => {
    fs.writeFileSync(
      settingsPath(),
      JSON.stringify({
        CLAUDE_MEM_PROVIDER: 'foo',
        CLAUDE_MEM_WORKER_PORT: 'abc',
        CLAUDE_MEM_LOG_LEVEL: 'LOUD',
        CLAUDE_MEM_CONTEXT_OBSERVATIONS: '2.5',
        CLAUDE_MEM_CONTEXT_SHOW_LAST_SUMMARY: 'yes',
        CLAUDE_MEM_OPENAI_BASE_URL: 'ftp://x',
        CLAUDE_MEM_DATABASE_URL: 'mysql://x',
        CLAUDE_MEM_CONTEXT_FULL_COUNT: '3',
      }),
    );
    const { settings, errors } = loadSettings({ env: {} });
    const byKey = Object.fromEntries(errors.map((e) => [e.key, e.message]));
    expect(byKey.CLAUDE_MEM_PROVIDER).toMatch(/CLAUDE_MEM_PROVIDER.*"foo".*claude, openrouter, gemini, openai/);
    expect(byKey.CLAUDE_MEM_WORKER_PORT).toMatch(/"abc".*integer from 1 to 65535/);
    expect(byKey.CLAUDE_MEM_LOG_LEVEL).toMatch(/"LOUD".*DEBUG, INFO, WARN, ERROR, SILENT/);
    expect(byKey.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toMatch(/"2.5".*integer >= 0/);
    expect(byKey.CLAUDE_MEM_CONTEXT_SHOW_LAST_SUMMARY).toMatch(/"yes".*"true" or "false"/);
    expect(byKey.CLAUDE_MEM_OPENAI_BASE_URL).toMatch(/http/);
    expect(byKey.CLAUDE_MEM_DATABASE_URL).toMatch(/postgres/);
    expect(errors).toHaveLength(7);
    expect(settings.CLAUDE_MEM_PROVIDER).toBe('claude');
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('37777');
    expect(settings.CLAUDE_MEM_LOG_LEVEL).toBe('INFO');
    expect(settings.CLAUDE_MEM_CONTEXT_FULL_COUNT).toBe('3'); // valid keys still apply
  });

  it('an invalid env override is reported and the file value kept', () => {
    fs.writeFileSync(settingsPath(), JSON.stringify({ CLAUDE_MEM_WORKER_PORT: '40000' }));
    const { settings, errors } = loadSettings({ env: { CLAUDE_MEM_WORKER_PORT: '99999' } });
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('40000');
    expect(errors).toEqual([expect.objectContaining({ key: 'CLAUDE_MEM_WORKER_PORT', source: 'env' })]);
  });

  it('normalises case of enums and booleans and accepts hand-written numbers', () => {
    fs.writeFileSync(settingsPath(), JSON.stringify({ CLAUDE_MEM_LOG_LEVEL: 'debug', CLAUDE_MEM_FILE_CONTEXT: 'FALSE', CLAUDE_MEM_WORKER_PORT: 40001 }));
    const { settings, errors } = loadSettings({ env: {} });
    expect(errors).toEqual([]);
    expect(settings.CLAUDE_MEM_LOG_LEVEL).toBe('DEBUG');
    expect(settings.CLAUDE_MEM_FILE_CONTEXT).toBe('false');
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('40001');
  });

  it('never echoes a secret value in an issue', () => {
    fs.writeFileSync(settingsPath(), JSON.stringify({ CLAUDE_MEM_OPENAI_API_KEY: 'sk-a\nb' }));
    const { errors } = loadSettings({ env: {} });
    expect(errors).toHaveLength(1);
    expect(errors[0].message).not.toContain('sk-a');
  });
});

describe('saveSettings', () => {
  it('merges atomically, keeping unknown keys', () => {
    fs.writeFileSync(settingsPath(), JSON.stringify({ CLAUDE_MEM_MODEL: 'm1', MY_OWN_NOTE: 'keep me' }, null, 2));
    const { settings } = saveSettings({ CLAUDE_MEM_WORKER_PORT: '40000', CLAUDE_MEM_PROVIDER: 'OpenAI' }, { env: {} });
    expect(settings.CLAUDE_MEM_WORKER_PORT).toBe('40000');
    expect(settings.CLAUDE_MEM_PROVIDER).toBe('openai');
    expect(readFile()).toEqual({ CLAUDE_MEM_MODEL: 'm1', MY_OWN_NOTE: 'keep me', CLAUDE_MEM_WORKER_PORT: '40000', CLAUDE_MEM_PROVIDER: 'openai' });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes defaults plus the change when no file exists', () => {
    saveSettings({ CLAUDE_MEM_EXCLUDED_PROJECTS: '~/secret/**' }, { env: {} });
    expect(readFile()).toEqual({ ...SETTINGS_DEFAULTS, CLAUDE_MEM_EXCLUDED_PROJECTS: '~/secret/**' });
  });

  it('rejects invalid values and unknown keys with a list, writing nothing', () => {
    loadSettings({ env: {} });
    const before = fs.readFileSync(settingsPath(), 'utf8');
    try {
      saveSettings({ CLAUDE_MEM_PROVIDER: 'foo', CLAUDE_MEM_WORKER_PORT: 'abc', CLAUDE_MEM_NOPE: 'x', CLAUDE_MEM_MODEL: 'ok', CLAUDE_MEM_FILE_CONTEXT: true });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsValidationError);
      const issues = (err as SettingsValidationError).issues;
      expect(issues.map((i) => i.key).sort()).toEqual(['CLAUDE_MEM_FILE_CONTEXT', 'CLAUDE_MEM_NOPE', 'CLAUDE_MEM_PROVIDER', 'CLAUDE_MEM_WORKER_PORT']);
      expect(issues.find((i) => i.key === 'CLAUDE_MEM_NOPE')!.message).toMatch(/unknown setting/);
      expect(issues.find((i) => i.key === 'CLAUDE_MEM_PROVIDER')!.message).toMatch(/claude, openrouter, gemini, openai/);
    }
    expect(fs.readFileSync(settingsPath(), 'utf8')).toBe(before);
  });
});

describe('typed getters and metadata', () => {
  it('getInt/getBool/getList', () => {
    const s = { ...SETTINGS_DEFAULTS, CLAUDE_MEM_SKIP_TOOLS: ' Read , ,Bash,', CLAUDE_MEM_EXCLUDED_PROJECTS: '' };
    expect(getInt(s, 'CLAUDE_MEM_WORKER_PORT')).toBe(37777);
    expect(getInt({ ...s, CLAUDE_MEM_WORKER_PORT: 'junk' }, 'CLAUDE_MEM_WORKER_PORT')).toBe(37777);
    expect(getBool(s, 'CLAUDE_MEM_CONTEXT_SHOW_LAST_SUMMARY')).toBe(true);
    expect(getBool(s, 'CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV')).toBe(false);
    expect(getList(s, 'CLAUDE_MEM_SKIP_TOOLS')).toEqual(['Read', 'Bash']);
    expect(getList(s, 'CLAUDE_MEM_EXCLUDED_PROJECTS')).toEqual([]);
  });

  it('every key has a default, a description and the documented extras exist', () => {
    for (const k of SETTINGS_KEYS) {
      expect(typeof SETTINGS_DEFAULTS[k]).toBe('string');
      expect(SETTINGS_DESCRIPTIONS[k].length).toBeGreaterThan(10);
    }
    expect(SETTINGS_DEFAULTS).toMatchObject({
      CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: '60000',
      CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: '5',
      CLAUDE_MEM_HOOK_TIMEOUT_MS: '1000',
      CLAUDE_MEM_FILE_CONTEXT: 'true',
      CLAUDE_MEM_AGENT_HISTORY_TURNS: '0',
      CLAUDE_MEM_FIELD_MAX_CHARS: '4000',
      CLAUDE_MEM_SKIP_TOOLS: 'ListMcpResourcesTool,SlashCommand,Skill,TodoWrite,AskUserQuestion',
      CLAUDE_MEM_OPENROUTER_BASE_URL: 'https://openrouter.ai/api/v1',
      CLAUDE_MEM_CONTEXT_MAX_BYTES: '8000',
    });
    expect(SECRET_SETTINGS_KEYS).toContain('CLAUDE_MEM_OPENROUTER_API_KEY');
    // The defaults themselves must validate (a typo here would fail every first run).
    expect(loadSettings({ env: { ...SETTINGS_DEFAULTS }, createIfMissing: false }).errors).toEqual([]);
  });
});

describe('unknown keys: did you mean', () => {
  it('suggests the setting a typo meant, and nothing for unrelated names', () => {
    expect(suggestSettingKey('CLAUDE_MEM_MODLE')).toBe('CLAUDE_MEM_MODEL');
    expect(suggestSettingKey('claude_mem_worker_port')).toBe('CLAUDE_MEM_WORKER_PORT');
    expect(suggestSettingKey('WORKER_PORT')).toBe('CLAUDE_MEM_WORKER_PORT');
    expect(suggestSettingKey('CLAUDE_MEM_SKIP_TOOL')).toBe('CLAUDE_MEM_SKIP_TOOLS');
    expect(suggestSettingKey('CLAUDE_MEM_DAILY_BUDGET')).toBe(null);
    expect(suggestSettingKey('MY_OWN_NOTE')).toBe(null);
  });

  it('saveSettings names the likely key', () => {
    try {
      saveSettings({ CLAUDE_MEM_PROVDER: 'openai' }, { env: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as SettingsValidationError).issues[0].message).toBe('CLAUDE_MEM_PROVDER: unknown setting. Did you mean CLAUDE_MEM_PROVIDER?');
    }
  });

  it('loadSettings warns about CLAUDE_MEM_* typos in the file but keeps quiet about other keys', () => {
    fs.writeFileSync(settingsPath(), JSON.stringify({ CLAUDE_MEM_MODLE: 'glm-4.7', CLAUDE_MEM_WHATEVER: '1', MY_OWN_NOTE: 'kept' }));
    const { settings, errors } = loadSettings({ env: {} });
    expect(settings.CLAUDE_MEM_MODEL).toBe(SETTINGS_DEFAULTS.CLAUDE_MEM_MODEL);
    expect(errors.map((e) => e.severity)).toEqual(['warning', 'warning']);
    expect(errors[0].message).toBe(`CLAUDE_MEM_MODLE: unknown setting in ${settingsPath()}, ignored. Did you mean CLAUDE_MEM_MODEL?`);
    expect(errors[1].message).toMatch(/^CLAUDE_MEM_WHATEVER: unknown setting in .*, ignored\. Known settings: CLAUDE_MEM_PROVIDER, /);
  });
});
