// One worker per data dir (two started at the same moment → one
// serves, the other exits 0 naming it), and a graceful SIGTERM/SIGINT stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, postJson, startWorker, tempDir, testEnv, waitForHealth, WORKER_SCRIPT, type WorkerHandle } from '../helpers/worker.js';

const pids = new Set<number>();
afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

interface Run {
  pid: number;
  code: Promise<number | null>;
  out: () => string;
  kill: (s: NodeJS.Signals) => void;
}

function spawnWorker(env: NodeJS.ProcessEnv): Run {
  const p = spawn(process.execPath, [WORKER_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  pids.add(p.pid!);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  return {
    pid: p.pid!,
    code: new Promise((r) => p.once('exit', (c) => r(c))),
    out: () => out,
    kill: (s) => p.kill(s),
  };
}

const exitedWithin = (p: Promise<number | null>, ms: number) =>
  Promise.race([p.then((c) => ({ exited: true as const, code: c })), new Promise<{ exited: false }>((r) => setTimeout(() => r({ exited: false }), ms))]);

describe('one worker per data dir', () => {
  it('two workers started at the same moment: exactly one serves, the other exits 0 and says where', async () => {
    // Several rounds: the race window is small and must be closed every time.
    for (let round = 0; round < 5; round++) {
      const dataDir = tempDir('cm-dual-');
      const port = await freePort();
      const env = testEnv(dataDir, port);
      const a = spawnWorker(env);
      const b = spawnWorker(env);
      const health = await waitForHealth(`http://127.0.0.1:${port}`);
      // The first to exit is the loser; the other must still be serving a moment later.
      const first = await Promise.race([a.code.then((code) => ({ run: a, code })), b.code.then((code) => ({ run: b, code }))]);
      const loser = first.run;
      const winner = loser === a ? b : a;
      expect(first.code, `round ${round}: ${loser.out()}`).toBe(0);
      expect((await exitedWithin(winner.code, 500)).exited, `round ${round}: ${winner.out()}`).toBe(false);
      expect(health.pid).toBe(winner.pid);
      expect((await waitForHealth(`http://127.0.0.1:${port}`)).pid).toBe(winner.pid);
      expect(loser.out()).toMatch(new RegExp(`already running \\(pid ${winner.pid}, http://127\\.0\\.0\\.1:${port}\\)`));
      const pidFile = JSON.parse(fs.readFileSync(path.join(dataDir, 'worker.pid'), 'utf8'));
      expect(pidFile).toMatchObject({ pid: winner.pid, port });
      winner.kill('SIGTERM');
      expect(await winner.code).toBe(0);
    }
  }, 60_000);

  it('a start while one runs (as a hook or the CLI would) exits 0 at once and leaves it serving', async () => {
    const w = await startWorker();
    try {
      const second = spawnWorker(w.env);
      expect(await second.code).toBe(0);
      expect(second.out()).toMatch(new RegExp(`already running \\(pid ${w.proc.pid}, http://127\\.0\\.0\\.1:${w.port}\\)`));
      expect((await waitForHealth(w.url)).pid).toBe(w.proc.pid);
    } finally {
      await w.stop();
    }
  });
});

describe('graceful stop', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: exit 0, pid file and lock removed, database closed cleanly, data kept`, async () => {
      const w: WorkerHandle = await startWorker();
      const pidFile = path.join(w.dataDir, 'worker.pid');
      const lockFile = path.join(w.dataDir, 'worker.lock');
      expect(fs.existsSync(pidFile)).toBe(true);
      expect(fs.existsSync(lockFile)).toBe(true);
      const ack = await postJson<{ status: string }>(`${w.url}/api/sessions/observations`, {
        session_id: 's-term',
        cwd: '/tmp/term-project',
        tool_name: 'Read',
        tool_input: { file_path: '/tmp/term-project/a.ts' },
        tool_response: 'x',
        tool_use_id: `toolu_term_${signal}`,
      });
      expect(ack.body.status).toBe('queued');

      expect(await w.stop(signal)).toBe(0);
      expect(fs.existsSync(pidFile)).toBe(false);
      expect(fs.existsSync(lockFile)).toBe(false);
      // Closing the last connection checkpoints and removes the WAL files.
      expect(fs.existsSync(path.join(w.dataDir, 'claude-mem.db-wal'))).toBe(false);
      const log = fs.readFileSync(path.join(w.dataDir, 'logs', 'worker.log'), 'utf8');
      expect(log).toMatch(/Worker stopped/);
      const db = new Database(path.join(w.dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
      try {
        expect(db.prepare('SELECT tool_use_id FROM pending_events').pluck().all()).toEqual([`toolu_term_${signal}`]);
      } finally {
        db.close();
      }
      // The next start on the same data dir finds no stale lock and serves again.
      const again = await startWorker({ dataDir: w.dataDir, port: w.port });
      expect((await waitForHealth(again.url)).pid).toBe(again.proc.pid);
      expect(await again.stop()).toBe(0);
    });
  }

  it('SIGTERM with requests in flight still exits 0 promptly', async () => {
    const w = await startWorker();
    const posts = Array.from({ length: 50 }, (_, i) =>
      postJson(`${w.url}/api/sessions/observations`, {
        session_id: 's-busy',
        cwd: '/tmp/busy',
        tool_name: 'Bash',
        tool_input: { command: `echo ${i}` },
        tool_response: String(i),
        tool_use_id: `toolu_busy_${i}`,
      }).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 20));
    const code = await w.stop('SIGTERM');
    await Promise.all(posts);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(w.dataDir, 'worker.lock'))).toBe(false);
  });
});
