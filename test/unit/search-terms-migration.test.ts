// Migration 4 adds identifier parts to the index; rows stored before it are backfilled on open.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect, it } from 'vitest';
import { migrate } from '../../src/services/sqlite/Database.js';
import { MIGRATIONS } from '../../src/services/sqlite/migrations.js';
import { openStore } from '../../src/services/sqlite/Store.js';

it('backfills identifier parts for observations stored before migration 4', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-mig4-'));
  const file = path.join(dir, 'claude-mem.db');
  const old = new BetterSqlite3(file);
  migrate(old, MIGRATIONS.filter((m) => m.version < 4));
  old
    .prepare(
      `INSERT INTO observations (content_session_id, project, type, title, narrative, content_hash, created_at, created_at_epoch)
       VALUES ('s', 'p', 'discovery', 'MemoryAgent drains one session', 'n', 'h1', '2026-11-01T00:00:00Z', 0)`,
    )
    .run();
  old.close();

  const store = openStore(file);
  try {
    const res = await store.search.search({ query: 'agent', kinds: ['observations'] });
    expect(res.observations.map((o) => o.title)).toEqual(['MemoryAgent drains one session']);
    expect(store.db.prepare('SELECT COUNT(*) FROM observations WHERE search_terms IS NULL').pluck().get()).toBe(0);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
