// Settings.json malformed or with wrongly typed values, `.env` with
// junk lines and binary bytes, wrong file modes, and paths that are directories. The worker starts
// on defaults and says why (log, /api/settings, `claude-mem doctor`), never rewrites the user's
// files, and narrows modes that expose credentials.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';
import { cli, health, readLog } from './agent-support.js';
import { authedRequest } from './fault-support.js';

const PLANTED_KEY = 'sk-ant-api03-' + 'Cfg9'.repeat(20) + '-zzQ';

const handles: WorkerHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.stop();
});

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

interface SettingsResponse {
  settings: Record<string, string>;
  issues: Array<{ key?: string; path?: string; line?: number; column?: number; message: string }>;
}

async function settingsOf(w: WorkerHandle): Promise<SettingsResponse> {
  const r = await authedRequest(w.port, 'GET', '/api/settings');
  return JSON.parse(r.text) as SettingsResponse;
}

describe('malformed settings.json', () => {
  it('truncated JSON: starts on defaults, reports path:line:column, never rewrites the file (not even on a save)', async () => {
    const dataDir = tempDir('cm-cfg-');
    const text = '{\n  "CLAUDE_MEM_LOG_LEVEL": "DEBUG",\n  "CLAUDE_MEM_CONTEXT_OBSERVATIONS": "12",\n';
    fs.writeFileSync(path.join(dataDir, 'settings.json'), text);
    const w = await startWorker({ dataDir });
    handles.push(w);
    expect((await health(w)).pid).toBe(w.proc.pid);

    const file = path.join(dataDir, 'settings.json');
    const expected = `${file}:4:1: invalid JSON`;
    expect(readLog(dataDir, 'worker')).toContain(`WARN [worker] Settings: ${expected}`);
    const s = await settingsOf(w);
    expect(s.settings.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toBe('50'); // the default, not the file's 12
    expect(s.issues).toHaveLength(1);
    expect(s.issues[0]).toMatchObject({ path: file, line: 4, column: 1 });
    expect(s.issues[0].message).toContain('The file was not changed');

    const save = await authedRequest(w.port, 'POST', '/api/settings', {
      body: JSON.stringify({ CLAUDE_MEM_LOG_LEVEL: 'INFO' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(save.status).toBe(409);
    expect(JSON.parse(save.text).error).toContain(`Refusing to save settings: ${expected}`);

    const doctor = await cli(['doctor'], w.env);
    expect(doctor.stdout).toContain(`✘ settings ${file}`);
    expect(doctor.stdout).toContain(expected);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('wrong types and values: each bad key named with what is allowed, the good ones applied, file untouched', async () => {
    const dataDir = tempDir('cm-cfg-');
    const data = {
      CLAUDE_MEM_CONTEXT_OBSERVATIONS: { nested: true },
      CLAUDE_MEM_LOG_LEVEL: 'LOUD',
      CLAUDE_MEM_CONTEXT_FULL_COUNT: '-3',
      CLAUDE_MEM_PROVIDER: ['claude'],
      CLAUDE_MEM_CONTEXT_MAX_BYTES: 6000, // a number is accepted (hand-edited files)
      CLAUDE_MEM_SOMETHING_ELSE: 'kept but ignored',
      __proto__: { polluted: 'yes' },
    };
    const text = JSON.stringify(data, null, 2).replace('"CLAUDE_MEM_SOMETHING_ELSE"', '"__proto__": {"polluted": "yes"},\n  "CLAUDE_MEM_SOMETHING_ELSE"');
    const file = path.join(dataDir, 'settings.json');
    fs.writeFileSync(file, text);
    const w = await startWorker({ dataDir });
    handles.push(w);
    const s = await settingsOf(w);
    expect(s.settings).toMatchObject({
      CLAUDE_MEM_CONTEXT_OBSERVATIONS: '50',
      CLAUDE_MEM_LOG_LEVEL: 'INFO',
      CLAUDE_MEM_CONTEXT_FULL_COUNT: '5',
      CLAUDE_MEM_PROVIDER: 'claude',
      CLAUDE_MEM_CONTEXT_MAX_BYTES: '6000',
    });
    expect(s.settings).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The unknown key is a warning of its own (no setting concerned), naming it.
    const unknown = s.issues.filter((i) => !i.key);
    expect(unknown.map((i) => i.message)).toEqual([expect.stringContaining('CLAUDE_MEM_SOMETHING_ELSE: unknown setting')]);
    const byKey = Object.fromEntries(s.issues.filter((i) => i.key).map((i) => [i.key, i.message]));
    expect(Object.keys(byKey).sort()).toEqual(['CLAUDE_MEM_CONTEXT_FULL_COUNT', 'CLAUDE_MEM_CONTEXT_OBSERVATIONS', 'CLAUDE_MEM_LOG_LEVEL', 'CLAUDE_MEM_PROVIDER']);
    expect(byKey.CLAUDE_MEM_LOG_LEVEL).toContain('expected one of DEBUG, INFO, WARN, ERROR, SILENT');
    expect(byKey.CLAUDE_MEM_CONTEXT_FULL_COUNT).toContain('expected an integer >= 0');
    expect(byKey.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toContain('expected a string value');
    for (const key of Object.keys(byKey)) expect(readLog(dataDir, 'worker')).toContain(`Settings: ${key}`);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('settings.json is a directory: starts on defaults and says it could not read it', async () => {
    const dataDir = tempDir('cm-cfg-');
    fs.mkdirSync(path.join(dataDir, 'settings.json'));
    const w = await startWorker({ dataDir });
    handles.push(w);
    const s = await settingsOf(w);
    expect(s.issues[0].message).toMatch(/Could not read .*settings\.json: EISDIR/);
    expect(fs.statSync(path.join(dataDir, 'settings.json')).isDirectory()).toBe(true);
  });
});

describe('.env: junk, binary bytes, wrong modes', () => {
  it('junk lines and binary bytes: recognised keys still load, the rest is reported by line/name only; modes narrowed; content untouched', async () => {
    const dataDir = tempDir('cm-cfg-');
    fs.chmodSync(dataDir, 0o755);
    const envFile = path.join(dataDir, '.env');
    const bytes = Buffer.concat([
      Buffer.from(`# comment\nANTHROPIC_API_KEY=${PLANTED_KEY}\nthis line is junk\n`),
      Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]),
      Buffer.from('export FOO_SECRET_TOKEN="do-not-print-me-1234"\nANTHROPIC_BASE_URL=not a url\n'),
    ]);
    fs.writeFileSync(envFile, bytes, { mode: 0o644 });
    fs.chmodSync(envFile, 0o644);
    const w = await startWorker({ dataDir });
    handles.push(w);

    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(envFile)).toBe(0o600);
    expect(fs.readFileSync(envFile).equals(bytes)).toBe(true);
    const log = readLog(dataDir, 'worker');
    expect(log).toContain(`${envFile} had mode 644 (readable by other users) and holds credentials; narrowed it to 600`);
    expect(log).toMatch(/Ignoring unrecognised keys in .*\.env: FOO_SECRET_TOKEN\./);
    expect(log).toMatch(/Skipping unparsable lines in .*\.env: 3, 4 \(expected KEY=VALUE\)/);
    // The bad base URL pauses the agent with a message naming the key and the file, never a value.
    const h = await health(w);
    expect(h.paused).toMatch(/ANTHROPIC_BASE_URL is not an http\(s\) URL: "not a url"\. Fix it in .*\.env/);

    const doctor = await cli(['doctor'], w.env);
    expect(doctor.stdout).toMatch(/ANTHROPIC_API_KEY\s+set, from \.env/);
    expect(doctor.stdout).toContain('unrecognised keys in .env (ignored): FOO_SECRET_TOKEN');
    for (const text of [log, doctor.stdout, doctor.stderr, JSON.stringify(h), JSON.stringify(await settingsOf(w))]) {
      expect(text).not.toContain(PLANTED_KEY);
      expect(text).not.toContain('do-not-print-me');
    }
  });

  it('.env is a directory: the worker serves, the agent pauses with a message naming the path', async () => {
    const dataDir = tempDir('cm-cfg-');
    fs.mkdirSync(path.join(dataDir, '.env'));
    const w = await startWorker({ dataDir });
    handles.push(w);
    const h = await health(w);
    expect(h.pid).toBe(w.proc.pid);
    expect(h.paused).toMatch(/^Could not read .*\/\.env \(EISDIR\): it must be a readable KEY=VALUE file; fix or remove it/);
    const doctor = await cli(['doctor'], w.env);
    expect(doctor.code).not.toBe(0);
    expect(doctor.stderr).toMatch(/Could not read .*\/\.env \(EISDIR\)/);
  });
});
