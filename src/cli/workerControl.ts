// Starting, stopping and inspecting the worker process from the CLI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tailLog } from '../config/logger.js';
import { ensureDataDir, pidFilePath, workerLogPath } from '../config/paths.js';
import { loadSettings } from '../config/SettingsManager.js';
import {
  fileSize,
  isAlive,
  ownership,
  processStartTime,
  readRecord,
  recordedWorker,
  removeStaleWorkerFiles,
  startFailureSince,
  type WorkerRecord,
} from '../worker/lock.js';
import type { HealthResponse } from '../api/types.js';
import { createWorkerClient, type WorkerClient } from '../api/workerClient.js';

export type Health = HealthResponse;

/**
 * The one worker client (api/workerClient.ts) at the address in settings (env, then settings.json,
 * then 127.0.0.1:37777). Every CLI request to the worker goes through it.
 */
export function workerClient(timeoutMs = 60_000): WorkerClient {
  const { settings } = loadSettings({ createIfMissing: false });
  return createWorkerClient({ host: settings.CLAUDE_MEM_WORKER_HOST, port: settings.CLAUDE_MEM_WORKER_PORT, timeoutMs });
}

export function workerBaseUrl(): string {
  return workerClient().baseUrl;
}

export async function health(timeoutMs = 1000): Promise<Health | null> {
  try {
    const body = (await workerClient().health(timeoutMs)) as Partial<Health> | string | null;
    // Some other program on our port may answer 200 too: only our worker's shape counts.
    return body && typeof body === 'object' && body.status === 'ok' && Number.isInteger(body.pid) ? (body as Health) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long `worker stop` waits after SIGTERM before SIGKILL (the worker cuts its own stop at 4 s). */
export const STOP_GRACE_MS = 5000;

export async function startWorker(workerScript: string, waitMs = 15_000): Promise<{ pid: number; alreadyRunning: boolean }> {
  const running = await health();
  if (running) return { pid: running.pid, alreadyRunning: true };
  ensureDataDir();
  const until = Date.now() + waitMs;
  // A worker of ours holds the lock but does not answer: a new one would only find that lock.
  // Until it writes worker.pid it is still starting (a hook may have just started it, or it is
  // migrating the database), so give it a few seconds; once it listened, silence means hung.
  const held = recordedWorker();
  if (held) {
    const pidFile = readRecord(pidFilePath());
    const listened = pidFile.kind === 'record' && pidFile.rec.nonce === held.nonce;
    const patience = Math.min(until, Date.now() + (listened ? 1500 : 5000));
    while (Date.now() < patience && ownership(held) === 'ours') {
      const h = await health(500);
      if (h) return { pid: h.pid, alreadyRunning: true };
      await sleep(100);
    }
    if (ownership(held) === 'ours') {
      throw new Error(
        `worker pid ${held.pid} is running but does not answer ${workerBaseUrl()}/api/health (hung or busy). ` +
          'Run `claude-mem worker restart` to end it and start a new one.',
      );
    }
  }
  const logFile = workerLogPath();
  const offset = fileSize(logFile);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [workerScript], { detached: true, stdio: ['ignore', log, log], env: process.env });
  fs.closeSync(log);
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));
  child.unref();
  while (Date.now() < until) {
    await sleep(100);
    const h = await health(500);
    if (h) return { pid: h.pid, alreadyRunning: false };
    if (exitCode !== null && exitCode !== 0) {
      // The worker says why (port taken and by whom, unreadable data dir, bad database URL…).
      const cause = startFailureSince(logFile, offset);
      throw new Error(
        cause
          ? `the worker could not start: ${cause}`
          : `the worker exited with code ${exitCode} before answering. Last log lines:\n${tailLog(logFile, 15).join('\n')}`,
      );
    }
    // Exit 0: another worker took the lock first; keep waiting for that one unless it is gone too.
    if (exitCode === 0 && !recordedWorker()) break;
  }
  throw new Error(
    `the worker (pid ${child.pid}) did not answer ${workerBaseUrl()}/api/health within ${waitMs / 1000} s. Last log lines:\n${tailLog(logFile, 15).join('\n')}`,
  );
}

export interface StopResult {
  stopped: boolean;
  /** The worker that was stopped (the first, if the files and the port named two). */
  pid: number | null;
  /** It did not exit within STOP_GRACE_MS of SIGTERM and was killed with SIGKILL. */
  forced: boolean;
  /** How long it was given after SIGTERM. */
  graceMs: number;
  /** Stale worker.pid / worker.lock files removed (their process was gone or not our worker). */
  removed: string[];
}

/** The pid exists at all, zombies included (unlike isAlive). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Stops the worker. Only a process proven to be our worker is signalled: one named by worker.pid /
 * worker.lock whose start time still matches, or the process answering our health endpoint. A
 * stale file naming some other program is removed, never acted on.
 */
export async function stopWorker(graceMs = STOP_GRACE_MS): Promise<StopResult> {
  const targets = new Map<number, WorkerRecord>();
  const recorded = recordedWorker();
  if (recorded) targets.set(recorded.pid, recorded);
  // Asked only when the files name no live worker: a hung one would make us wait for nothing.
  const h = recorded ? null : await health();
  if (h) {
    // It answered on our port but no file names it (another data dir, or files deleted). Its pid
    // comes from the network, so check the process really runs our worker before signalling it.
    const rec: WorkerRecord = { pid: h.pid, startTime: null, nonce: h.instance ?? '', port: null };
    if (ownership(rec) === 'ours') targets.set(h.pid, { ...rec, startTime: processStartTime(h.pid) });
  }
  if (targets.size === 0) return { stopped: false, pid: null, forced: false, graceMs, removed: removeStaleWorkerFiles() };

  // Gone, or the pid now belongs to a new process: either way our worker has exited.
  const gone = (t: WorkerRecord) => !isAlive(t.pid) || (t.startTime !== null && processStartTime(t.pid) !== t.startTime);
  const waitGone = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until && [...targets.values()].some((t) => !gone(t))) await sleep(50);
  };
  for (const t of targets.values()) {
    signal(t.pid, 'SIGTERM');
    // A stopped process (SIGSTOP, ^Z) must run again to act on SIGTERM.
    signal(t.pid, 'SIGCONT');
  }
  await waitGone(graceMs);
  let forced = false;
  for (const t of targets.values()) {
    if (gone(t)) continue;
    // Busy or hung (event loop blocked): it will never act on SIGTERM.
    signal(t.pid, 'SIGKILL');
    forced = true;
  }
  if (forced) await waitGone(3000);
  const left = [...targets.values()].filter((t) => !gone(t));
  if (left.length) throw new Error(`worker pid ${left[0].pid} is still running after SIGKILL; check it with \`ps -p ${left[0].pid}\``);
  // An exited worker stays a zombie until its parent (usually init) reaps it; give that a moment
  // so the pid is really free when we return (some sandboxes' init reaps only every ~1.5 s).
  // Bounded: an init that never reaps must not hang us.
  const reapBy = Date.now() + 3000;
  while (Date.now() < reapBy && [...targets.keys()].some(pidExists)) await sleep(20);
  return { stopped: true, pid: [...targets.keys()][0], forced, graceMs, removed: removeStaleWorkerFiles() };
}

/** Prints new lines appended to the file until interrupted. */
export function follow(file: string, onLine: (line: string) => void): () => void {
  let pos = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let partial = '';
  const timer = setInterval(() => {
    if (!fs.existsSync(file)) return;
    const size = fs.statSync(file).size;
    if (size < pos) pos = 0; // rotated or truncated
    if (size === pos) return;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - pos);
    fs.readSync(fd, buf, 0, buf.length, pos);
    fs.closeSync(fd);
    pos = size;
    const parts = (partial + buf.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) onLine(l);
  }, 250);
  return () => clearInterval(timer);
}
