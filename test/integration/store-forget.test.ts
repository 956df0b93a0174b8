// Forget, correct and supersede on both stores (the BACKENDS pattern of test/unit/store.test.ts).
// The canary: a string stored in one observation (and in a queued event's raw payload) that, once
// forgotten, no read path returns, no import or replay brings back, and — in SQLite — no byte of
// the database file or its WAL still holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { openPgStore } from '../../src/store/postgres/PgStore.js';
import type { Store } from '../../src/store/Store.js';
import type { ObservationInput, QueuedEvent } from '../../src/api/types.js';
import { exportMemory, importMemory } from '../../src/store/importExport.js';
import { forgetMemory } from '../../src/store/memoryService.js';
import { RoutingStore, shareRule } from '../../src/store/RoutingStore.js';
import { storeBackends, TEST_IDENTITY } from '../helpers/backends.js';
import { freshDatabase, dropDatabase, postgresMissing, POSTGRES_SUITE, stopPgServer } from '../helpers/postgres.js';
import { canRun } from '../helpers/requirements.js';

const BACKENDS = storeBackends('cm-forget-');
let dir: string;

afterAll(() => stopPgServer());

let store: Store;
const CANARY = `zqxcanary${Date.now()}`;

function obs(over: Partial<ObservationInput> = {}): ObservationInput {
  return {
    content_session_id: 's1',
    project: 'proj',
    type: 'discovery',
    title: 'Parser handles code fences',
    subtitle: 'tolerant parsing',
    narrative: 'The reply parser strips markdown code fences before scanning for blocks.',
    facts: ['parser.ts strips fences'],
    concepts: ['how-it-works'],
    files_read: ['/p/src/parser.ts'],
    files_modified: [],
    ...over,
  };
}

function toolEvent(id: string, response: string): QueuedEvent {
  return {
    kind: 'tool',
    payload: { tool_name: 'Read', tool_input: { file_path: '/p/a.ts' }, tool_response: response, tool_use_id: id, cwd: '/p', occurred_at: new Date().toISOString() },
  };
}

const everything = async () => JSON.stringify(await exportMemory(store));

describe.each(BACKENDS)('$name store: forget, correct, supersede', (backend) => {
  beforeEach(async () => {
    store = await backend.open();
    await store.sessions.upsertSession({ contentSessionId: 's1', project: 'proj', cwd: '/p' });
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('forgets a canary everywhere; a dry run changes nothing; the receipt counts what went; import and replay do not bring it back', async () => {
    const keep = await store.sessions.insertObservation(obs());
    const canary = await store.sessions.insertObservation(
      obs({ title: `Secret token handling ${CANARY}`, narrative: `The value ${CANARY} was pasted by mistake.`, facts: [`fact ${CANARY}`], source_ids: ['toolu_canary'] }),
    );
    // A retry of the producing event still queued: its payload holds the raw text too.
    await store.queue.enqueue('s1', 'proj', toolEvent('toolu_canary', `output ${CANARY}`));
    await store.sessions.insertObservation(obs({ title: 'Unrelated', narrative: 'n', source_ids: ['toolu_retry_other'] }));
    const before = await exportMemory(store);
    expect(JSON.stringify(before)).toContain(CANARY);

    // Dry run: lists, removes nothing.
    const dry = await forgetMemory(store, { query: CANARY, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.ids.observations).toEqual([canary.id]);
    expect((await store.sessions.getObservations([canary.id])).length).toBe(1);
    expect((await store.search.search({ query: CANARY })).observations.map((o) => o.id)).toContain(canary.id);
    const countsBefore = await store.sessions.counts();

    const receipt = await forgetMemory(store, { ids: [canary.id] });
    expect(receipt).toMatchObject({ dryRun: false, observations: 1, summaries: 0, prompts: 0, queuedEvents: 1 });
    expect(dry).toMatchObject({ observations: receipt.observations, queuedEvents: receipt.queuedEvents, tombstones: receipt.tombstones });
    expect(await store.queue.depth()).toBe(0);
    // Tombstones: the producing event's id and the row's identity.
    expect(receipt.tombstones).toBe(2);
    const countsAfter = await store.sessions.counts();
    expect(countsBefore.observations - countsAfter.observations).toBe(receipt.observations);

    // Every read path.
    expect(await store.sessions.getObservations([canary.id])).toEqual([]);
    expect((await store.search.search({ query: CANARY })).observations).toEqual([]);
    expect((await store.search.search({ query: 'secret token handling' })).observations.map((o) => o.id)).not.toContain(canary.id);
    expect(JSON.stringify((await store.sessions.listObservations({ limit: 100 })).observations)).not.toContain(CANARY);
    expect(JSON.stringify(await store.sessions.timeline({ anchorId: keep.id, before: 10, after: 10 }))).not.toContain(CANARY);
    expect(await everything()).not.toContain(CANARY);
    expect((await store.sessions.getObservations([keep.id])).length).toBe(1);

    // Re-import of the export taken before: everything else dedupes, the canary stays forgotten.
    const imported = await importMemory(store, before as never);
    expect(imported.observations.forgotten).toBe(1);
    expect(imported.observations.imported).toBe(0);
    expect(await everything()).not.toContain(CANARY);

    // Replay (transcript reconciliation re-enqueues by tool_use_id): a duplicate, even after the
    // idempotency records are pruned; and a completion that still carries the id stores nothing.
    await store.queue.pruneSeen(Date.now() + 365 * 24 * 3600_000);
    expect(await store.queue.enqueue('s1', 'proj', toolEvent('toolu_canary', CANARY))).toEqual({ id: null, duplicate: true });
    const e = await store.queue.enqueue('s1', 'proj', toolEvent('toolu_new', 'fresh'));
    const claimed = await store.queue.claim('s1', 'w', 10);
    expect(claimed.map((r) => r.id)).toContain(e.id);
    const done = await store.queue.complete(
      claimed.map((r) => r.id),
      { observations: [obs({ title: `Replayed ${CANARY}`, narrative: 'again', source_ids: ['toolu_canary'] })] },
    );
    expect(done.observations[0]).toMatchObject({ inserted: false, forgotten: true });
    expect(await everything()).not.toContain(CANARY);

    if (backend.name === 'sqlite') {
      const file = (store as SqliteStore).db.name;
      const bytes = Buffer.concat([fs.readFileSync(file), fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
      expect(bytes.includes(Buffer.from(CANARY))).toBe(false);
      expect(bytes.includes(Buffer.from('zqxcanary'))).toBe(false);
    }
  });

  it('forgets by query, by session and a whole project, with counts per kind', async () => {
    await store.sessions.insertObservation(obs({ title: 'Alpha about widgets', narrative: 'widgets' }));
    await store.sessions.insertObservation(obs({ title: 'Beta about gadgets', narrative: 'gadgets' }));
    await store.sessions.insertSummary({ content_session_id: 's1', project: 'proj', request: 'widgets please', investigated: '', learned: '', completed: '', next_steps: '', notes: '' });
    await store.sessions.upsertSession({ contentSessionId: 's2', project: 'other', cwd: '/o' });
    await store.sessions.insertObservation(obs({ content_session_id: 's2', project: 'other', title: 'Other widgets', narrative: 'widgets elsewhere' }));

    const q = await forgetMemory(store, { query: 'widgets', project: 'proj' });
    expect(q).toMatchObject({ observations: 1, summaries: 1 });
    expect((await store.sessions.listObservations({ projects: ['other'] })).total).toBe(1);

    await expect(forgetMemory(store, { project: 'proj' })).rejects.toThrow(/all: true/);
    const dry = await forgetMemory(store, { project: 'proj', all: true, dryRun: true });
    expect(dry.observations).toBe(1);
    const all = await forgetMemory(store, { project: 'proj', all: true });
    expect(all.observations).toBe(dry.observations);
    expect((await store.sessions.listObservations({ projects: ['proj'] })).total).toBe(0);

    const s = await forgetMemory(store, { session: 's2' });
    expect(s.observations).toBe(1);
    expect((await store.sessions.counts()).observations).toBe(0);
  });

  it('corrects an observation: re-indexed at once, edited_at set, the identity kept', async () => {
    const { id } = await store.sessions.insertObservation(obs());
    const row = await store.sessions.editObservation(id, { title: 'Parser keeps quokka fences', facts: ['edited fact'] });
    expect(row).toMatchObject({ id, title: 'Parser keeps quokka fences', facts: ['edited fact'], subtitle: 'tolerant parsing' });
    expect(Date.parse(row!.edited_at!)).toBeGreaterThan(0);
    expect((await store.search.search({ query: 'quokka' })).observations.map((o) => o.id)).toEqual([id]);
    // Re-inserting the original text finds the corrected row, not a second copy.
    expect(await store.sessions.insertObservation(obs())).toEqual({ id, inserted: false });
    expect(await store.sessions.editObservation(id + 999, { title: 'x' })).toBeNull();
  });

  it('supersedes explicitly and by rule, reversibly, and export/import keeps the link', async () => {
    const a = await store.sessions.insertObservation(obs({ title: 'Config lives in a.json', narrative: 'old', created_at: '2026-01-01T00:00:00Z' }));
    const b = await store.sessions.insertObservation(obs({ title: 'Config moved to b.json', narrative: 'new', created_at: '2026-01-02T00:00:00Z' }));
    expect(await store.sessions.supersede(a.id, b.id)).toBe(true);
    expect(await store.sessions.supersede(a.id, a.id)).toBe(false);
    let [oa] = await store.sessions.getObservations([a.id]);
    expect(oa.superseded_by).toBe(b.id);
    expect(await store.sessions.supersede(a.id, null)).toBe(true);
    [oa] = await store.sessions.getObservations([a.id]);
    expect(oa.superseded_by).toBeNull();

    // Rule: same project, same title and files, newer.
    const c = await store.sessions.insertObservation(obs({ title: 'Config moved to b.json', narrative: 'newer still', created_at: '2026-01-03T00:00:00Z' }));
    expect(await store.sessions.supersedeSame(c.id)).toEqual([b.id]);
    const exported = await exportMemory(store);
    expect(exported.observations.find((o) => o.id === b.id)?.superseded_by).toBe(c.id);

    // Search ranks the superseded one below the current one, however well it matches.
    const strong = await store.sessions.insertObservation(obs({ title: 'Widget cache widget cache widget cache', narrative: 'widget cache widget cache' }));
    const weak = await store.sessions.insertObservation(obs({ title: 'Widget cache notes', narrative: 'moved elsewhere' }));
    const rank = async () => (await store.search.search({ query: 'widget cache' })).observations.map((o) => o.id).filter((id) => id === strong.id || id === weak.id);
    expect(await rank()).toEqual([strong.id, weak.id]);
    await store.sessions.supersede(strong.id, weak.id);
    expect(await rank()).toEqual([weak.id, strong.id]);

    // Forgetting the newer one makes the older current again.
    await forgetMemory(store, { ids: [c.id] });
    const [ob] = await store.sessions.getObservations([b.id]);
    expect(ob.superseded_by).toBeNull();
  });
});

describe('import re-links supersede to the imported rows', () => {
  it('maps the export ids to the new ones', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-forget-'));
    const s = openStore(path.join(dir, 'a.db'));
    try {
      const res = await importMemory(s, {
        observations: [
          { ...obs({ title: 'Old', narrative: 'o' }), id: 70, superseded_by: 71 },
          { ...obs({ title: 'New', narrative: 'n' }), id: 71, superseded_by: null, edited_at: '2026-02-01T00:00:00.000Z' },
        ],
      } as never);
      const [oldId, newId] = res.observations.ids;
      const [o, n] = await s.sessions.getObservations([oldId, newId]);
      expect(o.superseded_by).toBe(newId);
      expect(n.edited_at).toBe('2026-02-01T00:00:00.000Z');
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!canRun(POSTGRES_SUITE, postgresMissing()))('team mode (routing store): forget reaches both stores', () => {
  it('forgets by id in the store that holds it, and a session or project in both', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-forget-team-'));
    const url = await freshDatabase();
    const local = openStore(path.join(dir, 'local.db'));
    const shared = await openPgStore(url, { identity: TEST_IDENTITY });
    const team = new RoutingStore(local, shared, shareRule('team-*'));
    try {
      await team.sessions.upsertSession({ contentSessionId: 'ls', project: 'solo', cwd: '/solo' });
      await team.sessions.upsertSession({ contentSessionId: 'ts', project: 'team-app', cwd: '/team' });
      const a = await team.sessions.insertObservation(obs({ content_session_id: 'ls', project: 'solo', title: `Local ${CANARY}`, narrative: 'l' }));
      const b = await team.sessions.insertObservation(obs({ content_session_id: 'ts', project: 'team-app', title: `Shared ${CANARY}`, narrative: 's' }));
      const dry = await forgetMemory(team, { ids: [a.id, b.id], dryRun: true });
      expect(dry.observations).toBe(2);
      const r = await forgetMemory(team, { ids: [a.id, b.id] });
      expect(r.observations).toBe(2);
      expect(await team.sessions.getObservations([a.id, b.id])).toEqual([]);
      expect(JSON.stringify(await exportMemory(team))).not.toContain(CANARY);
      // Each store keeps its own tombstones: neither copy comes back on import.
      const again = await importMemory(team, {
        observations: [
          obs({ content_session_id: 'ls', project: 'solo', title: `Local ${CANARY}`, narrative: 'l' }),
          obs({ content_session_id: 'ts', project: 'team-app', title: `Shared ${CANARY}`, narrative: 's' }),
        ],
      } as never);
      expect(again.observations.forgotten).toBe(2);
    } finally {
      await team.close();
      await dropDatabase(url);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: a reader holding an old snapshot', () => {
  it('blocks the WAL truncate: the receipt says so instead of claiming the text left the files', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-forget-busy-'));
    const file = path.join(dir, 'claude-mem.db');
    const s = openStore(file, { busyTimeoutMs: 50 });
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      const a = await s.sessions.insertObservation(obs({ title: 'first', narrative: 'a' }));
      const b = await s.sessions.insertObservation(obs({ title: 'second', narrative: 'b' }));
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM observations').get();
      expect((await forgetMemory(s, { ids: [a.id] })).note).toMatch(/WAL/);
      reader.exec('COMMIT');
      expect((await forgetMemory(s, { ids: [b.id] })).note).toBeUndefined();
    } finally {
      reader.close();
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
