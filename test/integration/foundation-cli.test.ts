// Issue 2, must-show 4: the claude-mem CLI as a user runs it (dist/cli/claude-mem.js): worker
// start/restart/status/logs/stop, `env set` file modes, install/uninstall against a temp Claude
// config dir full of other tools' settings, and doctor.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, getJson, runCli, tempDir, testEnv } from '../helpers/worker.js';

const startedPids = new Set<number>();
afterAll(() => {
  // Workers started by the CLI are detached: stop any the test left behind.
  for (const pid of startedPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

describe('worker commands', () => {
  it('start → restart (new pid after health) → status → logs -n 5 → stop', async () => {
    const dataDir = tempDir('cm-cli-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    const url = `http://127.0.0.1:${port}`;

    const start = runCli(['worker', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    const startedPid = Number(/pid (\d+)/.exec(start.stdout)?.[1]);
    startedPids.add(startedPid);
    expect(start.stdout).toMatch(/Worker started \(pid \d+\)/);
    expect((await getJson<{ pid: number }>(`${url}/api/health`)).pid).toBe(startedPid);

    const again = runCli(['worker', 'start'], env);
    expect(again.stdout).toMatch(new RegExp(`already running \\(pid ${startedPid}\\)`));

    const restart = runCli(['worker', 'restart'], env);
    expect(restart.code, restart.stderr).toBe(0);
    const m = /pid (\d+) → (\d+)/.exec(restart.stdout);
    expect(m, restart.stdout).not.toBeNull();
    const [oldPid, newPid] = [Number(m![1]), Number(m![2])];
    startedPids.add(newPid);
    expect(oldPid).toBe(startedPid);
    expect(newPid).not.toBe(startedPid);
    expect(alive(startedPid)).toBe(false);
    // The reported pid is the one answering health right now.
    expect((await getJson<{ pid: number }>(`${url}/api/health`)).pid).toBe(newPid);

    const status = runCli(['worker', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`running, pid ${newPid}`));
    expect(status.stdout).toMatch(/Queue:\s+0 pending/);
    const statusJson = runCli(['worker', 'status', '--json'], env);
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ status: 'ok', pid: newPid });

    const logFile = path.join(dataDir, 'logs', 'worker.log');
    const logLines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
    expect(logLines.length).toBeGreaterThan(5);
    const logs = runCli(['worker', 'logs', '-n', '5'], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.split('\n').filter((l) => l !== '')).toEqual(logLines.slice(-5));

    const stop = runCli(['worker', 'stop'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`Worker stopped \\(pid ${newPid}\\)`));
    expect(alive(newPid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'worker.lock'))).toBe(false);

    const down = runCli(['worker', 'status'], env);
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/not running/);
    expect(runCli(['worker', 'stop'], env).stdout).toMatch(/not running/);
  }, 60_000);
});

describe('env set', () => {
  it('creates .env 0600 in a 0700 data dir, and repairs a 0644 file', async () => {
    const dataDir = path.join(tempDir('cm-cli-env-'), 'nested', 'data');
    const env = testEnv(dataDir, await freePort());
    const r = runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'x'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('=x');
    const file = path.join(dataDir, '.env');
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^ANTHROPIC_API_KEY=x$/m);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);

    fs.chmodSync(file, 0o644);
    fs.chmodSync(dataDir, 0o755);
    const r2 = runCli(['env', 'set', 'ANTHROPIC_BASE_URL', 'http://127.0.0.1:9/'], env);
    expect(r2.code, r2.stderr).toBe(0);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^ANTHROPIC_API_KEY=x$/m); // the earlier key is kept
    expect(text).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:9\/$/m);

    const bad = runCli(['env', 'set', 'NOT_A_KNOWN_KEY', 'v'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/NOT_A_KNOWN_KEY/);
  });
});

describe('install / uninstall', () => {
  const original = {
    model: 'opus',
    permissions: { allow: ['Bash(npm test:*)', 'Read(./**)'], deny: ['Read(./.env)'], defaultMode: 'acceptEdits' },
    env: { FOO: 'bar', CLAUDE_CODE_ENABLE_TELEMETRY: '0' },
    hooks: {
      PostToolUse: [{ matcher: 'Write|Edit', hooks: [{ type: 'command', command: 'prettier --write "$FILE"', timeout: 30 }] }],
      SessionStart: [{ hooks: [{ type: 'command', command: '/opt/other-tool/start.sh' }] }],
    },
    enabledPlugins: { 'formatter@acme-tools': true, 'linter@acme-tools': false },
    extraKnownMarketplaces: { 'acme-tools': { source: { source: 'github', repo: 'acme/tools' } } },
    statusLine: { type: 'command', command: '~/.claude/statusline.sh' },
    includeCoAuthoredBy: false,
  };

  it('round-trips exactly, is idempotent, writes a backup', async () => {
    const dataDir = tempDir('cm-cli-inst-');
    const env = testEnv(dataDir, await freePort());
    const configDir = String(env.CLAUDE_CONFIG_DIR);
    fs.mkdirSync(configDir, { recursive: true });
    const file = path.join(configDir, 'settings.json');
    const originalText = JSON.stringify(original, null, 2) + '\n';
    fs.writeFileSync(file, originalText);

    const first = runCli(['install'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Registered/);
    const installed = JSON.parse(fs.readFileSync(file, 'utf8'));
    const backups = fs.readdirSync(configDir).filter((f) => f !== 'settings.json');
    expect(backups.length).toBeGreaterThanOrEqual(1);
    expect(backups.map((b) => fs.readFileSync(path.join(configDir, b), 'utf8'))).toContain(originalText);
    // Everything unrelated is untouched; ours is added next to the other plugin and marketplace.
    for (const key of ['model', 'permissions', 'env', 'hooks', 'statusLine', 'includeCoAuthoredBy'] as const) {
      expect(installed[key], key).toEqual(original[key]);
    }
    const ours = Object.keys(installed.enabledPlugins).filter((k) => !(k in original.enabledPlugins));
    expect(ours).toHaveLength(1);
    expect(installed.enabledPlugins[ours[0]]).toBe(true);
    expect(installed.enabledPlugins).toMatchObject(original.enabledPlugins);
    expect(installed.extraKnownMarketplaces).toMatchObject(original.extraKnownMarketplaces);
    expect(Object.keys(installed.extraKnownMarketplaces)).toHaveLength(2);

    const second = runCli(['install'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Already registered/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(installed);

    const un = runCli(['uninstall'], env);
    expect(un.code, un.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(original);
    const unAgain = runCli(['uninstall'], env);
    expect(unAgain.code).toBe(0);
    expect(unAgain.stdout).toMatch(/was not registered/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(original);
  });

  it('round-trips a settings.json that had no plugin keys, and creates one when missing', async () => {
    const dataDir = tempDir('cm-cli-inst-');
    const env = testEnv(dataDir, await freePort());
    const configDir = String(env.CLAUDE_CONFIG_DIR);
    fs.mkdirSync(configDir, { recursive: true });
    const file = path.join(configDir, 'settings.json');
    const plain = { permissions: { allow: [] }, enabledPlugins: {} };
    fs.writeFileSync(file, JSON.stringify(plain));
    expect(runCli(['install'], env).code).toBe(0);
    expect(runCli(['uninstall'], env).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(plain);

    fs.rmSync(configDir, { recursive: true });
    const fresh = runCli(['install'], env);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).enabledPlugins)).toHaveLength(1);
  });

  it('malformed settings.json: clear error naming the file and position, file untouched', async () => {
    const dataDir = tempDir('cm-cli-inst-');
    const env = testEnv(dataDir, await freePort());
    const configDir = String(env.CLAUDE_CONFIG_DIR);
    fs.mkdirSync(configDir, { recursive: true });
    const file = path.join(configDir, 'settings.json');
    const broken = '{\n  "model": "opus",\n  "permissions": { "allow": [ }\n}\n';
    fs.writeFileSync(file, broken);
    for (const cmd of ['install', 'uninstall']) {
      const r = runCli([cmd], env);
      expect(r.code, cmd).not.toBe(0);
      expect(r.stderr, cmd).toContain(file);
      expect(r.stderr, cmd).toMatch(/settings\.json:3:\d+/);
      expect(r.stderr, cmd).not.toContain("allow"); // no file content echoed
      expect(fs.readFileSync(file, 'utf8')).toBe(broken);
      expect(fs.readdirSync(configDir)).toEqual(['settings.json']);
    }
  });
});

describe('doctor', () => {
  it('reports the worker down, then up', async () => {
    const dataDir = tempDir('cm-cli-doc-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    const down = runCli(['doctor'], env);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(new RegExp(`✘ worker not answering at http://127\\.0\\.0\\.1:${port}`));
    expect(down.stdout).toMatch(/✘ provider claude needs ANTHROPIC_API_KEY/);
    expect(down.stdout).toMatch(/hooks not registered/);

    const start = runCli(['worker', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(start.stdout)?.[1]);
    startedPids.add(pid);
    expect(runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-test'], env).code).toBe(0);
    const up = runCli(['doctor'], env);
    expect(up.stdout).toMatch(new RegExp(`worker pid ${pid} `));
    expect(up.stdout).toMatch(/✔ provider claude has credentials/);
    expect(up.stdout).toMatch(/✔ data dir .* mode 700/);
    expect(up.stdout).toMatch(/✔ \.env .* mode 600/);
    expect(up.stdout).not.toContain('sk-test');
    expect(runCli(['worker', 'stop'], env).code).toBe(0);
  }, 60_000);
});
