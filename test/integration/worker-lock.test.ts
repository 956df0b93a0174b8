// lock.ts: what makes a process "our worker", lock take-over, and what doctor is told.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireWorkerLock,
  inspectWorkerLock,
  isAlive,
  ownership,
  portHolder,
  processStartTime,
  readRecord,
  removeStaleWorkerFiles,
  selfRecord,
  startFailureSince,
  START_FAILURE_PREFIX,
} from '../../src/worker/lock.js';

const hasProc = fs.existsSync('/proc/self/stat');
let dir: string;
const saved = process.env.CLAUDE_MEM_DATA_DIR;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-lock-'));
  process.env.CLAUDE_MEM_DATA_DIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
  else process.env.CLAUDE_MEM_DATA_DIR = saved;
  for (const c of children.splice(0)) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function otherProcess(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const lockFile = () => path.join(dir, 'worker.lock');
const pidFile = () => path.join(dir, 'worker.pid');

describe('ownership', () => {
  it('this process with its own start time is ours; a wrong start time is a stranger; an exited one is dead', async () => {
    const me = selfRecord();
    expect(ownership(me)).toBe('ours');
    if (hasProc) {
      expect(me.startTime).toBe(processStartTime(process.pid));
      expect(ownership({ ...me, startTime: me.startTime! + 1 })).toBe('stranger');
    }
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    expect(isAlive(gone.pid!)).toBe(false);
    expect(ownership({ pid: gone.pid!, startTime: 1, nonce: 'x', port: null })).toBe('dead');
  });

  it.skipIf(!hasProc)('a pid-only record (older format) is ours only if that process runs worker-main', () => {
    const other = otherProcess();
    expect(ownership({ pid: other.pid!, startTime: null, nonce: '', port: null })).toBe('stranger');
  });
});

describe('acquireWorkerLock', () => {
  it('writes pid, start time, nonce; a second acquire by a live owner fails; release removes only our lock', () => {
    const a = acquireWorkerLock(lockFile());
    expect(a.acquired).toBe(true);
    if (!a.acquired) return;
    const onDisk = readRecord(lockFile());
    expect(onDisk.kind === 'record' && onDisk.rec).toEqual({ ...a.record, port: null });
    a.setPort(4242);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, port: 4242, nonce: a.record.nonce });

    const b = acquireWorkerLock(lockFile());
    expect(b).toEqual({ acquired: false, owner: expect.objectContaining({ pid: process.pid, nonce: a.record.nonce }) });
    a.release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock naming a live stranger, a dead process, or garbage — and leaves the stranger alone', () => {
    const other = otherProcess();
    const shapes = [
      JSON.stringify({ pid: other.pid, startTime: 7, nonce: 'n', port: 1 }),
      ...(hasProc ? [JSON.stringify({ pid: other.pid })] : []),
      JSON.stringify({ pid: 2 ** 22 + 12345, startTime: 1, nonce: 'n', port: 1 }),
      '{"pid": ',
      '',
    ];
    for (const content of shapes) {
      fs.writeFileSync(lockFile(), content);
      const r = acquireWorkerLock(lockFile());
      expect(r.acquired, content).toBe(true);
      if (r.acquired) r.release();
    }
    expect(isAlive(other.pid!)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]); // no temp or guard files left behind
  });

  it('many contenders for one stale lock: exactly one wins', async () => {
    const other = otherProcess();
    // Separate processes, as real starters are: lock.ts bundled to plain JS for them.
    const bundle = path.join(dir, 'lock.mjs');
    buildSync({ entryPoints: [path.resolve(__dirname, '../../src/worker/lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const script = `
      const { acquireWorkerLock } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const r = acquireWorkerLock(process.argv[1]);
      process.stdout.write(r.acquired ? 'won' : 'lost:' + r.owner?.pid);
      setTimeout(() => {}, 1500);
    `;
    for (let round = 0; round < 3; round++) {
      fs.writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, startTime: 3, nonce: 'old', port: 1 }));
      const runs = Array.from({ length: 4 }, () => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script, lockFile()], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        return new Promise<{ pid: number; out: string }>((r) => p.once('exit', () => r({ pid: p.pid!, out })));
      });
      const results = await Promise.all(runs);
      const winners = results.filter((r) => r.out === 'won');
      expect(winners, JSON.stringify(results)).toHaveLength(1);
      for (const r of results) if (r.out !== 'won') expect(r.out).toBe(`lost:${winners[0].pid}`);
      fs.rmSync(lockFile(), { force: true });
    }
    fs.rmSync(bundle);
  }, 30_000);
});

describe('removeStaleWorkerFiles and inspectWorkerLock', () => {
  it('removes files naming a stranger or nobody; keeps and reports files naming a live worker', () => {
    const other = otherProcess();
    fs.writeFileSync(pidFile(), JSON.stringify({ pid: other.pid, startTime: 9, nonce: 'x', port: 1 }));
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, startTime: 9, nonce: 'x', port: 1 }));
    const lines = inspectWorkerLock(null);
    if (hasProc) {
      expect(lines.map((l) => l.good)).toEqual(['warn', 'warn']);
      expect(lines[0].text).toMatch(new RegExp(`^stale worker\\.lock: pid ${other.pid} is now another program \\(node\\), not the worker`));
      expect(lines[1].text).toMatch(/^stale worker\.pid: /);
      expect(removeStaleWorkerFiles().sort()).toEqual(['worker.lock', 'worker.pid']);
      expect(isAlive(other.pid!)).toBe(true);
    }

    const me = acquireWorkerLock(lockFile());
    expect(me.acquired).toBe(true);
    if (!me.acquired) return;
    me.setPort(5555);
    expect(removeStaleWorkerFiles()).toEqual([]);
    expect(inspectWorkerLock({ pid: process.pid, instance: me.record.nonce })).toEqual([
      { good: true, text: `worker.lock: held by the running worker (pid ${process.pid}, port 5555)` },
    ]);
    const hung = inspectWorkerLock(null);
    expect(hung[0].good).toBe(false);
    expect(hung[0].text).toMatch(/does not answer \/api\/health on port 5555 .*claude-mem worker restart/);
    me.release();
    expect(inspectWorkerLock(null)).toEqual([]);
  });
});

describe('start failure and port holder', () => {
  it("reads the worker's own reason from after the offset only", () => {
    const log = path.join(dir, 'worker.log');
    fs.writeFileSync(log, `${START_FAILURE_PREFIX}an old failure\n`);
    const offset = fs.statSync(log).size;
    expect(startFailureSince(log, offset)).toBeNull();
    fs.appendFileSync(log, `2026-01-01T00:00:00.000Z ERROR [worker] Worker failed to start\n${START_FAILURE_PREFIX}Port 1 is taken\n`);
    expect(startFailureSince(log, offset)).toBe('Port 1 is taken');
  });

  it.skipIf(!hasProc)('finds the pid listening on a port', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      expect(portHolder(port)).toEqual({ pid: process.pid, name: expect.any(String) });
    } finally {
      srv.close();
    }
    expect(portHolder(1)).toBeNull();
  });
});
