// What every hook shares: read one JSON object from stdin (size-capped), talk to the worker over
// loopback HTTP with a short timeout, print exactly one JSON object, and always exit 0.
// Fail open: Claude Code must never be blocked or slowed by memory.
import fs from 'node:fs';
import http from 'node:http';
import { hookStatePath } from '../shared/paths.js';
import { loadSettings, type Settings } from '../shared/SettingsManager.js';

export type HookInput = Record<string, unknown> & { session_id?: string; cwd?: string; hook_event_name?: string };
export type HookOutput = Record<string, unknown>;

const MAX_STDIN_BYTES = 32 * 1024 * 1024;
/** Re-announce "memory offline" at most this often. */
const OFFLINE_NOTICE_INTERVAL_MS = 30 * 60_000;

export class WorkerUnreachable extends Error {}

export async function readStdin(limit = MAX_STDIN_BYTES): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    if (size < limit) chunks.push(buf.subarray(0, limit - size));
    size += buf.length; // keep draining so the writer never blocks on a full pipe
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function hookSettings(): Settings {
  // Hooks never create files; the worker does that on first start.
  return loadSettings({ createIfMissing: false }).settings;
}

export interface WorkerTarget {
  host: string;
  port: number;
  timeoutMs: number;
}

export function workerTarget(settings: Settings): WorkerTarget {
  const host = settings.CLAUDE_MEM_WORKER_HOST === '0.0.0.0' ? '127.0.0.1' : settings.CLAUDE_MEM_WORKER_HOST;
  return {
    host,
    port: Number(settings.CLAUDE_MEM_WORKER_PORT),
    timeoutMs: Number(settings.CLAUDE_MEM_HOOK_TIMEOUT_MS) || 1000,
  };
}

/** One HTTP request to the worker. Rejects with WorkerUnreachable on connection problems. */
export function request(
  target: WorkerTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = target.timeoutMs,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(new WorkerUnreachable(e.message)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new WorkerUnreachable(e.message)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** A "memory is offline" notice, shown once per interval rather than on every tool call. */
export function offlineNotice(reason: string): string | null {
  const file = hookStatePath();
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { offlineNoticeAt?: number };
    if (state.offlineNoticeAt && Date.now() - state.offlineNoticeAt < OFFLINE_NOTICE_INTERVAL_MS) return null;
  } catch {
    /* no state yet */
  }
  try {
    fs.writeFileSync(file, JSON.stringify({ offlineNoticeAt: Date.now() }));
  } catch {
    /* data dir missing or read-only: still tell the user this once */
  }
  return `claude-mem: memory worker is not reachable (${reason}); this session's activity is not being remembered. Start it with \`npx claude-mem worker start\`, or check \`npx claude-mem doctor\`.`;
}

/** The worker answered: clear the offline state so a later outage is announced again. */
export function markOnline(): void {
  try {
    fs.rmSync(hookStatePath(), { force: true });
  } catch {
    /* ignore */
  }
}

/**
 * Runs a hook handler with every guarantee: never throws, prints exactly one JSON object, exits 0,
 * and does so within a hard deadline even if something hangs.
 */
export async function runHook(
  handler: (input: HookInput, settings: Settings) => Promise<HookOutput>,
  opts: { deadlineMs?: number } = {},
): Promise<void> {
  let printed = false;
  const finish = (out: HookOutput) => {
    if (printed) return;
    printed = true;
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
  };
  const deadline = setTimeout(() => finish({}), opts.deadlineMs ?? 1400);
  deadline.unref();
  try {
    // Inside the memory agent's own process tree: do nothing (no recursion).
    if (process.env.CLAUDE_MEM_INTERNAL === '1') return finish({});
    const raw = await readStdin();
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch {
      return finish({});
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) return finish({});
    const settings = hookSettings();
    finish(await handler(input as HookInput, settings));
  } catch (err) {
    if (err instanceof WorkerUnreachable) {
      const notice = offlineNotice(err.message);
      return finish(notice ? { systemMessage: notice } : {});
    }
    finish({});
  }
}

/** POSTs an event; a non-2xx answer is not the user's problem, an unreachable worker is. */
export async function postEvent(settings: Settings, path: string, body: unknown): Promise<HookOutput> {
  const res = await request(workerTarget(settings), 'POST', path, body);
  markOnline();
  if (res.status >= 500) throw new Error(`worker answered ${res.status}`);
  return {};
}
