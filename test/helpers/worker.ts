// Test helpers: a real worker process (dist/) on a free port with a temp data dir, and running
// the real hook bundles as processes. Tests never touch ~/.claude-mem or ~/.claude.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST = path.join(ROOT, 'dist');
export const WORKER_SCRIPT = path.join(DIST, 'worker/worker-main.js');
export const CLI_SCRIPT = path.join(DIST, 'cli/claude-mem.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-hooks');

export function tempDir(prefix = 'cm-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for processes under test: temp data dir and config dir, no inherited secrets. */
export function testEnv(dataDir: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A worker started with this env is ours: requests to it carry its token (see authHeaders).
  registerWorkerDir(`http://127.0.0.1:${port}`, dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('CLAUDE_MEM_') || k.startsWith('ANTHROPIC_') || k === 'CLAUDECODE') delete env[k];
  }
  return {
    ...env,
    CLAUDE_MEM_DATA_DIR: dataDir,
    CLAUDE_MEM_WORKER_PORT: String(port),
    CLAUDE_CONFIG_DIR: path.join(dataDir, 'claude-config'),
    CLAUDE_MEM_RETRY_BASE_MS: '20',
    // Tests post a few events and wait for them: don't hold a batch open for long.
    CLAUDE_MEM_BATCH_IDLE_MS: '150',
    ...extra,
  };
}

export interface WorkerHandle {
  port: number;
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
  /** Everything the process printed (stdout + stderr). */
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export async function waitForHealth(url: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const res = await authedFetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return (await res.json()) as Record<string, unknown>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`worker at ${url} did not become healthy: ${String(last)}`);
}

export interface StartWorkerOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  /** settings.json content written before start. */
  settings?: Record<string, string>;
  /** .env content written before start (mode 0600). */
  dotenv?: string;
}

export async function startWorker(opts: StartWorkerOptions = {}, attempt = 1): Promise<WorkerHandle> {
  const dataDir = opts.dataDir ?? tempDir();
  const port = opts.port ?? (await freePort());
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (opts.settings) fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(opts.settings, null, 2));
  if (opts.dotenv !== undefined) fs.writeFileSync(path.join(dataDir, '.env'), opts.dotenv, { mode: 0o600 });
  const env = testEnv(dataDir, port, opts.env);
  const proc = spawn(process.execPath, [WORKER_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  // A worker that exits while we wait will never answer: stop waiting at once.
  const gone = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was healthy`))));
  gone.catch(() => undefined);
  try {
    await Promise.race([waitForHealth(url), gone]);
  } catch (err) {
    proc.kill('SIGKILL');
    // The port freePort() picked was taken by a parallel test in between: pick another.
    if (!opts.port && attempt < 3 && /already in use/.test(out)) return startWorker(opts, attempt + 1);
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    port,
    url,
    dataDir,
    env,
    proc,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

export interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs one bundled hook (e.g. 'post-tool-use') with a payload on stdin, as Claude Code does. */
export function runHook(hook: string, input: unknown, env: NodeJS.ProcessEnv): HookRun {
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(DIST, 'hooks', `${hook}.cjs`)], {
    input: typeof input === 'string' ? input : JSON.stringify(input),
    env,
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** Hook bundle for a Claude Code event name. */
export const HOOK_FOR_EVENT: Record<string, string> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'user-prompt-submit',
  PreToolUse: 'pre-tool-use',
  PostToolUse: 'post-tool-use',
  PostToolUseFailure: 'post-tool-use-failure',
  Stop: 'stop',
  SessionEnd: 'session-end',
};

export function fixtures(): Array<{ name: string; event: string; payload: Record<string, unknown> }> {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as Record<string, unknown>;
      return { name: f, event: String(payload.hook_event_name), payload };
    });
}

/** Runs the claude-mem CLI (dist) with the given env. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = spawnSync(process.execPath, [CLI_SCRIPT, ...args], { env, encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---- the worker token (issue 16) -----------------------------------------------------------------
// Workers started here are ours: requests to them carry the token of their data dir, so tests
// work against the worker, which always requires it.

const workerDirs = new Map<string, string>();

/** Remember which data dir the worker at `url` uses (startWorker does this; call it for others). */
export function registerWorkerDir(url: string, dataDir: string): void {
  workerDirs.set(new URL(url).origin, dataDir);
}

/** `Authorization` for the worker at `url` when its data dir is known and holds a token. */
export function authHeaders(url: string): Record<string, string> {
  const dir = workerDirs.get(new URL(url).origin);
  if (!dir) return {};
  try {
    const token = fs.readFileSync(path.join(dir, 'worker.token'), 'utf8').trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}

/** fetch with the worker's token added (see authHeaders). */
export function authedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...authHeaders(url), ...((init.headers as Record<string, string> | undefined) ?? {}) } });
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await authedFetch(url);
  if (!res.ok) throw new Error(`${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function postJson<T = Record<string, unknown>>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await authedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed as T };
}

/** Polls until fn returns a truthy value. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}
