// What every hook shares: read one JSON object from stdin (size-capped), talk to the worker over
// loopback HTTP with a short timeout, print exactly one JSON object, and always exit 0.
// Fail open: Claude Code must never be blocked or slowed by memory.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { hookStatePath } from '../../config/paths.js';
import { loadSettings, type Settings } from '../../config/SettingsManager.js';
import { readHookCredential } from '../../config/workerToken.js';

export type HookInput = Record<string, unknown> & { session_id?: string; cwd?: string; hook_event_name?: string };
export type HookOutput = Record<string, unknown>;

/** Payloads up to this size are parsed whole (a 50 MB tool output is rare but real). */
const MAX_STDIN_BYTES = 128 * 1024 * 1024;
/** Of a larger payload only the ends are kept, to recover the event's identity (see salvage). */
const SALVAGE_BYTES = 256 * 1024;
/** Reading and parsing a huge payload may take this long; the worker deadline starts after it. */
const STDIN_DEADLINE_MS = 3000;
/** Re-announce "memory offline" at most this often. */
const OFFLINE_NOTICE_INTERVAL_MS = 30 * 60_000;

export class WorkerUnreachable extends Error {}

export interface StdinText {
  text: string;
  /** Bytes received; larger than the text when the payload exceeded the limit. */
  bytes: number;
  /** For an oversized payload: its last bytes (the text then holds only its first bytes). */
  tail: string | null;
}

export async function readStdin(limit = MAX_STDIN_BYTES): Promise<StdinText> {
  if (process.stdin.isTTY) return { text: '', bytes: 0, tail: null };
  const chunks: Buffer[] = [];
  let tail: Buffer[] = [];
  let tailSize = 0;
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    if (size + buf.length <= limit) chunks.push(buf);
    else {
      // Keep draining so the writer never blocks on a full pipe, remembering only the end.
      tail.push(buf);
      tailSize += buf.length;
      while (tail.length > 1 && tailSize - tail[0].length >= SALVAGE_BYTES) tailSize -= tail.shift()!.length;
    }
    size += buf.length;
  }
  if (size <= limit) return { text: Buffer.concat(chunks).toString('utf8'), bytes: size, tail: null };
  const head = Buffer.concat(chunks).subarray(0, SALVAGE_BYTES).toString('utf8');
  const end = Buffer.concat(tail);
  return { text: head, bytes: size, tail: end.subarray(Math.max(0, end.length - SALVAGE_BYTES)).toString('utf8') };
}

/**
 * A payload too large to parse: recover the top-level string fields that identify the event from
 * its two ends, and record that the tool output was too large rather than dropping the event.
 */
export function salvageOversized(stdin: StdinText): HookInput | null {
  // Claude Code sends the identifying fields before tool_input/tool_response and tool_use_id
  // after them: search the head up to the tool data, and the tail for the last occurrence.
  const toolStart = stdin.text.search(/"tool_(?:input|response)"\s*:/);
  const head = toolStart === -1 ? stdin.text : stdin.text.slice(0, toolStart);
  const field = (name: string): string | undefined => {
    const re = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,4096})"`, 'g');
    const candidates = [[...head.matchAll(re)][0], [...(stdin.tail ?? '').matchAll(re)].at(-1)];
    for (const m of candidates) {
      if (!m) continue;
      try {
        return JSON.parse(`"${m[1]}"`) as string;
      } catch {
        /* malformed escape: try the other end */
      }
    }
    return undefined;
  };
  const input: HookInput = {};
  for (const name of ['session_id', 'cwd', 'hook_event_name', 'tool_name', 'tool_use_id', 'agent_id', 'agent_type']) {
    const v = field(name);
    if (v !== undefined) input[name] = v;
  }
  const event = input.hook_event_name;
  if (!input.session_id || !input.tool_use_id || (event !== 'PostToolUse' && event !== 'PostToolUseFailure')) return null;
  const note = `[payload of ${stdin.bytes} bytes was too large to capture]`;
  if (event === 'PostToolUseFailure') input.error = note;
  else input.tool_response = note;
  input.tool_input = note;
  return input;
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

function hookAuth(): Record<string, string> {
  const credential = readHookCredential();
  return credential ? { authorization: `Bearer ${credential}` } : {};
}

/**
 * One HTTP request to the worker (node:http: fetch would cost a hook ~40 ms of loading). Rejects
 * with WorkerUnreachable on connection problems. It carries the hooks' credential unless
 * `authorization` says otherwise: null for none, or the token once the listener proved it is ours
 * (verified.ts).
 */
export function request(
  target: WorkerTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = target.timeoutMs,
  authorization?: string | null,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method,
        path,
        // By default the hook credential (narrow: it only records events), never the worker
        // token: this request goes to whatever holds the port.
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...(authorization === undefined ? hookAuth() : authorization === null ? {} : { authorization }),
        },
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
    // On first use the data dir may not exist yet; without the state file the notice would repeat
    // on every tool call.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify({ offlineNoticeAt: Date.now() }));
  } catch {
    /* data dir read-only: still tell the user */
  }
  return `claude-mem: memory worker is not reachable (${reason}); this session's activity is not being remembered. Start it with \`claude-mem worker start\`, or check \`claude-mem doctor\`.`;
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
  // Two budgets: reading (and parsing) what Claude Code sent, then talking to the worker. A huge
  // payload must not eat the worker's share, and a hung worker must not hold the hook.
  let deadline = setTimeout(() => finish({}), STDIN_DEADLINE_MS);
  deadline.unref();
  try {
    // Inside the memory agent's own process tree: do nothing (no recursion).
    if (process.env.CLAUDE_MEM_INTERNAL === '1') return finish({});
    const stdin = await readStdin();
    let input: unknown;
    if (stdin.tail !== null) input = salvageOversized(stdin);
    else {
      try {
        input = JSON.parse(stdin.text);
      } catch {
        return finish({});
      }
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) return finish({});
    clearTimeout(deadline);
    deadline = setTimeout(() => finish({}), opts.deadlineMs ?? 1400);
    deadline.unref();
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
