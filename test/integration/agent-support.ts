// Shared pieces of the memory-agent integration tests (agent-*.test.ts): scripted gateway replies,
// fixture payloads with fresh ids, log reading and process-tree inspection. The worker, the hooks
// and the CLI are always the real built processes; only the LLM backend is faked.
import type { HealthResponse } from '../../src/worker/WorkerDeps.js';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { lastUserText } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { CLI_SCRIPT, FIXTURES, getJson, postJson, runHook, waitFor, type WorkerHandle } from '../helpers/worker.js';

export const PROJECT_CWD = '/home/user/project';

/** A fixture payload (by file name) with a fresh session id and tool_use_id, plus overrides. */
export function fixturePayload(file: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
  if (typeof payload.tool_use_id === 'string') payload.tool_use_id = `toolu_${randomUUID().replace(/-/g, '')}`;
  return { ...payload, ...overrides };
}

/** Runs a hook bundle and fails the test when it did not exit 0 with one JSON object. */
export function hook(name: string, payload: unknown, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = runHook(name, payload, env);
  if (r.code !== 0) throw new Error(`hook ${name} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout || '{}') as Record<string, unknown>;
}

/**
 * Runs the claude-mem CLI without blocking this process. `runCli` (spawnSync) would freeze the fake
 * gateways living in this process and keep a stopped worker (our child) an unreaped zombie, which
 * `worker stop` would then wait on until its SIGKILL deadline.
 */
export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `cli` that fails the test on a non-zero exit; returns stdout. */
export async function cliOk(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`claude-mem ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ObservationSpec {
  title: string;
  narrative: string;
  type?: string;
  files_modified?: string[];
  facts?: string[];
}

export function observationXml(o: ObservationSpec): string {
  return [
    '<observation>',
    `<type>${o.type ?? 'discovery'}</type>`,
    `<title>${esc(o.title)}</title>`,
    '<subtitle>scripted by the test gateway</subtitle>',
    `<facts>${(o.facts ?? [o.title]).map((f) => `<fact>${esc(f)}</fact>`).join('')}</facts>`,
    `<narrative>${esc(o.narrative)}</narrative>`,
    '<concepts><concept>how-it-works</concept></concepts>',
    '<files_read></files_read>',
    `<files_modified>${(o.files_modified ?? []).map((f) => `<file>${esc(f)}</file>`).join('')}</files_modified>`,
    '</observation>',
  ].join('\n');
}

export function summaryXml(request: string): string {
  return [
    '<summary>',
    `<request>${esc(request)}</request>`,
    '<investigated>src/app.ts and src/util.ts</investigated>',
    '<learned>greet() lives in src/util.ts</learned>',
    '<completed>greeting target renamed to sandbox</completed>',
    '<next_steps>add a test for greet()</next_steps>',
    '<notes></notes>',
    '</summary>',
  ].join('\n');
}

/** True when the request asks for the turn's summary (alone, or after a batch of tool calls). */
export function isSummaryTurn(req: RecordedRequest): boolean {
  const text = lastUserText(req.body);
  return text.includes('Summarize the turn') || text.includes('Claude has then finished this request');
}

/** The `<tool_call>` blocks of a memory-agent request, oldest first (one per tool event in the batch). */
export function toolCalls(req: RecordedRequest): string[] {
  return [...lastUserText(req.body).matchAll(/<tool_call status="\w+">[\s\S]*?<\/tool_call>/g)].map((m) => m[0]);
}

/**
 * The `tool: X` line of the newest event in a memory-agent request. The last one: the agent-sdk
 * transport renders the history into the same user message, oldest first.
 */
export function toolOf(req: RecordedRequest): string {
  const all = [...lastUserText(req.body).matchAll(/^tool: (.+)$/gm)];
  return all.at(-1)?.[1] ?? '';
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

/** A short stable id for the batch a request is about (same events ⇒ same id, across retries). */
export function eventKey(req: RecordedRequest): string {
  return shortHash(lastUserText(req.body));
}

/**
 * A memory-agent reply carrying `marker` (searchable): one distinct observation per tool call in
 * the request, keyed by that call's text, and the summary when the turn asks for one.
 */
export function markedReply(marker: string) {
  return (req: RecordedRequest) => {
    const parts = toolCalls(req).map((call) => {
      const key = shortHash(call);
      const tool = /^tool: (.+)$/m.exec(call)?.[1] ?? '';
      return observationXml({ title: `${marker} ${tool} event ${key}`, narrative: `The ${marker} backend recorded the ${tool} call ${key}.` });
    });
    if (isSummaryTurn(req)) parts.push(summaryXml(`${marker} request`));
    return { text: parts.join('\n') || '<skip/>' };
  };
}

export function readLog(dataDir: string, which: 'worker' | 'error'): string {
  const file = path.join(dataDir, 'logs', which === 'worker' ? 'worker.log' : 'worker-error.log');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export type Health = HealthResponse;

export const health = (w: { url: string }) => getJson<Health>(`${w.url}/api/health`);

export interface ObservationRow {
  id: number;
  title: string;
  narrative: string;
  files_modified: string[];
  content_session_id: string;
  model: string | null;
  tokens: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number } | null;
}

export async function listObservations(w: { url: string }, limit = 500): Promise<ObservationRow[]> {
  const r = await getJson<{ observations: ObservationRow[] }>(`${w.url}/api/observations?limit=${limit}`);
  return r.observations;
}

export async function searchObservations(w: { url: string }, query: string): Promise<ObservationRow[]> {
  const r = await getJson<{ observations: ObservationRow[] }>(`${w.url}/api/search?query=${encodeURIComponent(query)}&limit=100`);
  return r.observations;
}

/** Posts a tool event straight to the worker's hook endpoint (what the PostToolUse hook sends). */
export async function postToolEvent(
  w: { url: string },
  e: { sessionId: string; toolName: string; toolInput: unknown; toolResponse?: unknown; error?: string; toolUseId?: string; cwd?: string },
): Promise<void> {
  const r = await postJson(`${w.url}/api/sessions/observations`, {
    session_id: e.sessionId,
    cwd: e.cwd ?? PROJECT_CWD,
    tool_name: e.toolName,
    tool_input: e.toolInput,
    ...(e.error !== undefined ? { error: e.error } : { tool_response: e.toolResponse ?? null }),
    tool_use_id: e.toolUseId ?? `toolu_${randomUUID().replace(/-/g, '')}`,
  });
  if (r.status !== 202) throw new Error(`tool event not queued: ${r.status} ${JSON.stringify(r.body)}`);
}

/** `waitFor` for a value: resolves with fn's first truthy result, typed without the falsy cases. */
export async function waitForValue<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  return (await waitFor(fn, timeoutMs, what)) as T;
}

export const waitForQueueEmpty = (w: { url: string }, what = 'the queue to drain', ms = 30_000) =>
  waitFor(async () => (await health(w)).queueDepth === 0, ms, what);

/** Lines of worker.log that mention `event=<id>` with the given message. */
export function logLinesFor(log: string, message: string, eventId: number): string[] {
  return log.split('\n').filter((l) => l.includes(` ${message} `) && eventsOf(l).includes(eventId));
}

/** The event ids a log line is about (`events=3,4,5`). */
function eventsOf(line: string): number[] {
  return (/\bevents=([\d,]+)/.exec(line)?.[1] ?? '').split(',').filter(Boolean).map(Number);
}

/** Event ids mentioned by `Starting SDK query` lines, in order of first appearance. */
export function queriedEventIds(log: string): number[] {
  const ids: number[] = [];
  for (const l of log.split('\n')) {
    if (!l.includes(' Starting SDK query ')) continue;
    for (const id of eventsOf(l)) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

// ---- processes (Linux /proc) ---------------------------------------------------------------

function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (children, grandchildren, …). */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== null) parents.set(Number(entry), ppid);
  }
  const out: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [child, parent] of parents) {
      if (parent === p && !out.includes(child)) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Stops whatever worker answers on this handle's port (e.g. one `worker restart` detached). */
export async function stopAnyWorker(w: WorkerHandle): Promise<void> {
  await w.stop();
  try {
    const h = await getJson<{ pid: number }>(`${w.url}/api/health`);
    process.kill(h.pid, 'SIGTERM');
    await waitFor(() => !isRunning(h.pid), 15_000, `worker ${h.pid} to exit`);
  } catch {
    // nothing listening
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
