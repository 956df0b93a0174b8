import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../src/store/sqlite/Database.js';
import type { SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { buildMatchExpression } from '../../src/store/queryText.js';
import { migratePg, pgSchemaVersion } from '../../src/store/postgres/migrations.js';
import type { PgStore } from '../../src/store/postgres/PgStore.js';
import type { Store } from '../../src/store/Store.js';
import type { ObservationInput, QueuedEvent } from '../../src/api/types.js';
import { storeBackends } from '../helpers/backends.js';
import { stopPgServer } from '../helpers/postgres.js';

// The store contract runs against both backends; backend-specific checks sit in their own blocks.
const BACKENDS = storeBackends('cm-store-');

afterAll(() => stopPgServer());

let store: Store;

function toolEvent(id: string, extra: Partial<QueuedEvent['payload']> = {}): QueuedEvent {
  return {
    kind: 'tool',
    payload: {
      tool_name: 'Read',
      tool_input: { file_path: '/p/a.ts' },
      tool_response: 'content',
      tool_use_id: id,
      cwd: '/p',
      occurred_at: new Date().toISOString(),
      ...extra,
    } as QueuedEvent['payload'],
  } as QueuedEvent;
}

function obs(over: Partial<ObservationInput> = {}): ObservationInput {
  return {
    content_session_id: 's1',
    project: 'proj',
    type: 'discovery',
    title: 'Parser handles code fences',
    subtitle: 'tolerant parsing',
    narrative: 'The reply parser strips markdown code fences before scanning for blocks.',
    facts: ['parser.ts strips ``` fences'],
    concepts: ['how-it-works'],
    files_read: ['src/parser.ts'],
    files_modified: [],
    ...over,
  };
}

describe.each(BACKENDS)('$name store', (backend) => {
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  describe('migrations', () => {
    it('are recorded and idempotent', async () => {
      if (backend.name === 'sqlite') {
        const db = (store as SqliteStore).db;
        expect(schemaVersion(db)).toBeGreaterThanOrEqual(1);
        expect(migrate(db)).toEqual([]);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      } else {
        const pool = (store as PgStore).pool;
        expect(await pgSchemaVersion(pool)).toBeGreaterThanOrEqual(1);
        expect(await migratePg(pool)).toEqual([]);
      }
    });
  });

  describe('sessions and prompts', () => {
    it('numbers prompts per session and upserts sessions', async () => {
      const s = await store.sessions.upsertSession({ contentSessionId: 'abc', project: 'p', cwd: '/p' });
      expect(await store.sessions.addPrompt(s.id, 'first')).toBe(1);
      expect(await store.sessions.addPrompt(s.id, 'second')).toBe(2);
      const again = await store.sessions.upsertSession({ contentSessionId: 'abc', project: 'p', cwd: '/p' });
      expect(again.id).toBe(s.id);
      expect(again.prompt_counter).toBe(2);
      const other = await store.sessions.upsertSession({ contentSessionId: 'abc', project: 'p', cwd: '/p', platform: 'cursor' });
      expect(other.id).not.toBe(s.id);
      expect((await store.sessions.latestPrompt(s.id))?.prompt_text).toBe('second');
    });
  });

  describe('observations', () => {
    it('dedupes the same session + title + narrative', async () => {
      const a = await store.sessions.insertObservation(obs());
      const b = await store.sessions.insertObservation(obs());
      expect(a.inserted).toBe(true);
      expect(b).toEqual({ id: a.id, inserted: false });
      const c = await store.sessions.insertObservation(obs({ content_session_id: 's2' }));
      expect(c.inserted).toBe(true);
      const rows = await store.sessions.getObservations([c.id, a.id, 999]);
      expect(rows.map((r) => r.id)).toEqual([c.id, a.id]);
      expect(rows[0].facts).toEqual(['parser.ts strips ``` fences']);
    });
  });

  describe('durable queue', () => {
    it('is idempotent by tool_use_id, even after the event was processed', async () => {
      const first = await store.queue.enqueue('s1', 'p', toolEvent('t1'));
      expect(first.duplicate).toBe(false);
      expect((await store.queue.enqueue('s1', 'p', toolEvent('t1'))).duplicate).toBe(true);
      const claimed = await store.queue.claim('s1', 'w1', 10);
      await store.queue.complete(claimed.map((e) => e.id), { observations: [obs()] });
      expect(await store.queue.depth()).toBe(0);
      expect((await store.queue.enqueue('s1', 'p', toolEvent('t1'))).duplicate).toBe(true);
      expect(await store.queue.depth()).toBe(0);
    });

    it('commits concurrent enqueues together, detects duplicates within a batch, isolates a bad event', async () => {
      const events = Array.from({ length: 50 }, (_, i) => store.queue.enqueue('s1', 'p', toolEvent(`c${i}`)));
      const dup = store.queue.enqueue('s1', 'p', toolEvent('c7'));
      // The handler is attached at once: the rejection may land before the batch below resolves.
      const bad = store.queue.enqueue('s1', 'p', toolEvent('bad', { tool_input: { n: 10n } as never })).then(
        () => null,
        (err: unknown) => err,
      );
      const results = await Promise.all(events);
      expect(results.every((r) => !r.duplicate && r.id !== null)).toBe(true);
      expect(new Set(results.map((r) => r.id)).size).toBe(50);
      expect((await dup).duplicate).toBe(true);
      expect(await bad).toBeInstanceOf(Error);
      expect(await store.queue.depth()).toBe(50);
    });

    it('claims in order and never past an event waiting for retry', async () => {
      for (const id of ['a', 'b', 'c']) await store.queue.enqueue('s1', 'p', toolEvent(id));
      const [a] = await store.queue.claim('s1', 'w1', 1);
      expect(a.tool_use_id).toBe('a');
      expect(a.payload).toMatchObject({ tool_use_id: 'a' });
      await store.queue.fail([a.id], 'boom', { retryAt: Date.now() + 60_000, maxAttempts: 5, countAttempt: true });
      expect(await store.queue.claim('s1', 'w1', 10)).toEqual([]);
      const later = await store.queue.claim('s1', 'w1', 10, Date.now() + 61_000);
      expect(later.map((e) => e.tool_use_id)).toEqual(['a', 'b', 'c']);
      expect(later[0].attempts).toBe(1);
      expect(later[0].last_error).toBe('boom');
    });

    it('offers a session only when its head is due, and says when the next head will be', async () => {
      for (const id of ['h1', 'h2']) await store.queue.enqueue('s1', 'p', toolEvent(id));
      await store.queue.enqueue('s2', 'p', toolEvent('other'));
      const [head] = await store.queue.claim('s1', 'w1', 1);
      const retryAt = Date.now() + 30_000;
      await store.queue.fail([head.id], 'backend said no', { retryAt, maxAttempts: 5, countAttempt: true });
      // s1 still has a due event (h2) behind its waiting head: offering s1 would make the agent
      // claim nothing and come straight back. Only s2 is offered.
      expect(await store.queue.readySessions()).toEqual(['s2']);
      expect(await store.queue.nextReadyAt()).toBe(retryAt);
      expect(await store.queue.readySessions(retryAt + 1)).toEqual(['s1', 's2']);
      expect(await store.queue.nextReadyAt(retryAt + 1)).toBeNull();
    });

    it('prunes idempotency records past retention, but never one a queued event still holds', async () => {
      await store.queue.enqueue('s1', 'p', toolEvent('old-done'));
      await store.queue.enqueue('s1', 'p', toolEvent('old-queued'));
      const [done] = await store.queue.claim('s1', 'w1', 1);
      await store.queue.complete([done.id], { observations: [] });
      expect(await store.queue.pruneSeen(Date.now() - 60_000)).toBe(0); // nothing is old yet
      expect(await store.queue.pruneSeen(Date.now() + 60_000)).toBe(1); // only the processed one
      expect((await store.queue.enqueue('s1', 'p', toolEvent('old-queued'))).duplicate).toBe(true);
      expect((await store.queue.enqueue('s1', 'p', toolEvent('old-done'))).duplicate).toBe(false);
    });

    it('stores results and deletes events in one transaction', async () => {
      await store.queue.enqueue('s1', 'p', toolEvent('x'));
      const claimed = await store.queue.claim('s1', 'w1', 10);
      const bad = obs({ type: undefined as never }); // NOT NULL violation inside the transaction
      await expect(store.queue.complete([claimed[0].id], { observations: [obs({ title: 'ok one' }), bad] })).rejects.toThrow();
      expect(await store.queue.depth()).toBe(1);
      expect((await store.sessions.counts()).observations).toBe(0);
    });

    it('dead-letters after max attempts and can retry a dead event', async () => {
      await store.queue.enqueue('s1', 'p', toolEvent('d'));
      for (let i = 0; i < 3; i++) {
        const c = await store.queue.claim('s1', 'w1', 1, Date.now() + i * 1000);
        await store.queue.fail(c.map((e) => e.id), `500 api_error: try ${i}`, { retryAt: 0, maxAttempts: 3, countAttempt: true });
      }
      expect(await store.queue.depth()).toBe(0);
      const dead = await store.queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ attempts: 3, last_error: '500 api_error: try 2', tool_use_id: 'd' });
      expect(await store.queue.retryDead(dead[0].id)).toBe(true);
      expect(await store.queue.depth()).toBe(1);
      expect(await store.queue.deadCount()).toBe(0);
    });

    it('never reuses a dead-lettered event’s id once the queue is empty', async () => {
      const deadIds: number[] = [];
      for (const id of ['p1', 'p2']) {
        await store.queue.enqueue('s1', 'p', toolEvent(id));
        const [e] = await store.queue.claim('s1', 'w1', 1);
        expect(deadIds).not.toContain(e.id);
        await store.queue.fail([e.id], 'poison', { retryAt: 0, maxAttempts: 1, countAttempt: true });
        deadIds.push(e.id);
      }
      expect((await store.queue.deadLetters()).map((d) => d.id).sort()).toEqual([...deadIds].sort());
    });

    it('does not count attempts for failures that are not the event’s fault', async () => {
      await store.queue.enqueue('s1', 'p', toolEvent('e'));
      for (let i = 0; i < 10; i++) {
        const c = await store.queue.claim('s1', 'w1', 1);
        await store.queue.fail(c.map((e) => e.id), '401 authentication_error', { retryAt: 0, maxAttempts: 3, countAttempt: false });
      }
      expect(await store.queue.depth()).toBe(1);
      expect(await store.queue.deadCount()).toBe(0);
    });

    it('expires claims held by a dead worker', async () => {
      await store.queue.enqueue('s1', 'p', toolEvent('z'));
      await store.queue.claim('s1', 'dead-worker', 10);
      expect(await store.queue.claim('s1', 'w2', 10)).toEqual([]);
      expect(await store.queue.expireClaims('w2', 60_000)).toBe(1);
      expect(await store.queue.claim('s1', 'w2', 10)).toHaveLength(1);
    });

    it('tracks token spend per UTC day, and by project, session and model', async () => {
      const a = { project: 'alpha', contentSessionId: 's1', model: 'claude-haiku-4-5' };
      await store.queue.recordUsage({ input_tokens: 100, output_tokens: 20, cache_read_tokens: 5, cache_write_tokens: 0 }, a);
      await store.queue.recordUsage({ input_tokens: 10, output_tokens: 2, cache_read_tokens: 0, cache_write_tokens: 0 }, a);
      await store.queue.recordUsage({ input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 }, { ...a, contentSessionId: 's2', model: 'glm-4.7' });
      expect(await store.queue.spentToday()).toBe(139);
      expect(await store.queue.spentToday(Date.now() + 86_400_000)).toBe(0);
      expect(await store.queue.sessionSpend('s1')).toBe(137);
      expect(await store.queue.sessionSpend('nobody')).toBe(0);
      const today = new Date().toISOString().slice(0, 10);
      const bySession = await store.queue.usage('session', today);
      expect(bySession.map((r) => [r.key, r.requests, r.input_tokens])).toEqual([['s1', 2, 110], ['s2', 1, 1]]);
      const byProject = await store.queue.usage('project', today);
      expect(byProject).toHaveLength(1);
      expect(byProject[0].byModel.map((m) => m.model).sort()).toEqual(['claude-haiku-4-5', 'glm-4.7']);
      expect(await store.queue.usage('day', '2999-01-01')).toEqual([]);
    });
  });

  describe('search', () => {
    it('ranks title hits first and filters', async () => {
      await store.sessions.insertObservation(obs({ title: 'Unrelated change', narrative: 'mentions the parser once' }));
      const hit = await store.sessions.insertObservation(obs({ title: 'Parser rewrite for fences', narrative: 'n' }));
      await store.sessions.insertObservation(obs({ title: 'Parser in other project', project: 'other', narrative: 'x' }));
      const res = await store.search.search({ query: 'parser', project: 'proj' });
      expect(res.observations[0].id).toBe(hit.id);
      expect(res.observations.every((o) => o.project === 'proj')).toBe(true);
      const typed = await store.search.search({ query: 'parser', type: ['bugfix'] });
      expect(typed.observations).toEqual([]);
    });

    it('finds camelCase identifiers by their parts', async () => {
      const hit = await store.sessions.insertObservation(
        obs({ title: 'Group commit in EventQueue.enqueue', narrative: 'Credentials come from buildIsolatedEnv and the HTTPServer options.' }),
      );
      await store.sessions.insertObservation(obs({ title: 'Unrelated note', narrative: 'nothing here' }));
      for (const q of ['queue', 'isolated env', 'server', 'EventQueue']) {
        const res = await store.search.search({ query: q, kinds: ['observations'] });
        expect(res.observations.map((o) => o.id), q).toContain(hit.id);
      }
    });

    it('ranks a hit with its session neighbours, which pass the filters too', async () => {
      const at = (min: number) => new Date(Date.UTC(2025, 0, 1, 10, min)).toISOString();
      const chat = (title: string, min: number, over: Partial<ObservationInput> = {}) =>
        store.sessions.insertObservation(
          obs({ content_session_id: 'chat', title, narrative: title, facts: [], concepts: [], files_read: [], created_at: at(min), ...over }),
        );
      const asked = await chat('Which database backs the ledger service', 1);
      const answer = await chat('Picked PostgreSQL with row locks', 2, { type: 'decision' });
      await chat('Lunch break', 3);
      await chat('Lunch is over', 4);
      const far = await chat('Styled the footer links', 5);
      // Same time, other session: not a neighbour.
      const elsewhere = await store.sessions.insertObservation(
        obs({ content_session_id: 'other', title: 'Renamed a CSS class', narrative: 'n', facts: [], created_at: at(2) }),
      );
      const ids = (await store.search.search({ query: 'ledger database', kinds: ['observations'] })).observations.map((o) => o.id);
      expect(ids[0]).toBe(asked.id);
      expect(ids).toContain(answer.id); // no query word, but right after the hit
      expect(ids).not.toContain(far.id); // more than two records away
      expect(ids).not.toContain(elsewhere.id);
      const typed = await store.search.search({ query: 'ledger database', type: ['discovery'], kinds: ['observations'] });
      expect(typed.observations.map((o) => o.id)).toContain(asked.id);
      expect(typed.observations.map((o) => o.id)).not.toContain(answer.id);
      const paged = await store.search.search({ query: 'ledger database', kinds: ['observations'], limit: 1, offset: 1 });
      expect(paged.observations.map((o) => o.id)).toEqual([ids[1]]);
    });

    it('puts hits that neighbour other hits above isolated ones', async () => {
      const at = (min: number) => new Date(Date.UTC(2025, 0, 1, 10, min)).toISOString();
      const note = (session: string, title: string, min: number) =>
        store.sessions.insertObservation(obs({ content_session_id: session, title, narrative: 'x', facts: [], concepts: [], created_at: at(min) }));
      const first = await note('a', 'flaky retry bravo', 1);
      await note('a', 'unrelated words here', 2);
      const second = await note('a', 'flaky retry delta', 3);
      const lone = await note('b', 'flaky retry alpha', 1); // newest: it would win a tie
      const ids = (await store.search.search({ query: 'flaky', kinds: ['observations'] })).observations.map((o) => o.id);
      expect(ids.indexOf(lone.id)).toBeGreaterThan(ids.indexOf(first.id));
      expect(ids.indexOf(lone.id)).toBeGreaterThan(ids.indexOf(second.id));
    });

    it('weighs a rare query word above a common one', async () => {
      for (let i = 0; i < 8; i++) {
        await store.sessions.insertObservation(obs({ content_session_id: `c${i}`, title: `Cache note ${i}`, narrative: 'the cache again' }));
      }
      const common = await store.sessions.insertObservation(
        obs({ content_session_id: 'x', title: 'Cache cache cache', narrative: 'cache layer and cache keys' }),
      );
      const rare = await store.sessions.insertObservation(obs({ content_session_id: 'y', title: 'Tenant id', narrative: 'per tenant' }));
      const ids = (await store.search.search({ query: 'cache tenant', kinds: ['observations'] })).observations.map((o) => o.id);
      expect(ids[0]).toBe(rare.id);
      expect(ids).toContain(common.id);
    });

    it('puts a record with more of the query words above one with a single rarer word', async () => {
      const add = (session: string, title: string) =>
        store.sessions.insertObservation(obs({ content_session_id: session, title, narrative: 'n', facts: [], concepts: [], files_read: [] }));
      for (let i = 0; i < 3; i++) await add(`b${i}`, `beta note ${i}`);
      for (let i = 0; i < 3; i++) await add(`g${i}`, `gamma note ${i}`);
      for (let i = 0; i < 4; i++) await add(`f${i}`, `filler note ${i}`);
      const one = await add('one', 'alpha');
      const two = await add('two', 'beta gamma');
      const ids = (await store.search.search({ query: 'alpha beta gamma', kinds: ['observations'] })).observations.map((o) => o.id);
      expect(ids.indexOf(two.id)).toBeLessThan(ids.indexOf(one.id));
      expect(ids).toContain(one.id);
    });

    it('never errors on hostile query text', async () => {
      await store.sessions.insertObservation(obs());
      const hostile = ['"', '"unbalanced', 'NEAR(a b)', 'a AND', '*', '-x', '(((', 'title:foo', '^', '🙂', 'x'.repeat(10_000), '', '   ', "'; DROP TABLE observations; --"];
      for (const q of hostile) {
        await expect(store.search.search({ query: q })).resolves.toBeDefined();
      }
      expect(buildMatchExpression('what is NEAR the "parser"?')).toBe('"near" OR "parser"');
      expect(buildMatchExpression('!!!')).toBeNull();
    });
  });
});
