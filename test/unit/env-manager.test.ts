import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BLOCKED_ENV_VARS,
  buildIsolatedEnv,
  describeCredentialSources,
  envValueProblem,
  envValueWarnings,
  EnvValidationError,
  loadClaudeMemEnv,
  parseEnvFile,
  readClaudeCodeEnv,
  RECOGNISED_ENV_KEYS,
  saveClaudeMemEnv,
} from '../../src/config/EnvManager.js';
import { envFilePath, workerLogPath } from '../../src/config/paths.js';

const posix = process.platform !== 'win32';
let root: string;
let dir: string;
let claudeDir: string;
const saved = { data: process.env.CLAUDE_MEM_DATA_DIR, claude: process.env.CLAUDE_CONFIG_DIR };

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-env-'));
  dir = path.join(root, 'data');
  claudeDir = path.join(root, 'claude');
  process.env.CLAUDE_MEM_DATA_DIR = dir;
  process.env.CLAUDE_CONFIG_DIR = claudeDir;
});

afterEach(() => {
  for (const [k, v] of [
    ['CLAUDE_MEM_DATA_DIR', saved.data],
    ['CLAUDE_CONFIG_DIR', saved.claude],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

function writeClaudeSettings(data: unknown): void {
  fs.mkdirSync(claudeDir, { recursive: true });
  fs.writeFileSync(path.join(claudeDir, 'settings.json'), typeof data === 'string' ? data : JSON.stringify(data));
}

describe('parseEnvFile', () => {
  it('parses shell-style lines', () => {
    const text = [
      '# credentials for claude-mem',
      '',
      'export ANTHROPIC_API_KEY=sk-ant-plain',
      "ANTHROPIC_BASE_URL='https://gw.example/anthropic'  # single quotes are literal",
      'ANTHROPIC_AUTH_TOKEN="tok \\"quoted\\" \\$HOME \\\\ # not a comment"',
      'OPENROUTER_API_KEY=abc#def # trailing comment',
      'GEMINI_API_KEY=',
      'OPENAI_API_KEY = spaced  ',
      '   ',
      'SOME_OTHER=value',
      'PATH=/usr/bin',
      'SOME_OTHER=again',
    ].join('\n');
    const { values, ignored, invalidLines } = parseEnvFile(text);
    expect(values).toEqual({
      ANTHROPIC_API_KEY: 'sk-ant-plain',
      ANTHROPIC_BASE_URL: 'https://gw.example/anthropic',
      ANTHROPIC_AUTH_TOKEN: 'tok "quoted" $HOME \\ # not a comment',
      OPENROUTER_API_KEY: 'abc#def',
      OPENAI_API_KEY: 'spaced',
    });
    expect(ignored).toEqual(['SOME_OTHER', 'PATH']);
    expect(invalidLines).toEqual([]);
  });

  it('handles CRLF, BOM, duplicates (last wins), escapes and bad lines', () => {
    const text = '\ufeffANTHROPIC_API_KEY=first\r\nANTHROPIC_API_KEY="second\\nline"\r\nnot an assignment\r\nexport JUST_EXPORTED\r\nOPENAI_API_KEY="unterminated\r\nGEMINI_API_KEY= # empty then comment\r\n';
    const { values, invalidLines, ignored } = parseEnvFile(text);
    expect(values.ANTHROPIC_API_KEY).toBe('second\nline');
    expect(values.GEMINI_API_KEY).toBeUndefined();
    expect(values.OPENAI_API_KEY).toBeUndefined();
    expect(invalidLines).toEqual([3, 5]);
    expect(ignored).toEqual([]);
  });

  it('a quoted value followed by junk is rejected, not half-read', () => {
    expect(parseEnvFile("ANTHROPIC_API_KEY='a' b").values).toEqual({});
    expect(parseEnvFile("ANTHROPIC_API_KEY='a' # ok").values).toEqual({ ANTHROPIC_API_KEY: 'a' });
  });
});

describe('loadClaudeMemEnv', () => {
  it('returns only recognised, non-empty keys and logs ignored names without values', () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(envFilePath(), 'ANTHROPIC_API_KEY=sk-ant-abc\nOPENAI_API_KEY=\nMY_SECRET_THING=hunter2-value\n');
    expect(loadClaudeMemEnv()).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-abc' });
    const log = fs.readFileSync(workerLogPath(), 'utf8');
    expect(log).toContain('MY_SECRET_THING');
    expect(log).not.toContain('hunter2-value');
    // Reported once per process: a second load adds nothing.
    loadClaudeMemEnv();
    expect(fs.readFileSync(workerLogPath(), 'utf8')).toBe(log);
  });

  it('is empty when the file does not exist', () => {
    expect(loadClaudeMemEnv()).toEqual({});
  });
});

describe('saveClaudeMemEnv', () => {
  it.skipIf(!posix)('creates the file 0600 in a 0700 directory', () => {
    saveClaudeMemEnv({ ANTHROPIC_API_KEY: 'sk-ant-new' });
    expect(mode(dir)).toBe(0o700);
    expect(mode(envFilePath())).toBe(0o600);
    expect(loadClaudeMemEnv()).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-new' });
  });

  it.skipIf(!posix)('repairs a 0644 file and a 0755 directory', () => {
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(envFilePath(), 'ANTHROPIC_API_KEY=old\n', { mode: 0o644 });
    fs.chmodSync(envFilePath(), 0o644);
    saveClaudeMemEnv({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000' });
    expect(mode(dir)).toBe(0o700);
    expect(mode(envFilePath())).toBe(0o600);
  });

  it('merges, preserves comments and other lines, removes keys set to empty/undefined', () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      envFilePath(),
      '# my gateway\nANTHROPIC_API_KEY=old\nUNRELATED=1\nOPENAI_API_KEY=gone\nANTHROPIC_API_KEY=dup\nGEMINI_API_KEY=g',
    );
    const values = saveClaudeMemEnv({
      ANTHROPIC_API_KEY: 'new',
      OPENAI_API_KEY: '',
      GEMINI_API_KEY: undefined,
      ANTHROPIC_BASE_URL: 'https://gw.example/path?x=1&y=2',
      ANTHROPIC_AUTH_TOKEN: "it's got \"quotes\" $and \\ spaces",
    });
    const text = fs.readFileSync(envFilePath(), 'utf8');
    expect(text.startsWith('# my gateway\nANTHROPIC_API_KEY=new\nUNRELATED=1\n')).toBe(true);
    expect(text).not.toContain('dup');
    expect(text).not.toContain('OPENAI_API_KEY');
    expect(text).not.toContain('GEMINI_API_KEY');
    expect(values).toEqual({
      ANTHROPIC_API_KEY: 'new',
      ANTHROPIC_BASE_URL: 'https://gw.example/path?x=1&y=2',
      ANTHROPIC_AUTH_TOKEN: "it's got \"quotes\" $and \\ spaces",
    });
    expect(loadClaudeMemEnv()).toEqual(values);
  });

  it('validates keys and values', () => {
    expect(() => saveClaudeMemEnv({ PATH: '/bin' })).toThrow(EnvValidationError);
    expect(() => saveClaudeMemEnv({ PATH: '/bin' })).toThrow(/PATH is not a recognised .env key.*ANTHROPIC_API_KEY/);
    expect(() => saveClaudeMemEnv({ ANTHROPIC_API_KEY: 'a\nOPENAI_API_KEY=b' })).toThrow(/single line/);
    expect(fs.existsSync(envFilePath())).toBe(false);
  });
});

describe('buildIsolatedEnv', () => {
  const shell = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    ANTHROPIC_API_KEY: 'sk-ant-from-shell',
    ANTHROPIC_BASE_URL: 'https://half-configured.example',
    ANTHROPIC_AUTH_TOKEN: 'shell-token',
    CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
    CLAUDECODE: '1',
    CLAUDE_CODE_ENTRYPOINT: 'cli',
    CLAUDE_CODE_EFFORT_LEVEL: 'high',
    OPENAI_API_KEY: 'sk-shell-openai',
    HTTPS_PROXY: 'http://proxy:3128',
  };

  it('drops blocked shell variables, adds .env credentials and CLAUDE_MEM_INTERNAL=1, changes nothing else', () => {
    saveClaudeMemEnv({ ANTHROPIC_API_KEY: 'sk-ant-from-dotenv', ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/some/path/' });
    const env = buildIsolatedEnv({ baseEnv: shell, autodetect: false });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      HTTPS_PROXY: 'http://proxy:3128',
      ANTHROPIC_API_KEY: 'sk-ant-from-dotenv',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/some/path/', // byte for byte
      CLAUDE_MEM_INTERNAL: '1',
    });
  });

  it('keeps the SPEC list of blocked variables', () => {
    for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT', 'CLAUDE_CODE_EFFORT_LEVEL']) {
      expect(BLOCKED_ENV_VARS).toContain(k);
    }
  });

  it('with an empty .env, no Anthropic credential reaches the agent from the shell', () => {
    const env = buildIsolatedEnv({ baseEnv: shell, autodetect: false });
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(env.CLAUDECODE).toBeUndefined();
  });

  it('autodetect fills gaps from Claude Code settings; .env always wins', () => {
    saveClaudeMemEnv({ ANTHROPIC_API_KEY: 'sk-ant-dotenv' });
    writeClaudeSettings({
      model: 'opus',
      env: {
        ANTHROPIC_BASE_URL: 'https://gw.corp/anthropic',
        ANTHROPIC_AUTH_TOKEN: 'corp-token',
        ANTHROPIC_API_KEY: 'sk-ant-claude-settings',
        ANTHROPIC_DEFAULT_HAIKU_MODEL: 'corp-haiku',
        OTHER_VAR: 'not taken',
      },
    });
    const env = buildIsolatedEnv({ baseEnv: { PATH: '/bin' }, autodetect: true });
    expect(env).toEqual({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'sk-ant-dotenv',
      ANTHROPIC_BASE_URL: 'https://gw.corp/anthropic',
      ANTHROPIC_AUTH_TOKEN: 'corp-token',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'corp-haiku',
      CLAUDE_MEM_INTERNAL: '1',
    });
    // Off: Claude Code's settings are not read.
    expect(buildIsolatedEnv({ baseEnv: { PATH: '/bin' }, autodetect: false })).toEqual({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'sk-ant-dotenv',
      CLAUDE_MEM_INTERNAL: '1',
    });
  });

  it('autodetect defaults to the CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV setting', () => {
    writeClaudeSettings({ env: { ANTHROPIC_BASE_URL: 'https://gw.corp' } });
    expect(buildIsolatedEnv({ baseEnv: {} }).ANTHROPIC_BASE_URL).toBeUndefined();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV: 'true' }));
    expect(buildIsolatedEnv({ baseEnv: {} }).ANTHROPIC_BASE_URL).toBe('https://gw.corp');
  });

  it('a malformed or odd Claude Code settings file is ignored', () => {
    writeClaudeSettings('{ "env": ');
    expect(readClaudeCodeEnv()).toEqual({});
    writeClaudeSettings({ env: ['ANTHROPIC_API_KEY'] });
    expect(readClaudeCodeEnv()).toEqual({});
    writeClaudeSettings({ env: { ANTHROPIC_API_KEY: 42, ANTHROPIC_BASE_URL: ' ' } });
    expect(readClaudeCodeEnv()).toEqual({});
  });
});

describe('describeCredentialSources', () => {
  it('names the source of each credential, never a value, and lists blocked shell vars', () => {
    saveClaudeMemEnv({ ANTHROPIC_API_KEY: 'sk-ant-value-1', OPENROUTER_API_KEY: 'or-value-2' });
    writeClaudeSettings({ env: { ANTHROPIC_BASE_URL: 'https://gw.value-3', ANTHROPIC_API_KEY: 'sk-value-4', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'm-value-5' } });
    const report = describeCredentialSources({
      baseEnv: { CLAUDECODE: '1', ANTHROPIC_API_KEY: 'sk-shell', PATH: '/bin', ANTHROPIC_MODEL: '' },
      autodetect: true,
    });
    expect(report.credentials).toEqual([
      { key: 'ANTHROPIC_API_KEY', source: '.env', set: true },
      { key: 'ANTHROPIC_BASE_URL', source: 'claude-code-settings', set: true },
      { key: 'ANTHROPIC_AUTH_TOKEN', source: 'not set', set: false },
      { key: 'OPENROUTER_API_KEY', source: '.env', set: true },
      { key: 'GEMINI_API_KEY', source: 'not set', set: false },
      { key: 'OPENAI_API_KEY', source: 'not set', set: false },
    ]);
    expect(report.credentials.map((c) => c.key)).toEqual([...RECOGNISED_ENV_KEYS]);
    expect(report.haikuModel).toEqual({ key: 'ANTHROPIC_DEFAULT_HAIKU_MODEL', source: 'claude-code-settings', set: true });
    expect(report.blockedInShell.sort()).toEqual(['ANTHROPIC_API_KEY', 'CLAUDECODE']);
    expect(JSON.stringify(report)).not.toMatch(/value-\d|sk-shell/);
  });
});

describe('base URL values', () => {
  it.each(['gateway.example.com', 'ftp://gateway.example.com', 'http://', '/v1', 'localhost:4000'])('refuses %s, naming the key and the fix, writing nothing', (value) => {
    expect(() => saveClaudeMemEnv({ ANTHROPIC_BASE_URL: value })).toThrow(EnvValidationError);
    expect(envValueProblem('ANTHROPIC_BASE_URL', value)).toBe(
      `ANTHROPIC_BASE_URL must be an absolute http:// or https:// URL such as https://gateway.example.com; got ${JSON.stringify(value)}.`,
    );
    expect(fs.existsSync(envFilePath())).toBe(false);
  });

  it('never echoes a URL that carries credentials', () => {
    const message = envValueProblem('ANTHROPIC_BASE_URL', 'gopher://user:hunter2@gw.example.com');
    expect(message).toContain('ANTHROPIC_BASE_URL must be an absolute http');
    expect(message).not.toContain('hunter2');
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'https://user:hunter2@gw.example.com/v1').join(' ')).not.toContain('hunter2');
  });

  it('accepts absolute http(s) URLs, and only base URLs are checked as URLs', () => {
    for (const value of ['http://127.0.0.1:4000', 'https://gw.example.com/anthropic', 'https://gw.example.com/v1']) {
      expect(envValueProblem('ANTHROPIC_BASE_URL', value)).toBe(null);
    }
    expect(envValueProblem('ANTHROPIC_API_KEY', 'not a url')).toBe(null);
    saveClaudeMemEnv({ ANTHROPIC_BASE_URL: 'https://gw.example.com/v1', ANTHROPIC_API_KEY: 'sk-x' });
    expect(loadClaudeMemEnv()).toEqual({ ANTHROPIC_BASE_URL: 'https://gw.example.com/v1', ANTHROPIC_API_KEY: 'sk-x' });
  });

  it('warns (without refusing) when the path ends in /v1, which the SDK appends again', () => {
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'https://gw.example.com/v1')).toEqual([
      'ANTHROPIC_BASE_URL ends in /v1, but the Anthropic SDK appends /v1/messages itself: requests will go to https://gw.example.com/v1/v1/messages. Drop the trailing /v1 unless your gateway really serves that path.',
    ]);
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'https://gw.example.com/api/v1/')).toHaveLength(1);
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'https://gw.example.com/v1beta')).toEqual([]);
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'https://gw.example.com')).toEqual([]);
    expect(envValueWarnings('ANTHROPIC_BASE_URL', 'not a url')).toEqual([]);
  });
});
