// Chooses the store from settings: the embedded SQLite store, or — with CLAUDE_MEM_DATABASE_URL —
// team mode (shared projects in PostgreSQL, the rest local).
import { localIdentity, type StoreIdentity } from '../config/identity.js';
import { dataDir, dbPath } from '../config/paths.js';
import type { Settings } from '../config/SettingsManager.js';
import { RoutingStore, shareRule } from './RoutingStore.js';
import { openStore } from './sqlite/SqliteStore.js';
import type { Store } from './Store.js';

export interface ConfiguredStoreOptions {
  /** Defaults to DATA_DIR/claude-mem.db. */
  sqliteFile?: string;
  identity?: StoreIdentity;
  /** Claim lease in the shared store (tests shorten it). */
  leaseMs?: number;
}

export async function openConfiguredStore(
  settings: Pick<Settings, 'CLAUDE_MEM_DATABASE_URL' | 'CLAUDE_MEM_SHARED_PROJECTS'> & Partial<Pick<Settings, 'CLAUDE_MEM_SEARCH_RANK_LIMIT'>>,
  opts: ConfiguredStoreOptions = {},
): Promise<Store> {
  const identity = opts.identity ?? localIdentity(dataDir());
  const rankLimit = settings.CLAUDE_MEM_SEARCH_RANK_LIMIT ? Number(settings.CLAUDE_MEM_SEARCH_RANK_LIMIT) : undefined;
  const local = openStore(opts.sqliteFile ?? dbPath(), { identity, rankLimit });
  const url = settings.CLAUDE_MEM_DATABASE_URL.trim();
  if (!url) return local;
  try {
    // Loaded on demand: the embedded-only worker never loads the PostgreSQL driver.
    const { openPgStore } = await import('./postgres/PgStore.js');
    const shared = await openPgStore(url, { identity, leaseMs: opts.leaseMs, rankLimit });
    return new RoutingStore(local, shared, shareRule(settings.CLAUDE_MEM_SHARED_PROJECTS));
  } catch (err) {
    await local.close();
    throw err;
  }
}
