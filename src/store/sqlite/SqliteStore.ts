// One handle on the embedded store: the database plus the three repositories over it.
import path from 'node:path';
import { localIdentity, type StoreIdentity } from '../../config/identity.js';
import type { SearchOptions, Store as StoreContract, StoreInfo } from '../Store.js';
import { openDatabase, type Db, type OpenOptions } from './Database.js';
import { EventQueue } from './EventQueue.js';
import { SearchIndex } from './SearchIndex.js';
import { backfillSearchTerms, SessionStore } from './SessionStore.js';

/** The SQLite backend: the store contract plus the raw database for SQLite-only features (vectors). */
export interface SqliteStore extends StoreContract {
  db: Db;
  sessions: SessionStore;
  queue: EventQueue;
  search: SearchIndex;
}

/** @deprecated name kept for modules written before the store contract (src/store/Store.ts). */
export type Store = SqliteStore;

export interface SqliteOpenOptions extends OpenOptions {
  /** Author recorded on new sessions; defaults to this user and host. */
  identity?: StoreIdentity;
  search?: SearchOptions;
}

export function openStore(file: string, opts: SqliteOpenOptions = {}): SqliteStore {
  const db = openDatabase(file, opts);
  const identity = opts.identity ?? localIdentity(path.dirname(path.resolve(file)));
  const queue = new EventQueue(db);
  if (!opts.readonly) {
    backfillSearchTerms(db);
    queue.repairSessionKeys();
  }
  const info: StoreInfo = {
    backend: 'sqlite',
    location: file,
    vectors: { available: true, note: 'sqlite-vec, in-process, when CLAUDE_MEM_EMBEDDINGS is set' },
  };
  return {
    db,
    sessions: new SessionStore(db, identity),
    queue,
    search: new SearchIndex(db, opts.search),
    info: () => info,
    close: async () => {
      if (db.open) db.close();
    },
  };
}

/** The SQLite part of a store, when it has one (the embedded store, or the local half of team mode). */
export function sqlitePart(store: StoreContract): SqliteStore | null {
  const s = store as Partial<SqliteStore> & { local?: StoreContract };
  if (s.db && typeof s.db.prepare === 'function') return store as SqliteStore;
  return s.local ? sqlitePart(s.local) : null;
}
