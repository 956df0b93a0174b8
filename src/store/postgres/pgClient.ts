// Connection pool and transaction helper for the PostgreSQL store.
import { createRequire } from 'node:module';
import type PgModule from 'pg';

// The driver is required at run time from node_modules, never bundled: it is CommonJS with an
// optional native binding, and only team mode needs it.
const pg = createRequire(import.meta.url)('pg') as typeof PgModule;

export type Pool = PgModule.Pool;
export type Client = PgModule.PoolClient;
export type Queryable = Pick<PgModule.Pool, 'query'> | Pick<PgModule.PoolClient, 'query'>;

export { SHARED_ID_BASE } from './ids.js';

// BIGINT columns (ids, epoch ms, counts) fit a JS number: parse them as numbers, not strings.
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** The URL with any password replaced, for logs, doctor and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

export function createPool(url: string, max = 8): Pool {
  if (!isPostgresUrl(url)) {
    throw new Error(`CLAUDE_MEM_DATABASE_URL: expected a postgres:// or postgresql:// URL, got "${redactUrl(url)}"`);
  }
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (server restart) must not crash the worker.
  pool.on('error', () => {});
  return pool;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function withTx<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** `$1, $2, …` placeholders continuing after `from` existing parameters. */
export function placeholders(n: number, from = 0): string {
  return Array.from({ length: n }, (_, i) => `$${from + i + 1}`).join(', ');
}
