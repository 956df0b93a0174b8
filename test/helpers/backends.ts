// The store contract's two backends, for `describe.each`: each test opens a fresh SQLite file or a
// fresh PostgreSQL database (freshDatabase skips the test, with a printed reason, where PostgreSQL
// is missing outside CI) and cleans it up after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPgStore } from '../../src/store/postgres/PgStore.js';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import type { Store } from '../../src/store/Store.js';
import { dropDatabase, freshDatabase } from './postgres.js';

/** Store options both backends take. */
export interface BackendOptions {
  rankLimit?: number;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(opts?: BackendOptions): Promise<Store>;
  cleanup(): Promise<void>;
}

export const TEST_IDENTITY = { author: 'tester@host', owner: 'tester@host#test' };

export function storeBackends(tempPrefix: string): Backend[] {
  let dir = '';
  let pgUrl: string | undefined;
  return [
    {
      name: 'sqlite',
      open: async (opts = {}) => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix));
        return openStore(path.join(dir, 'claude-mem.db'), opts);
      },
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    },
    {
      name: 'postgres',
      open: async (opts = {}) => {
        pgUrl = await freshDatabase();
        return openPgStore(pgUrl, { identity: TEST_IDENTITY, ...opts });
      },
      cleanup: async () => dropDatabase(pgUrl),
    },
  ];
}
