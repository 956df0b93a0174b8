// One handle on the embedded store: the database plus the three repositories over it.
import { openDatabase, type Db, type OpenOptions } from './Database.js';
import { EventQueue } from './EventQueue.js';
import { SearchIndex } from './SearchIndex.js';
import { SessionStore } from './SessionStore.js';

export interface Store {
  db: Db;
  sessions: SessionStore;
  queue: EventQueue;
  search: SearchIndex;
  close(): void;
}

export function openStore(file: string, opts: OpenOptions = {}): Store {
  const db = openDatabase(file, opts);
  return {
    db,
    sessions: new SessionStore(db),
    queue: new EventQueue(db),
    search: new SearchIndex(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}
