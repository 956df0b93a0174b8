// Starting, stopping and inspecting the worker process from the CLI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { tailLog } from '../shared/logger.js';
import { ensureDataDir, pidFilePath, workerLogPath } from '../shared/paths.js';
import { loadSettings } from '../shared/SettingsManager.js';
import { isAlive } from '../services/worker/lock.js';
import type { HealthResponse } from '../services/worker/WorkerDeps.js';

export type Health = HealthResponse;

export function workerBaseUrl(): string {
  const { settings } = loadSettings({ createIfMissing: false });
  const host = settings.CLAUDE_MEM_WORKER_HOST === '0.0.0.0' ? '127.0.0.1' : settings.CLAUDE_MEM_WORKER_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${settings.CLAUDE_MEM_WORKER_PORT}`;
}

export async function health(timeoutMs = 1000): Promise<Health | null> {
  try {
    const res = await fetch(`${workerBaseUrl()}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as Health) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readPid(): number | null {
  try {
    return Number(JSON.parse(fs.readFileSync(pidFilePath(), 'utf8')).pid) || null;
  } catch {
    return null;
  }
}

export async function startWorker(workerScript: string, waitMs = 15_000): Promise<{ pid: number; alreadyRunning: boolean }> {
  const running = await health();
  if (running) return { pid: running.pid, alreadyRunning: true };
  ensureDataDir();
  const log = fs.openSync(workerLogPath(), 'a');
  const child = spawn(process.execPath, [workerScript], { detached: true, stdio: ['ignore', log, log], env: process.env });
  child.unref();
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    await sleep(100);
    const h = await health(500);
    if (h) return { pid: h.pid, alreadyRunning: false };
    if (child.exitCode !== null && child.exitCode !== 0) break;
  }
  throw new Error(`the worker did not answer /api/health within ${waitMs / 1000} s. Last log lines:\n${tailLog(workerLogPath(), 15).join('\n')}`);
}

export async function stopWorker(waitMs = 15_000): Promise<{ stopped: boolean; pid: number | null }> {
  const h = await health();
  const pid = h?.pid ?? readPid();
  if (!pid || !isAlive(pid)) return { stopped: false, pid: null };
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return { stopped: true, pid };
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
  await sleep(200);
  return { stopped: true, pid };
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
