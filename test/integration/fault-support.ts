// Shared pieces of the hardening tests (fault tests): a seeded PRNG so every random run can
// be replayed, a raw HTTP client that sends exactly the bytes and headers asked for, and SQLite
// checks run from outside the worker.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { authHeaders, DIST } from '../helpers/worker.js';

/** mulberry32: small, fast, good enough to generate test inputs; the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from HARDENING_SEED (to replay a failure) or a fresh one; the caller prints it. */
export function seedFromEnv(): number {
  const fromEnv = Number(process.env.HARDENING_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/**
 * One HTTP request with exactly these bytes (node:http: fetch would refuse a foreign Host header
 * or re-encode the body). Rejects only on a network error.
 */
export function rawRequest(
  port: number,
  method: string,
  urlPath: string,
  opts: { body?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (body) headers['content-length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** rawRequest carrying the worker token of a worker started by the helpers (issue 16); headers given win. */
export function authedRequest(
  port: number,
  method: string,
  urlPath: string,
  opts: { body?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return rawRequest(port, method, urlPath, { ...opts, headers: { ...authHeaders(`http://127.0.0.1:${port}`), ...(opts.headers ?? {}) } });
}

/** `PRAGMA integrity_check` on a data dir's database, from a separate read-only connection. */
export function integrityCheck(dataDir: string): string {
  const db = new Database(path.join(dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.prepare('PRAGMA integrity_check').pluck().get());
  } finally {
    db.close();
  }
}

/** Runs a read-only query against a data dir's database. */
export function queryDb<T = Record<string, unknown>>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface HookResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a hook bundle without blocking this process (spawnSync would freeze fake servers and the
 * requests in flight that live here). Input is sent as given: a string or Buffer verbatim.
 */
export function runHookAsync(hook: string, input: unknown, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<HookResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(DIST, 'hooks', `${hook}.cjs`)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.on('error', () => {}); // a hook may exit before reading everything
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    p.stdin.end(Buffer.isBuffer(input) || typeof input === 'string' ? input : JSON.stringify(input));
  });
}

/** The single JSON object a hook printed, or an explanation of what is wrong with its output. */
export function hookOutput(r: HookResult): { ok: true; value: Record<string, unknown> } | { ok: false; why: string } {
  if (r.code !== 0) return { ok: false, why: `exit ${r.code}; stderr: ${r.stderr.slice(0, 300)}` };
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return { ok: false, why: `expected one line of JSON on stdout, got ${lines.length}: ${r.stdout.slice(0, 300)}` };
  try {
    const v = JSON.parse(lines[0]) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, why: `not a JSON object: ${lines[0].slice(0, 200)}` };
    return { ok: true, value: v as Record<string, unknown> };
  } catch {
    return { ok: false, why: `not JSON: ${lines[0].slice(0, 200)}` };
  }
}

/** Mounts a tmpfs of `size` (root with CAP_SYS_ADMIN only); null when that is not possible here. */
export function tryMountTmpfs(size: string): { dir: string; remount: (mode: 'ro' | 'rw') => void; unmount: () => void } | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    remount: (mode) => {
      const m = spawnSync('mount', ['-o', `remount,${mode}`, dir], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`remount ${mode} failed: ${m.stderr}`);
    },
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
