// The claude-mem CLI as a user runs it (dist/cli/claude-mem.js): worker
// start/restart/status/logs/stop, `env set` file modes, install/uninstall against a temp Claude
// config dir full of other tools' settings, and doctor.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../fakes/fake-anthropic.js';
import { authedFetch, freePort, getJson, runCli, startWorker, tempDir, testEnv, waitFor } from '../helpers/worker.js';
import { cli } from './agent-support.js';

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
  it('reports the worker down, then up, and the provider by one real request', async () => {
    const dataDir = tempDir('cm-cli-doc-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    const down = runCli(['doctor'], env);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(new RegExp(`✘ worker not answering at http://127\\.0\\.0\\.1:${port}`));
    expect(down.stdout).toMatch(/✘ provider claude · model claude-haiku-4-5-20251001 · https:\/\/api\.anthropic\.com failed after \d+ ms: The claude provider needs ANTHROPIC_API_KEY/);
    expect(down.stdout).toMatch(/hooks not registered/);

    const gateway = await startFakeAnthropic({ handler: () => ({ text: 'ok' }) });
    try {
      const start = runCli(['worker', 'start'], env);
      expect(start.code, start.stderr).toBe(0);
      const pid = Number(/pid (\d+)/.exec(start.stdout)?.[1]);
      startedPids.add(pid);
      expect(runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-test-doctor'], env).code).toBe(0);
      expect(runCli(['env', 'set', 'ANTHROPIC_BASE_URL', `${gateway.url}/gw`], env).code).toBe(0);
      // Asynchronously: the fake gateway lives in this process and must answer meanwhile.
      const up = await cli(['doctor'], env);
      expect(up.stdout).toMatch(new RegExp(`worker pid ${pid} `));
      expect(up.stdout).toMatch(/✔ data dir .* mode 700/);
      expect(up.stdout).toMatch(/✔ \.env .* mode 600/);
      expect(up.stdout).toContain(`✔ provider claude · model claude-haiku-4-5-20251001 · ${gateway.url}/gw answered in `);
      expect(up.stdout).toMatch(/answered in \d+ ms: "ok"/);
      // The MCP server, started as Claude Code starts it (it also answers the memory hooks).
      expect(up.stdout).toMatch(/✔ MCP server answered initialize in \d+ ms/);
      const sent = gateway.messageRequests();
      expect(sent).toHaveLength(1);
      expect(sent[0].path).toBe('/gw/v1/messages');
      expect(sent[0].body.max_tokens).toBe(16);
      expect(sent[0].headers['x-api-key']).toBe('sk-test-doctor');
      expect(up.stdout + up.stderr).not.toContain('sk-test-doctor');
    } finally {
      expect(runCli(['worker', 'stop'], env).code).toBe(0);
      await gateway.close();
    }
  }, 60_000);

  it('an MCP server that cannot start is named, with what it said and what is lost', async () => {
    const { probeMcpServer } = await import('../../src/cli/doctor.js');
    const broken = path.join(tempDir('cm-cli-mcp-'), 'mcp-server.js');
    fs.writeFileSync(broken, "console.error('cannot find module @modelcontextprotocol/sdk'); process.exit(3);\n");
    const r = await probeMcpServer(broken);
    expect(r).toEqual({ ok: false, script: broken, message: 'it exited (3): cannot find module @modelcontextprotocol/sdk' });
    const silent = path.join(path.dirname(broken), 'silent.js');
    fs.writeFileSync(silent, 'setInterval(() => {}, 1000);\n');
    expect(await probeMcpServer(silent, 500)).toEqual({ ok: false, script: silent, message: 'no answer within 0.5 s' });
  });

  it('a fake key aimed at an unreachable host fails the provider check with the verbatim error', async () => {
    const dataDir = tempDir('cm-cli-doc-');
    const env = testEnv(dataDir, await freePort());
    const closed = await freePort();
    expect(runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-fake-unreachable'], env).code).toBe(0);
    expect(runCli(['env', 'set', 'ANTHROPIC_BASE_URL', `http://127.0.0.1:${closed}`], env).code).toBe(0);
    const r = await cli(['doctor'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`✘ provider claude · model claude-haiku-4-5-20251001 · http://127\\.0\\.0\\.1:${closed} failed after \\d+ ms: Connection error talking to 127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`));
    expect(r.stdout).not.toMatch(/✔ provider/);
    expect(r.stdout + r.stderr).not.toContain('sk-fake-unreachable');
  }, 60_000);

  it('a refused key: the backend words verbatim, then what to do about them', async () => {
    const gateway = await startFakeAnthropic({ handler: () => ({ status: 401, message: 'invalid x-api-key' }) });
    try {
      const env = testEnv(tempDir('cm-cli-doc-'), await freePort());
      expect(runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-revoked'], env).code).toBe(0);
      expect(runCli(['env', 'set', 'ANTHROPIC_BASE_URL', gateway.url], env).code).toBe(0);
      const r = await cli(['doctor'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✘ provider claude .* failed after \d+ ms: 401 authentication_error: invalid x-api-key \(request-id: req_fake_\d+\)/);
      expect(r.stdout).toContain(`    fix: the backend at ${gateway.url} refused the credentials.`);
      expect(gateway.messageRequests()).toHaveLength(1); // one request, no retries
    } finally {
      await gateway.close();
    }
  }, 60_000);

  it('--offline sends nothing', async () => {
    const gateway = await startFakeAnthropic({ handler: () => ({ text: 'ok' }) });
    try {
      const env = testEnv(tempDir('cm-cli-doc-'), await freePort());
      expect(runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-x'], env).code).toBe(0);
      expect(runCli(['env', 'set', 'ANTHROPIC_BASE_URL', gateway.url], env).code).toBe(0);
      const r = await cli(['doctor', '--offline'], env);
      expect(r.stdout).toContain('! provider claude not tried (--offline)');
      expect(gateway.requests).toHaveLength(0);
    } finally {
      await gateway.close();
    }
  }, 60_000);
});

describe('first contact', () => {
  it('--version prints the package version; no arguments prints the help and succeeds', async () => {
    const env = testEnv(tempDir('cm-cli-v-'), await freePort());
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = runCli([flag], env);
      expect(r.code, flag).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
    const bare = runCli([], env);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: claude-mem \[options\] \[command\]/);
    for (const cmd of ['worker', 'doctor', 'search', 'queue', 'env']) expect(bare.stdout).toContain(`  ${cmd}`);
    expect(bare.stderr).toBe('');
  });
});

describe('env set: URLs', () => {
  it('refuses a base URL that is not absolute http(s), warns about a trailing /v1, never echoes a key', async () => {
    const dataDir = tempDir('cm-cli-env-');
    const env = testEnv(dataDir, await freePort());
    const file = path.join(dataDir, '.env');
    const bad = runCli(['env', 'set', 'ANTHROPIC_BASE_URL', 'gateway.example.com:4000'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('claude-mem: ANTHROPIC_BASE_URL must be an absolute http:// or https:// URL such as https://gateway.example.com; got "gateway.example.com:4000".\n');
    expect(fs.existsSync(file)).toBe(false);

    const v1 = runCli(['env', 'set', 'ANTHROPIC_BASE_URL', 'https://gateway.example.com/v1'], env);
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stderr).toContain('claude-mem: warning: ANTHROPIC_BASE_URL ends in /v1, but the Anthropic SDK appends /v1/messages itself: requests will go to https://gateway.example.com/v1/v1/messages.');
    expect(fs.readFileSync(file, 'utf8')).toBe('ANTHROPIC_BASE_URL=https://gateway.example.com/v1\n');

    const key = runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-ant-never-echoed'], env);
    expect(key.code).toBe(0);
    const keyWithNewline = runCli(['env', 'set', 'ANTHROPIC_API_KEY', 'sk-ant-never-echoed\nX=1'], env);
    expect(keyWithNewline.code).toBe(1);
    for (const r of [key, keyWithNewline]) expect(r.stdout + r.stderr).not.toContain('never-echoed');
  });
});

describe('worker status', () => {
  /** A stand-in worker answering health and queue with what a test wants the CLI to render. */
  async function fakeWorker(port: number, healthBody: Record<string, unknown>) {
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/health') return res.end(JSON.stringify(healthBody));
      if (req.url === '/api/queue') return res.end(JSON.stringify({ depth: 4, pending: [], deadLetters: [] }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    return { close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  const baseHealth = {
    status: 'ok',
    pid: 4242,
    instance: 'x',
    version: '9.9.9',
    uptimeSeconds: 7,
    queueDepth: 4,
    deadLetters: 0,
    provider: 'claude',
    model: 'claude-haiku-4-5-20251001',
    baseUrlHost: 'gw.example:4000',
    baseUrl: 'http://gw.example:4000/anthropic',
    lastError: null,
    paused: null,
    outage: null,
    budget: { dailyLimit: 0, spentToday: 0, exhausted: false },
    embeddings: null,
  };

  it('shows the whole base URL, an outage with its next probe and verbatim error, and settings problems', async () => {
    const dataDir = tempDir('cm-cli-st-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ CLAUDE_MEM_LOG_LEVEL: 'LOUD', CLAUDE_MEM_MODLE: 'x' }));
    const since = new Date(Date.now() - 90_000).toISOString();
    const lastError = 'Connection error talking to gw.example:4000: connect ECONNREFUSED 10.0.0.7:4000';
    const w = await fakeWorker(port, {
      ...baseHealth,
      outage: { since, nextProbeAt: new Date(Date.now() + 42_000).toISOString(), probes: 3, lastError },
      lastError: { message: lastError, kind: 'transient', at: since },
    });
    try {
      const r = await cli(['worker', 'status'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Provider:  claude · model claude-haiku-4-5-20251001 · http://gw.example:4000/anthropic\n');
      expect(r.stdout).toMatch(new RegExp(`Outage:    backend unavailable since ${since.replace(/\./g, '\\.')}, next probe in (4[0-2])s\\n`));
      expect(r.stdout).toContain(`           last error: ${lastError}\n`);
      expect(r.stdout).toContain('Settings:  2 problems');
      expect(r.stdout).toContain('CLAUDE_MEM_LOG_LEVEL: invalid value "LOUD"');
      expect(r.stdout).toContain('CLAUDE_MEM_MODLE: unknown setting in');
      expect(r.stdout).toContain('Did you mean CLAUDE_MEM_MODEL?');
      expect(r.stdout).not.toContain('Fix:'); // an outage is not the user's to fix
    } finally {
      await w.close();
    }
    // Settings problems are shown when the worker is down too (they may be why).
    const down = await cli(['worker', 'status'], env);
    expect(down.code).toBe(3);
    expect(down.stdout).toContain('Settings:  2 problems');
  });

  it.each([
    ['401 authentication_error: invalid x-api-key', /^Fix:       the backend at http:\/\/gw\.example:4000\/anthropic refused the credentials\. .*claude-mem env set/m],
    ['403 permission_error: not allowed', /^Fix:       the credentials are valid but not allowed to use model "claude-haiku-4-5-20251001"/m],
    ['404 not_found_error: model: claude-nope', /^Fix:       model "claude-haiku-4-5-20251001" is not known at http:\/\/gw\.example:4000\/anthropic\. Set CLAUDE_MEM_MODEL/m],
    ['400 invalid_request_error: Unknown model: claude-nope', /^Fix:       model .* Set CLAUDE_MEM_MODEL/m],
    ['404 not_found_error: Not Found', /^Fix:       http:\/\/gw\.example:4000\/anthropic has no such endpoint: check the base URL, ANTHROPIC_BASE_URL/m],
  ])('a fix hint for "%s"', async (message, hint) => {
    const port = await freePort();
    const env = testEnv(tempDir('cm-cli-st-'), port);
    const w = await fakeWorker(port, { ...baseHealth, paused: message, lastError: { message, kind: 'auth', at: new Date().toISOString() } });
    try {
      const r = await cli(['worker', 'status'], env);
      expect(r.stdout).toContain(`Paused:    ${message}\n`);
      expect(r.stdout).toMatch(hint);
    } finally {
      await w.close();
    }
  });
});

describe('queue and dead letters from the CLI', () => {
  it('lists pending and dead events with the verbatim error, retries one, then all', async () => {
    const DEAD = 'prompt refused: "flux capacitor" <melted> #42';
    const gateway = await startFakeAnthropic({ handler: () => ({ status: 400, message: DEAD }) });
    const w = await startWorker({
      settings: { CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: '1' }, // a 400 refuses the event: dead-lettered at once
      dotenv: `ANTHROPIC_API_KEY=sk-q\nANTHROPIC_BASE_URL=${gateway.url}\n`,
    });
    try {
      for (let i = 1; i <= 3; i++) {
        const r = await authedFetch(`${w.url}/api/sessions/observations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ session_id: `sess-q${i}`, cwd: '/srv/q/proj-q', tool_name: 'Bash', tool_input: { command: `make ${i}` }, tool_response: 'ok', tool_use_id: `toolu_q${i}` }),
        });
        expect(r.status).toBe(202);
      }
      const dead = await waitFor(async () => {
        const q = await getJson<{ deadLetters: Array<{ id: number; last_error: string }> }>(`${w.url}/api/queue`);
        return q.deadLetters.length === 3 ? q.deadLetters : null;
      }, 30_000, 'three dead letters') as Array<{ id: number; last_error: string }>;

      const list = await cli(['queue'], w.env);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^0 pending, 3 dead-lettered\n/);
      for (const d of dead) {
        expect(list.stdout).toMatch(new RegExp(`  #${d.id} tool · proj-q · dead since \\S+ after 1 attempt\\n      ${d.last_error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
      }
      expect(dead[0].last_error).toContain(DEAD);
      expect(JSON.parse((await cli(['queue', '--json'], w.env)).stdout).deadLetters).toHaveLength(3);

      for (const [args, message] of [
        [['queue', 'retry', 'abc'], '"abc" is not a dead-letter id: use the number shown by `claude-mem queue`'],
        [['queue', 'retry', '424242'], 'there is no dead letter #424242 (any more): `claude-mem queue` lists them'],
        [['queue', 'retry'], 'give one dead-letter id (see `claude-mem queue`) or --all, not both or neither'],
        [['queue', 'retry', '1', '--all'], 'give one dead-letter id (see `claude-mem queue`) or --all, not both or neither'],
      ] as const) {
        const r = await cli([...args], w.env);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toContain(`claude-mem: ${message}`);
      }

      gateway.setHandler(() => ({ text: '<observation><type>change</type><title>Built</title><narrative>make ran.</narrative></observation>' }));
      const one = await cli(['queue', 'retry', String(dead[0].id)], w.env);
      expect(one.stdout).toBe(`Dead letter #${dead[0].id} is queued again.\n`);
      await waitFor(async () => (await getJson<{ total: number }>(`${w.url}/api/observations`)).total === 1, 30_000, 'the retried event to be processed');
      const all = await cli(['queue', 'retry', '--all'], w.env);
      expect(all.stdout).toBe('Queued 2 dead-lettered events again.\n');
      await waitFor(async () => (await getJson<{ total: number }>(`${w.url}/api/observations`)).total === 3, 30_000, 'all retried events to be processed');
      expect((await cli(['queue', 'retry', '--all'], w.env)).stdout).toBe('No dead letters to retry.\n');
      expect((await cli(['queue'], w.env)).stdout).toBe('0 pending, 0 dead-lettered\n');
    } finally {
      await w.stop();
      await gateway.close();
    }
  }, 90_000);
});

describe('errors in the user\'s words', () => {
  it('search option errors name the option, not a route or a status code', async () => {
    const w = await startWorker();
    try {
      for (const [args, message] of [
        [['--limit', '0'], '--limit must be 1 or more'],
        [['--limit', '9000'], '--limit must be 500 or less'],
        [['--limit', 'lots'], '--limit must be a number'],
        [['--type', 'bugfix,nonsense'], '--type must be one of bugfix, feature,'],
      ] as const) {
        const r = await cli(['search', 'queue', ...args], w.env);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toContain(`claude-mem: ${message}`);
        expect(r.stderr).not.toMatch(/\/api\/|→|\b400\b/);
      }
    } finally {
      await w.stop();
    }
  }, 60_000);
});
