// The PostgreSQL store (team mode): a pool, migrations, and the three repositories over it.
import type { StoreIdentity } from '../../config/identity.js';
import type { SearchOptions, Store, StoreInfo } from '../Store.js';
import { detectPgvector, migratePg } from './migrations.js';
import { createPool, redactUrl, type Pool } from './pgClient.js';
import { DEFAULT_LEASE_MS, PgEventQueue } from './PgEventQueue.js';
import { PgSearchIndex } from './PgSearchIndex.js';
import { PgSessionStore } from './PgSessionStore.js';

export interface PgStore extends Store {
  pool: Pool;
  sessions: PgSessionStore;
  queue: PgEventQueue;
  search: PgSearchIndex;
}

export interface PgOpenOptions {
  identity: StoreIdentity;
  /** How long a claim holds before another claim may take the event (default 10 min). */
  leaseMs?: number;
  poolSize?: number;
  search?: SearchOptions;
}

/** Connects, migrates and detects pgvector. Errors name the (redacted) URL and the likely fix. */
export async function openPgStore(url: string, opts: PgOpenOptions): Promise<PgStore> {
  const pool = createPool(url, opts.poolSize);
  let vectors: StoreInfo['vectors'];
  try {
    await migratePg(pool);
    vectors = await detectPgvector(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as Error & { code?: string };
    const hint =
      e.code === 'ECONNREFUSED'
        ? ' — is PostgreSQL running and listening there?'
        : e.code === '28P01' || e.code === '28000'
          ? ' — check the user and password in CLAUDE_MEM_DATABASE_URL'
          : e.code === '3D000'
            ? ' — create the database first (createdb)'
            : '';
    throw new Error(`PostgreSQL store ${redactUrl(url)}: ${e.message}${hint}`);
  }
  const info: StoreInfo = { backend: 'postgres', location: redactUrl(url), vectors };
  let closed = false;
  return {
    pool,
    sessions: new PgSessionStore(pool, opts.identity),
    queue: new PgEventQueue(pool, opts.identity, opts.leaseMs ?? DEFAULT_LEASE_MS),
    search: new PgSearchIndex(pool, opts.search),
    info: () => info,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
