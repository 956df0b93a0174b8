// Shared pieces of the hardening tests (hardening-*.test.ts): a seeded PRNG so every random run can
// be replayed, a raw HTTP client that sends exactly the bytes and headers asked for, and SQLite
// checks run from outside the worker.
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

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
