// A lifecycle that recovers and never signals a stranger. `worker restart` / `stop` on
// a worker that spins (event loop blocked) or is stopped (SIGSTOP) end it within a bounded time
// and leave exactly one healthy worker; stale worker.lock / worker.pid naming an unrelated live
// process are taken over and that process survives; `worker start` says who holds the port; the
// SSE stream count is capped; a foreground worker echoes warnings to stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_SSE_STREAMS } from '../../src/worker/routes/stream.js';
import {
  fixtures,
  freePort,
  authedFetch,
  getJson,
  runCli,
  runHook,
  startWorker,
  tempDir,
  testEnv,
  waitForHealth,
  WORKER_SCRIPT,
  type WorkerHandle,
} from '../helpers/worker.js';

const hasProc = fs.existsSync('/proc/self/stat');
const dataDirs: string[] = [];
const strangers: ChildProcess[] = [];

/** Worker processes (alive, not zombies) whose environment names this data dir. */
function workersFor(dataDir: string): number[] {
  const found: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker-main')) continue;
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (env.includes(`CLAUDE_MEM_DATA_DIR=${dataDir}`)) found.push(Number(p));
    } catch {
      /* gone, or not ours */
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !hasProc;
  }
};

afterAll(() => {
  for (const dir of dataDirs) {
    for (const pid of workersFor(dir)) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  for (const s of strangers) s.kill('SIGKILL');
});

/** A long-lived process that is not ours, as a reused pid would be. */
function stranger(): ChildProcess {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  strangers.push(p);
  return p;
}

function newDataDir(prefix: string): string {
  const dir = tempDir(prefix);
  dataDirs.push(dir);
  return dir;
}

const readJson = (p: string) => JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;

async function healthOrNull(url: string, timeoutMs = 500): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Exactly one worker for this data dir: it answers health, and both files name it. */
async function expectOneHealthyWorker(dataDir: string, url: string): Promise<number> {
  const h = await waitForHealth(url, 5000);
  expect(typeof h.instance).toBe('string');
  expect((h.instance as string).length).toBeGreaterThan(8);
  const pid = readJson(path.join(dataDir, 'worker.pid'));
  const lock = readJson(path.join(dataDir, 'worker.lock'));
  expect(pid).toMatchObject({ pid: h.pid, nonce: h.instance });
  expect(lock).toMatchObject({ pid: h.pid, nonce: h.instance });
  if (hasProc) {
    expect(typeof pid.startTime).toBe('number');
    expect(workersFor(dataDir)).toEqual([h.pid]);
  }
  return h.pid as number;
}

describe.skipIf(!hasProc)('restart and stop on a worker that does not answer', () => {
  // Loaded into the worker with NODE_OPTIONS: SIGUSR2 makes it spin with its event loop blocked,
  // as a runaway synchronous loop would. It then answers nothing and never runs a signal handler.
  function spinEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
    const preload = path.join(dataDir, 'spin-on-sigusr2.cjs');
    fs.writeFileSync(preload, "process.on('SIGUSR2', () => { for (;;) {} });\n");
    return testEnv(dataDir, port, { NODE_OPTIONS: `--require ${preload}` });
  }

  it('worker restart on a spinning worker kills it after the grace period and leaves one healthy worker', async () => {
    const dataDir = newDataDir('cm-spin-');
    const port = await freePort();
    const env = spinEnv(dataDir, port);
    const url = `http://127.0.0.1:${port}`;
    const start = runCli(['worker', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    const oldPid = await expectOneHealthyWorker(dataDir, url);

    process.kill(oldPid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    expect(await healthOrNull(url)).toBeNull();
    expect(alive(oldPid)).toBe(true);

    const t0 = Date.now();
    const restart = runCli(['worker', 'restart'], env);
    const ms = Date.now() - t0;
    expect(restart.code, restart.stderr + restart.stdout).toBe(0);
    const m = /pid (\d+) → (\d+)/.exec(restart.stdout);
    expect(m, restart.stdout).not.toBeNull();
    expect(Number(m![1])).toBe(oldPid);
    expect(restart.stdout).toMatch(/did not exit within 5 s and was killed/);
    expect(alive(oldPid)).toBe(false);
    const newPid = await expectOneHealthyWorker(dataDir, url);
    expect(newPid).toBe(Number(m![2]));
    // Bounded: 5 s grace after SIGTERM, SIGKILL (≤ 3 s to be gone and reaped), then the new start.
    expect(ms).toBeLessThan(15_000);
    console.log(`restart of a spinning worker took ${ms} ms`);

    const stop = runCli(['worker', 'stop'], env);
    expect(stop.stdout).toMatch(new RegExp(`Worker stopped \\(pid ${newPid}\\)`));
    expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'worker.lock'))).toBe(false);
  }, 40_000);

  it('worker stop on a spinning worker: SIGKILL after the grace period, no pid or lock file left', async () => {
    const dataDir = newDataDir('cm-spin-stop-');
    const port = await freePort();
    const env = spinEnv(dataDir, port);
    expect(runCli(['worker', 'start'], env).code).toBe(0);
    const pid = await expectOneHealthyWorker(dataDir, `http://127.0.0.1:${port}`);
    process.kill(pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));

    const t0 = Date.now();
    const stop = runCli(['worker', 'stop'], env);
    const ms = Date.now() - t0;
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`Worker stopped \\(pid ${pid}; it did not exit within 5 s of SIGTERM, so it was killed\\)`));
    expect(ms).toBeGreaterThanOrEqual(5000);
    expect(ms).toBeLessThan(11_000); // + SIGKILL, + waiting for init to reap it
    console.log(`stop of a spinning worker took ${ms} ms`);
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'worker.lock'))).toBe(false);
    expect(workersFor(dataDir)).toEqual([]);
  }, 30_000);

  it('a stopped (SIGSTOP) worker: start says it is hung; restart ends it and starts one healthy worker', async () => {
    const dataDir = newDataDir('cm-sigstop-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    const url = `http://127.0.0.1:${port}`;
    expect(runCli(['worker', 'start'], env).code).toBe(0);
    const oldPid = await expectOneHealthyWorker(dataDir, url);
    process.kill(oldPid, 'SIGSTOP');
    try {
      expect(await healthOrNull(url)).toBeNull();
      const t0 = Date.now();
      const start = runCli(['worker', 'start'], env);
      expect(start.code).toBe(1);
      expect(start.stderr).toMatch(new RegExp(`^claude-mem: worker pid ${oldPid} is running but does not answer .*/api/health \\(hung or busy\\)`));
      expect(start.stderr).toMatch(/claude-mem worker restart/);
      expect(Date.now() - t0).toBeLessThan(5000);

      const restart = runCli(['worker', 'restart'], env);
      expect(restart.code, restart.stderr).toBe(0);
      expect(restart.stdout).toMatch(new RegExp(`pid ${oldPid} → \\d+`));
      expect(alive(oldPid)).toBe(false);
      await expectOneHealthyWorker(dataDir, url);
    } finally {
      try {
        process.kill(oldPid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    expect(runCli(['worker', 'stop'], env).code).toBe(0);
  }, 40_000);
});

describe('stale lock and pid files never stop a start, and never hurt a stranger', () => {
  let w: WorkerHandle | null = null;
  afterEach(async () => {
    await w?.stop();
    w = null;
  });

  const shapes = [
    ['current format, start time of another process', (pid: number) => ({ pid, startTime: 1, nonce: 'a'.repeat(24), port: 1 })],
    ['older format, pid only', (pid: number) => ({ pid, at: new Date().toISOString() })],
  ] as const;

  for (const [name, record] of shapes) {
    it(`${name}: the worker starts, the stranger survives, stop does not signal it`, async () => {
      const other = stranger();
      const dataDir = newDataDir('cm-stale-');
      fs.writeFileSync(path.join(dataDir, 'worker.lock'), JSON.stringify(record(other.pid!)));
      fs.writeFileSync(path.join(dataDir, 'worker.pid'), JSON.stringify({ ...record(other.pid!), port: 1, host: '127.0.0.1' }));
      w = await startWorker({ dataDir });
      expect(w.output()).not.toMatch(/already running/);
      await expectOneHealthyWorker(dataDir, w.url);
      expect(alive(other.pid!)).toBe(true);

      // The worker stops; then the files are made stale again, naming the stranger.
      expect(await w.stop()).toBe(0);
      w = null;
      fs.writeFileSync(path.join(dataDir, 'worker.pid'), JSON.stringify({ ...record(other.pid!), port: 1, host: '127.0.0.1' }));
      fs.writeFileSync(path.join(dataDir, 'worker.lock'), JSON.stringify(record(other.pid!)));
      const stop = runCli(['worker', 'stop'], testEnv(dataDir, await freePort()));
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toMatch(/Worker was not running/);
      expect(stop.stdout).toMatch(/Removed stale worker\.pid and worker\.lock/);
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(other.pid!)).toBe(true);
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
      expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'worker.lock'))).toBe(false);
      other.kill('SIGKILL');
    });
  }

  it('two workers started at once over a stale lock naming a stranger: exactly one serves', async () => {
    const other = stranger();
    for (let round = 0; round < 3; round++) {
      const dataDir = newDataDir('cm-stale-race-');
      const port = await freePort();
      fs.writeFileSync(path.join(dataDir, 'worker.lock'), JSON.stringify({ pid: other.pid, startTime: 2, nonce: 'old', port }));
      const env = testEnv(dataDir, port);
      const runs = [0, 1].map(() => {
        const p = spawn(process.execPath, [WORKER_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        return { p, out: () => out, code: new Promise<number | null>((r) => p.once('exit', r)) };
      });
      const h = await waitForHealth(`http://127.0.0.1:${port}`);
      const loser = runs.find((r) => r.p.pid !== h.pid)!;
      expect(await loser.code, loser.out()).toBe(0);
      expect(loser.out()).toMatch(new RegExp(`already running \\(pid ${h.pid}`));
      await expectOneHealthyWorker(dataDir, `http://127.0.0.1:${port}`);
      const winner = runs.find((r) => r.p.pid === h.pid)!;
      winner.p.kill('SIGTERM');
      expect(await winner.code).toBe(0);
    }
    expect(alive(other.pid!)).toBe(true);
    other.kill('SIGKILL');
  }, 40_000);

  it('a lock naming a process that has exited, and an unreadable lock, are taken over', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    const dataDir = newDataDir('cm-dead-');
    fs.writeFileSync(path.join(dataDir, 'worker.lock'), JSON.stringify({ pid: dead.pid, startTime: 5, nonce: 'n', port: 1 }));
    w = await startWorker({ dataDir });
    await expectOneHealthyWorker(dataDir, w.url);
    expect(await w.stop()).toBe(0);
    fs.writeFileSync(path.join(dataDir, 'worker.lock'), '{"pid": 12');
    w = await startWorker({ dataDir });
    await expectOneHealthyWorker(dataDir, w.url);
  });

  it('a live worker of ours still wins: a second start exits 0 and names it', async () => {
    w = await startWorker();
    const second = spawn(process.execPath, [WORKER_SCRIPT], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    second.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`already running \\(pid ${w.proc.pid}, http://127\\.0\\.0\\.1:${w.port}\\)`));
    expect((await getJson<{ pid: number }>(`${w.url}/api/health`)).pid).toBe(w.proc.pid);
  });

  it('SessionStart with a stale lock naming a live stranger starts the worker at once', async () => {
    const other = stranger();
    const dataDir = newDataDir('cm-stale-hook-');
    const port = await freePort();
    fs.writeFileSync(path.join(dataDir, 'worker.lock'), JSON.stringify({ pid: other.pid, at: new Date().toISOString() }));
    const payload = fixtures().find((f) => f.event === 'SessionStart')!.payload;
    const env = testEnv(dataDir, port);
    const run = runHook('session-start', { ...payload, cwd: tempDir('cm-stale-hook-project-') }, env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(/did not start|failed to start/);
    expect(run.ms).toBeLessThan(4000);
    const pid = await expectOneHealthyWorker(dataDir, `http://127.0.0.1:${port}`);
    expect(alive(other.pid!)).toBe(true);
    process.kill(pid, 'SIGTERM');
    other.kill('SIGKILL');
  });
});

describe('worker start names the real cause first', () => {
  it('port in use: the message names the port and the pid holding it', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const dataDir = newDataDir('cm-port-');
      const t0 = Date.now();
      const r = runCli(['worker', 'start'], testEnv(dataDir, port));
      expect(r.code).toBe(1);
      const holder = hasProc ? `pid ${process.pid} \\(` : 'another program';
      expect(r.stderr.split('\n')[0]).toMatch(
        new RegExp(`^claude-mem: the worker could not start: Port ${port} on 127\\.0\\.0\\.1 is already in use by ${holder}`),
      );
      expect(r.stderr).toMatch(/CLAUDE_MEM_WORKER_PORT/);
      expect(r.stderr).not.toMatch(/did not answer/);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(fs.existsSync(path.join(dataDir, 'worker.lock'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
    } finally {
      srv.close();
    }
  });
});

describe('bounded live streams', () => {
  let w: WorkerHandle;
  afterAll(async () => {
    await w?.stop();
  });

  it(`at most ${MAX_SSE_STREAMS} /stream connections; a closed one frees its slot`, async () => {
    w = await startWorker();
    const open: AbortController[] = [];
    const openStream = async () => {
      const ac = new AbortController();
      const res = await authedFetch(`${w.url}/stream`, { signal: ac.signal });
      if (res.status === 200) {
        // Wait for the hello event so the server has counted it.
        const reader = res.body!.getReader();
        const first = new TextDecoder().decode((await reader.read()).value);
        expect(first).toMatch(/event: hello/);
        open.push(ac);
      }
      return res;
    };
    try {
      for (let i = 0; i < MAX_SSE_STREAMS; i++) expect((await openStream()).status).toBe(200);
      const refused = await openStream();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: string }).error).toMatch(new RegExp(`too many live streams \\(${MAX_SSE_STREAMS} open`));
      // Other endpoints are unaffected.
      expect((await getJson<{ status: string }>(`${w.url}/api/health`)).status).toBe('ok');

      open.shift()!.abort();
      const until = Date.now() + 5000;
      let again: Response;
      do {
        await new Promise((r) => setTimeout(r, 50));
        again = await openStream();
      } while (again.status !== 200 && Date.now() < until);
      expect(again.status).toBe(200);
    } finally {
      for (const ac of open) ac.abort();
    }
  });
});

describe('a worker in the foreground says what is wrong on stderr', () => {
  async function run(extra: Record<string, string>): Promise<string> {
    const dataDir = newDataDir('cm-fg-');
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ CLAUDE_MEM_WORKER_HOST: '127.0.0.1', CLAUDE_MEM_LOG_LEVEL: 'loud' }));
    const port = await freePort();
    const proc = spawn(process.execPath, [WORKER_SCRIPT], { env: testEnv(dataDir, port, extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    try {
      await waitForHealth(`http://127.0.0.1:${port}`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    // The log file has it either way.
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'worker.log'), 'utf8')).toMatch(/WARN \[worker\] Settings: CLAUDE_MEM_LOG_LEVEL/);
    return err;
  }

  it('npm start: settings problems are echoed to stderr', async () => {
    expect(await run({ npm_lifecycle_event: 'start' })).toMatch(/WARN \[worker\] Settings: CLAUDE_MEM_LOG_LEVEL: invalid value "loud"/);
  });

  it('started in the background (stderr not a terminal, not npm start): nothing echoed', async () => {
    expect(await run({})).not.toMatch(/Settings:/);
  });
});
