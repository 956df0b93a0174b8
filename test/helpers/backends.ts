// The store contract's two backends, for `describe.each`: each test opens a fresh SQLite file or a
// fresh PostgreSQL database (freshDatabase skips the test, with a printed reason, where PostgreSQL
// is missing outside CI) and cleans it up after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPgStore } from '../../src/store/postgres/PgStore.js';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import type { ObservationInput } from '../../src/api/types.js';
import type { SearchOptions, Store } from '../../src/store/Store.js';
import { dropDatabase, freshDatabase } from './postgres.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(search?: SearchOptions): Promise<Store>;
  cleanup(): Promise<void>;
}

export const TEST_IDENTITY = { author: 'tester@host', owner: 'tester@host#test' };

export function storeBackends(tempPrefix: string): Backend[] {
  let dir = '';
  let pgUrl: string | undefined;
  return [
    {
      name: 'sqlite',
      open: async (search = {}) => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix));
        return openStore(path.join(dir, 'claude-mem.db'), { search });
      },
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    },
    {
      name: 'postgres',
      open: async (search = {}) => {
        pgUrl = await freshDatabase();
        return openPgStore(pgUrl, { identity: TEST_IDENTITY, search });
      },
      cleanup: async () => dropDatabase(pgUrl),
    },
  ];
}

/** An observation to store, with empty defaults for every field a test does not care about. */
export function observationInput(o: Partial<ObservationInput> & Pick<ObservationInput, 'content_session_id' | 'title'>): ObservationInput {
  return { project: 'proj', type: 'discovery', subtitle: '', narrative: '', facts: [], concepts: [], files_read: [], files_modified: [], ...o };
}
