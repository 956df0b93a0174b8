// Shared bench plumbing: a real worker process (dist/) on a free port with a temp data dir,
// timing and statistics helpers, and /proc readers. Plain Node ESM so `npm run bench` needs no
// TypeScript toolchain. Mirrors test/helpers/worker.ts on purpose (that file is .ts for vitest).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
export const WORKER_SCRIPT = path.join(DIST, 'worker/worker-main.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-hooks');

/** Every temp dir made by this run, removed by cleanupTempDirs() at the end. */
const tempDirs = [];

export function tempDir(prefix = 'cm-bench-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function cleanupTempDirs() {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for processes under test: temp data dir, no inherited claude-mem or Anthropic settings. */
export function benchEnv(dataDir, port, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('CLAUDE_MEM_') || k.startsWith('ANTHROPIC_') || k === 'CLAUDECODE') delete env[k];
  }
  return {
    ...env,
    CLAUDE_MEM_DATA_DIR: dataDir,
    CLAUDE_MEM_WORKER_PORT: String(port),
    CLAUDE_CONFIG_DIR: path.join(dataDir, 'claude-config'),
    CLAUDE_MEM_LOG_LEVEL: 'WARN',
    ...extra,
  };
}

export async function waitForHealth(url, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return await res.json();
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`worker at ${url} did not become healthy: ${String(last)}`);
}

/**
 * Starts `node dist/worker/worker-main.js` with its own data dir and port.
 * opts: { settings?: object (settings.json), dotenv?: string (.env), env?: object }
 */
export async function startWorker(opts = {}) {
  const dataDir = opts.dataDir ?? tempDir();
  const port = await freePort();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (opts.settings) fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(opts.settings, null, 2));
  if (opts.dotenv !== undefined) fs.writeFileSync(path.join(dataDir, '.env'), opts.dotenv, { mode: 0o600 });
  const env = benchEnv(dataDir, port, opts.env);
  const proc = spawn(process.execPath, [WORKER_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  workerDirs.set(url, dataDir);
  try {
    await waitForHealth(url);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${out}`);
  }
  return {
    port,
    url,
    dataDir,
    dbFile: path.join(dataDir, 'claude-mem.db'),
    env,
    proc,
    pid: proc.pid,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

// Workers started here carry their data dir's token on every request (issue 16), so the bench runs
// whether or not the worker enforces it.
const workerDirs = new Map();

export function authHeaders(url) {
  const dir = workerDirs.get(new URL(url).origin);
  if (!dir) return {};
  try {
    const token = fs.readFileSync(path.join(dir, 'worker.token'), 'utf8').trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}

export function authedFetch(url, init = {}) {
  return fetch(url, { ...init, headers: { ...authHeaders(url), ...(init.headers ?? {}) } });
}

export async function getJson(url) {
  const res = await authedFetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return res.json();
}

export async function postJson(url, body) {
  const res = await authedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} → ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Times one GET (body fully read); returns { ms, bytes, status }. */
export async function timedGet(url) {
  const t0 = nowMs();
  const res = await authedFetch(url);
  const buf = Buffer.from(await res.arrayBuffer());
  return { ms: nowMs() - t0, bytes: buf.length, status: res.status, body: buf };
}

// ---- statistics ----

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (v) => quantile(v, 0.5);

export function summarize(values) {
  return {
    n: values.length,
    p50: round(quantile(values, 0.5)),
    p95: round(quantile(values, 0.95)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length),
  };
}

export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function ratio(a, b) {
  return b > 0 ? round(a / b, 2) : null;
}

// ---- /proc ----

/** Resident set size of a process in MB (VmRSS), or null when unreadable. */
export function rssMb(pid) {
  return procStatusKb(pid, 'VmRSS') / 1024 || null;
}

/** Peak resident set size (VmHWM) in MB. */
export function peakRssMb(pid) {
  return procStatusKb(pid, 'VmHWM') / 1024 || null;
}

function procStatusKb(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** All descendant processes of pid (children, grandchildren…), as [{pid, comm}]. */
export function descendants(pid) {
  const parentOf = new Map();
  const comm = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // Field 2 (comm) is parenthesised and may contain spaces; ppid follows the closing paren.
      const close = stat.lastIndexOf(')');
      const rest = stat.slice(close + 2).split(' ');
      parentOf.set(Number(e), Number(rest[1]));
      comm.set(Number(e), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      /* process exited while listing */
    }
  }
  const out = [];
  const frontier = [pid];
  while (frontier.length) {
    const p = frontier.pop();
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push({ pid: child, comm: comm.get(child) });
        frontier.push(child);
      }
    }
  }
  return out;
}

// ---- deterministic randomness ----

/** Small seeded PRNG (mulberry32) so every run generates the same data. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

export function loadFixture(name) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

export function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}
