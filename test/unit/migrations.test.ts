// Migrations that change existing data: identifier parts backfilled (4, 11), queue ids never reused (5).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/Database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';

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

it('migration 5 keeps queued events and never hands out an id a dead letter holds', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-mig5-'));
  const file = path.join(dir, 'claude-mem.db');
  const old = new BetterSqlite3(file);
  migrate(old, MIGRATIONS.filter((m) => m.version < 5));
  const now = new Date().toISOString();
  old
    .prepare(`INSERT INTO pending_events (id, content_session_id, project, kind, payload, tool_use_id, created_at) VALUES (3, 's', 'p', 'tool', '{}', 't3', ?)`)
    .run(now);
  old
    .prepare(`INSERT INTO dead_events (id, content_session_id, project, kind, payload, tool_use_id, attempts, created_at, dead_at) VALUES (9, 's', 'p', 'tool', '{}', 't9', 5, ?, ?)`)
    .run(now, now);
  old.close();

  const store = openStore(file);
  try {
    expect((await store.queue.pending()).map((e) => e.id)).toEqual([3]);
    const r = await store.queue.enqueue('s', 'p', {
      kind: 'tool',
      payload: { tool_name: 'Read', tool_input: {}, tool_response: '', tool_use_id: 't10', cwd: '/p', occurred_at: now },
    });
    expect(r.id).toBeGreaterThan(9);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('migration 11 indexes the camelCase parts of file names stored before it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-mig11-'));
  const file = path.join(dir, 'claude-mem.db');
  const old = new BetterSqlite3(file);
  migrate(old, MIGRATIONS.filter((m) => m.version < 11));
  old
    .prepare(
      `INSERT INTO observations (content_session_id, project, type, title, narrative, files_modified, search_terms,
         content_hash, created_at, created_at_epoch)
       VALUES ('s', 'p', 'change', 'Raised the limit', 'n', '["src/agent/OutageBreaker.ts"]', '', 'h1', '2026-11-01T00:00:00Z', 0)`,
    )
    .run();
  old.close();

  const store = openStore(file);
  try {
    const res = await store.search.search({ query: 'breaker', kinds: ['observations'] });
    expect(res.observations.map((o) => o.title)).toEqual(['Raised the limit']);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
