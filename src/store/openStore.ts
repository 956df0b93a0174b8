// Chooses the store from settings: the embedded SQLite store, or — with CLAUDE_MEM_DATABASE_URL —
// team mode (shared projects in PostgreSQL, the rest local).
import { localIdentity, type StoreIdentity } from '../config/identity.js';
import { dataDir, dbPath } from '../config/paths.js';
import type { Settings } from '../config/SettingsManager.js';
import { RoutingStore, shareRule } from './RoutingStore.js';
import { openStore } from './sqlite/SqliteStore.js';
import type { SearchOptions, Store } from './Store.js';

export interface ConfiguredStoreOptions {
  /** Defaults to DATA_DIR/claude-mem.db. */
  sqliteFile?: string;
  identity?: StoreIdentity;
  /** Claim lease in the shared store (tests shorten it). */
  leaseMs?: number;
}

export async function openConfiguredStore(
  settings: Pick<Settings, 'CLAUDE_MEM_DATABASE_URL' | 'CLAUDE_MEM_SHARED_PROJECTS'> &
    Partial<Pick<Settings, 'CLAUDE_MEM_SEARCH_RANK_LIMIT' | 'CLAUDE_MEM_HYBRID_VECTOR_WEIGHT'>>,
  opts: ConfiguredStoreOptions = {},
): Promise<Store> {
  const identity = opts.identity ?? localIdentity(dataDir());
  const local = openStore(opts.sqliteFile ?? dbPath(), { identity, search: searchOptions(settings) });
  const url = settings.CLAUDE_MEM_DATABASE_URL.trim();
  if (!url) return local;
  try {
    // Loaded on demand: the embedded-only worker never loads the PostgreSQL driver.
    const { openPgStore } = await import('./postgres/PgStore.js');
    const shared = await openPgStore(url, { identity, leaseMs: opts.leaseMs, search: searchOptions(settings) });
    return new RoutingStore(local, shared, shareRule(settings.CLAUDE_MEM_SHARED_PROJECTS));
  } catch (err) {
    await local.close();
    throw err;
  }
}

function searchOptions(settings: Partial<Pick<Settings, 'CLAUDE_MEM_SEARCH_RANK_LIMIT' | 'CLAUDE_MEM_HYBRID_VECTOR_WEIGHT'>>): SearchOptions {
  const num = (v: string | undefined) => (v ? Number(v) : undefined);
  const weight = num(settings.CLAUDE_MEM_HYBRID_VECTOR_WEIGHT);
  return { rankLimit: num(settings.CLAUDE_MEM_SEARCH_RANK_LIMIT), vectorWeight: weight === undefined ? undefined : weight / 100 };
}
