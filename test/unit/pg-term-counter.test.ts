// Document frequencies on PostgreSQL (PgTermCounter): a common word's comes from ANALYZE's
// statistics (no row is visited), a rare word's is counted, a stop word matches nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStore, type PgStore } from '../../src/store/postgres/PgStore.js';
import { PgTermCounter } from '../../src/store/postgres/PgTermCounter.js';
import { observationInput, TEST_IDENTITY } from '../helpers/backends.js';
import { dropDatabase, freshDatabase, postgresMissing, POSTGRES_SUITE, stopPgServer } from '../helpers/postgres.js';
import { canRun } from '../helpers/requirements.js';

describe.skipIf(!canRun(POSTGRES_SUITE, postgresMissing()))('PostgreSQL document frequencies', () => {
  let url: string;
  let store: PgStore;

  const obs = (i: number, narrative: string) => observationInput({ content_session_id: `s-${i}`, title: `Note ${i}`, narrative });

  beforeAll(async () => {
    url = await freshDatabase();
    store = await openPgStore(url, { identity: TEST_IDENTITY });
    const rows = Array.from({ length: 400 }, (_, i) => obs(i, 'a widget'));
    await store.sessions.importAll({ observations: rows, summaries: [], prompts: [] });
    await store.pool.query('ANALYZE observations');
    // Written after ANALYZE: "gizmo" is in no statistics yet, and "widget" is in 403 rows, not 400.
    const late = [0, 1, 2].map((i) => obs(1000 + i, 'a gizmo and a widget'));
    await store.sessions.importAll({ observations: late, summaries: [], prompts: [] });
  });

  afterAll(async () => {
    await store?.close();
    await dropDatabase(url);
    await stopPgServer();
  });

  it('reads a common word from the statistics and counts a word they do not hold', async () => {
    const counter = new PgTermCounter(store.pool);
    expect(await counter.docFreq('widget', 10_000)).toBe(400);
    expect(await counter.docFreq('gizmo', 10_000)).toBe(3);
    expect(await counter.docFreq('the', 10_000)).toBe(0);
  });

  it('never reports more than the cap + 1', async () => {
    expect(await new PgTermCounter(store.pool).docFreq('widget', 99)).toBe(100);
  });
});
