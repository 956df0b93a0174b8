// Paths and identifiers: a search for a file or a dotted/hyphenated identifier finds the
// observations that name it, in their text or in files_read / files_modified, on both stores.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import { openPgStore } from '../../src/store/postgres/PgStore.js';
import { queryPhrases, TermMatcher } from '../../src/store/queryText.js';
import type { Store } from '../../src/store/Store.js';
import type { ObservationInput } from '../../src/api/types.js';
import { dropDatabase, freshDatabase, stopPgServer } from '../helpers/postgres.js';

let dir: string;
let pgUrl: string;
const BACKENDS = [
  {
    name: 'sqlite',
    open: async (): Promise<Store> => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-paths-'));
      return openStore(path.join(dir, 'claude-mem.db'));
    },
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  },
  {
    name: 'postgres',
    open: async (): Promise<Store> => {
      pgUrl = await freshDatabase();
      return openPgStore(pgUrl, { identity: { author: 'tester@host', owner: 'tester@host#paths' } });
    },
    cleanup: async () => dropDatabase(pgUrl),
  },
];

afterAll(() => stopPgServer());

describe('query phrases', () => {
  it('turns paths and compound identifiers into the phrase of their words', () => {
    expect(queryPhrases('where is src/app.ts read')).toEqual([['src', 'app', 'ts']]);
    expect(queryPhrases('EventQueue.enqueue and worker-main, C:\\x\\y.py')).toEqual([
      ['eventqueue', 'enqueue'],
      ['worker', 'main'],
      ['c', 'x', 'y', 'py'],
    ]);
    expect(queryPhrases('plain words only')).toEqual([]);
  });

  it('finds a phrase as written: its words in order, only separators between them', () => {
    const m = new TermMatcher(['app', 'ts'], queryPhrases('app.ts'));
    expect(m.match('["/home/me/src/App.ts"]')).toEqual({ terms: 2, phrases: 1 });
    expect(m.match('app.tsx and web.ts')).toEqual({ terms: 2, phrases: 0 });
    expect(m.match('the app, ts').phrases).toBe(1); // the tokenizer sees the same two words
    expect(m.match('an app written in ts').phrases).toBe(0);
    expect(new TermMatcher(['main'], queryPhrases('worker-main')).match('a worker; worker-main.js').phrases).toBe(1);
  });
});

describe.each(BACKENDS)('$name store: paths and identifiers', (backend) => {
  let store: Store;
  const ids: Record<string, number> = {};

  beforeEach(async () => {
    store = await backend.open();
    const add = async (key: string, o: Partial<ObservationInput>) => {
      const r = await store.sessions.insertObservation({
        content_session_id: `s-${key}`,
        project: 'proj',
        type: 'discovery',
        title: 'Untitled',
        subtitle: '',
        narrative: '',
        facts: [],
        concepts: [],
        files_read: [],
        files_modified: [],
        ...o,
      });
      ids[key] = r.id;
    };
    await add('readsApp', { title: 'Read the entry point', narrative: 'Looked at how the server starts.', files_read: ['/home/me/proj/src/app.ts'] });
    await add('appWords', { title: 'App settings page', narrative: 'The page is built with ts-node scripts and an app shell.' });
    await add('otherTs', { title: 'Router cleanup', narrative: 'Split the routes.', files_modified: ['/home/me/proj/src/router.ts'] });
    await add('enqueue', { title: 'Group commit in EventQueue.enqueue', narrative: 'Batches inserts into one transaction.' });
    await add('changesMain', { title: 'Start-up order changed', narrative: 'Settings load first.', files_modified: ['src/services/worker/worker-main.ts'] });
    await add('mentionsMain', { title: 'Crash on boot', narrative: 'worker-main.js crashed when the port was taken.' });
    await add('mainWords', { title: 'Main menu', narrative: 'The worker pool shows in the menu.' });
    await add('camelFile', { title: 'Retry budget', narrative: 'Raised the limit.', files_modified: ['src/agent/OutageBreaker.ts'] });
    for (let i = 0; i < 5; i++) await add(`filler${i}`, { title: `Unrelated note ${i}`, narrative: 'Nothing about files here.' });
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  const top = async (query: string, n: number) =>
    (await store.search.search({ query, project: 'proj', kinds: ['observations'] })).observations.slice(0, n).map((o) => o.id);

  it('finds a file by its name or its path, read or modified', async () => {
    expect(await top('app.ts', 1)).toEqual([ids.readsApp]);
    expect(await top('src/app.ts', 1)).toEqual([ids.readsApp]);
    expect(await top('router.ts', 1)).toEqual([ids.otherTs]);
    expect(await top('worker-main.ts', 1)).toEqual([ids.changesMain]);
  });

  it('finds a hyphenated name in files and in text above its words apart', async () => {
    expect(new Set(await top('worker-main', 2))).toEqual(new Set([ids.changesMain, ids.mentionsMain]));
  });

  it('finds a dotted identifier, and its parts', async () => {
    expect(await top('EventQueue.enqueue', 1)).toEqual([ids.enqueue]);
    expect(await top('queue', 1)).toEqual([ids.enqueue]);
  });

  it('finds a file by a camelCase part of its name', async () => {
    expect(await top('breaker', 1)).toEqual([ids.camelFile]);
    expect(await top('outage', 1)).toEqual([ids.camelFile]);
    expect(await top('OutageBreaker.ts', 1)).toEqual([ids.camelFile]);
  });

  it('keeps the files filter', async () => {
    const res = await store.search.search({ query: 'settings', files: ['worker-main.ts'], kinds: ['observations'] });
    expect(res.observations.map((o) => o.id)).toEqual([ids.changesMain]);
  });
});
