// Document frequencies on SQLite (SqliteTermCounter): exact up to the rank limit, then estimated
// from the newest rows, never above the cap + 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteTermCounter } from '../../src/store/sqlite/SqliteTermCounter.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { observationInput } from '../helpers/backends.js';

let dir: string;
let store: SqliteStore;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-term-counter-'));
  store = openStore(path.join(dir, 'claude-mem.db'));
  const rows = Array.from({ length: 200 }, (_, i) =>
    observationInput({ content_session_id: `s-${i}`, title: `Note ${i}`, narrative: i % 4 === 0 ? 'a plain note' : i < 3 ? 'a gizmo widget' : 'a widget' }),
  );
  await store.sessions.importAll({ observations: rows, summaries: [], prompts: [] });
});

afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('counts a word exactly up to the rank limit', () => {
  const counter = new SqliteTermCounter(store.db, 10);
  expect(counter.docFreq('gizmo', 1000, 200)).toBe(2);
});

it('past the rank limit, counts every match when there are fewer than the sample', () => {
  const counter = new SqliteTermCounter(store.db, 10);
  expect(counter.docFreq('widget', 1000, 200)).toBe(150);
  expect(counter.docFreq('widget', 40, 200)).toBe(41);
});

it('estimates a common word from the rows its newest matches span, within the cap', () => {
  // 3 rows in 4 hold "widget": its newest 40 matches span ~53 rows.
  const estimate = new SqliteTermCounter(store.db, 10, 40).docFreq('widget', 1000, 200);
  expect(estimate).toBeGreaterThanOrEqual(140);
  expect(estimate).toBeLessThanOrEqual(160);
  expect(new SqliteTermCounter(store.db, 10, 40).docFreq('widget', 100, 200)).toBe(101);
});
