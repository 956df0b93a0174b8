// Team mode at the store level: the shared PostgreSQL queue (owners, leases, SKIP LOCKED claims),
// repository identity (remote keys), routing between the local and shared stores, and the
// SQLite → PostgreSQL → SQLite copy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyStore } from '../../src/cli/migrate.js';
import { SHARED_ID_BASE } from '../../src/store/postgres/ids.js';
import { openPgStore, type PgStore } from '../../src/store/postgres/PgStore.js';
import { buildTsQuery } from '../../src/store/postgres/PgSearchIndex.js';
import { checkPostgres } from '../../src/store/postgres/pgDoctor.js';
import { RoutingStore, shareRule } from '../../src/store/RoutingStore.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { normalizeRemoteUrl, remoteKey } from '../../src/config/project.js';
import type { ObservationInput, QueuedEvent } from '../../src/api/types.js';
import { dropDatabase, freshDatabase, stopPgServer } from '../helpers/postgres.js';

const alice = { author: 'alice@laptop', owner: 'alice@laptop#aaaa' };
const bob = { author: 'bob@desktop', owner: 'bob@desktop#bbbb' };

let tmp: string;
let url: string;
const opened: Array<{ close(): Promise<void> }> = [];

async function pgStore(identity = alice, leaseMs?: number): Promise<PgStore> {
  const s = await openPgStore(url, { identity, leaseMs });
  opened.push(s);
  return s;
}

function sqliteStore(name: string, identity = alice): SqliteStore {
  const s = openStore(path.join(tmp, `${name}.db`), { identity });
  opened.push(s);
  return s;
}

function toolEvent(id: string): QueuedEvent {
  return {
    kind: 'tool',
    payload: { tool_name: 'Bash', tool_input: { command: id }, tool_response: 'ok', tool_use_id: id, cwd: '/p', occurred_at: new Date().toISOString() },
  };
}

function obs(over: Partial<ObservationInput> = {}): ObservationInput {
  return {
    content_session_id: 's1',
    project: 'webapp',
    type: 'discovery',
    title: 'Login redirect loops on expired tokens',
    subtitle: 'auth middleware',
    narrative: 'The middleware retried the refresh endlessly when the token had expired.',
    facts: ['refresh is retried without a limit'],
    concepts: ['gotcha'],
    files_read: ['src/auth.ts'],
    files_modified: [],
    ...over,
  };
}

/** A git checkout whose origin is `remote`. */
function repo(dir: string, remote: string): string {
  const root = path.join(tmp, dir);
  fs.mkdirSync(path.join(root, '.git'), { recursive: true });
  fs.writeFileSync(path.join(root, '.git', 'config'), `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  return root;
}

beforeEach(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-team-')));
  url = await freshDatabase();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await dropDatabase(url);
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterAll(() => stopPgServer());

describe('repository identity', () => {
  it('normalises ssh and https remotes of one repository to one key, without credentials', () => {
    expect(normalizeRemoteUrl('git@github.com:acme/webapp.git')).toBe('github.com/acme/webapp');
    expect(normalizeRemoteUrl('https://github.com/acme/webapp')).toBe('github.com/acme/webapp');
    expect(normalizeRemoteUrl('https://bob:ghp_secret@GitHub.com/acme/webapp.git/')).toBe('github.com/acme/webapp');
    expect(normalizeRemoteUrl('ssh://git@gitlab.example.com:2222/team/sub/repo.git')).toBe('gitlab.example.com/team/sub/repo');
    expect(normalizeRemoteUrl('/srv/git/repo.git')).toBeNull();
    expect(normalizeRemoteUrl('file:///srv/git/repo.git')).toBeNull();
  });

  it('reads the origin remote of the repository containing a directory', () => {
    const a = repo('alice/webapp', 'git@github.com:acme/webapp.git');
    fs.mkdirSync(path.join(a, 'src'));
    expect(remoteKey(path.join(a, 'src'))).toBe('github.com/acme/webapp');
    expect(remoteKey(repo('bob/webapp-clone', 'https://github.com/acme/webapp'))).toBe('github.com/acme/webapp');
    fs.mkdirSync(path.join(tmp, 'plain'));
    expect(remoteKey(path.join(tmp, 'plain'))).toBeNull();
  });
});

describe('shared PostgreSQL queue', () => {
  it('numbers rows from SHARED_ID_BASE so ids never collide with a local store', async () => {
    const s = await pgStore();
    const session = await s.sessions.upsertSession({ contentSessionId: 'x', project: 'p', cwd: '' });
    const o = await s.sessions.insertObservation(obs());
    const e = await s.queue.enqueue('x', 'p', toolEvent('t-ids'));
    expect(session.id).toBeGreaterThanOrEqual(SHARED_ID_BASE);
    expect(o.id).toBeGreaterThanOrEqual(SHARED_ID_BASE);
    expect(e.id!).toBeGreaterThanOrEqual(SHARED_ID_BASE);
  });

  it('lets each worker see and claim only the events it accepted', async () => {
    const a = await pgStore(alice);
    const b = await pgStore(bob);
    await a.queue.enqueue('sa', 'webapp', toolEvent('ta'));
    await b.queue.enqueue('sb', 'webapp', toolEvent('tb'));
    expect(await a.queue.readySessions()).toEqual(['sa']);
    expect(await b.queue.readySessions()).toEqual(['sb']);
    expect(await a.queue.claim('sb', 'wa', 10)).toEqual([]);
    expect(await a.queue.depth()).toBe(1);
    // A worker restarting releases its own stale claims, never another machine's.
    await b.queue.claim('sb', 'wb', 10);
    expect(await a.queue.expireClaims('wa-2', 0)).toBe(0);
    expect(await b.queue.expireClaims('wb-2', 0)).toBe(1);
  });

  it('frees a claim whose lease expired, and the late worker cannot complete it', async () => {
    const s1 = await pgStore(alice, 1000);
    const s2 = await pgStore(alice, 1000); // the same owner after a restart (another process)
    await s1.queue.enqueue('s1', 'webapp', toolEvent('lease'));
    const now = Date.now();
    const [first] = await s1.queue.claim('s1', 'dying-worker', 1, now);
    expect(await s2.queue.readySessions(now + 500)).toEqual([]);
    expect(await s2.queue.claim('s1', 'w2', 1, now + 500)).toEqual([]);
    expect(await s2.queue.readySessions(now + 1500)).toEqual(['s1']);
    const [second] = await s2.queue.claim('s1', 'w2', 1, now + 1500);
    expect(second.id).toBe(first.id);
    // The first worker wakes up late: its result is dropped, the current claimer's is kept.
    const late = await s1.queue.complete([first.id], { observations: [obs({ title: 'late result' })] });
    expect(late).toEqual({ observations: [], summary: null });
    expect(await s1.queue.depth()).toBe(1);
    const done = await s2.queue.complete([second.id], { observations: [obs({ title: 'current result' })] });
    expect(done.observations).toHaveLength(1);
    expect(await s2.queue.depth()).toBe(0);
    const titles = (await s2.sessions.listObservations()).observations.map((o) => o.title);
    expect(titles).toEqual(['current result']);
  });

  it('never hands one event to two concurrent claimers, and keeps session order', async () => {
    const stores = await Promise.all([pgStore(), pgStore(), pgStore(), pgStore()]);
    for (let i = 0; i < 20; i++) await stores[0].queue.enqueue('s1', 'webapp', toolEvent(`c${String(i).padStart(2, '0')}`));
    const seen: string[] = [];
    // Four workers race for the session's head, one event at a time, like the memory agent.
    await Promise.all(
      stores.map(async (s, w) => {
        for (let round = 0; round < 40; round++) {
          const [e] = await s.queue.claim('s1', `w${w}`, 1);
          if (!e) {
            if ((await s.queue.depth()) === 0) return;
            continue;
          }
          seen.push(e.tool_use_id!);
          await s.queue.complete([e.id], {});
        }
      }),
    );
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);
    expect(seen).toEqual([...seen].sort());
  });
});

describe('shared PostgreSQL records', () => {
  it('records the author and the remote key, and treats clones under other names as one project', async () => {
    const a = await pgStore(alice);
    const b = await pgStore(bob);
    const aliceRepo = repo('alice/webapp', 'git@github.com:acme/webapp.git');
    const bobRepo = repo('bob/webapp-clone', 'https://github.com/acme/webapp');
    await a.sessions.upsertSession({ contentSessionId: 'sa', project: 'webapp', cwd: aliceRepo });
    await b.sessions.upsertSession({ contentSessionId: 'sb', project: 'webapp-clone', cwd: bobRepo });
    await a.sessions.insertObservation(obs({ content_session_id: 'sa', title: 'alice finding' }));
    await b.sessions.insertObservation(obs({ content_session_id: 'sb', project: 'webapp-clone', title: 'bob finding' }));
    const { observations } = await a.sessions.listObservations({ projects: ['webapp'] });
    expect(observations.map((o) => o.title).sort()).toEqual(['alice finding', 'bob finding']);
    const bobs = observations.find((o) => o.title === 'bob finding') as unknown as { author: string; project_key: string };
    expect(bobs.author).toBe('bob@desktop');
    expect(bobs.project_key).toBe('github.com/acme/webapp');
    const found = await a.search.search({ query: 'finding', project: 'webapp-clone' });
    expect(found.observations).toHaveLength(2);
  });

  it('ranks a title hit above a narrative mention and never errors on hostile text', async () => {
    const s = await pgStore();
    await s.sessions.insertObservation(obs({ title: 'Unrelated change', narrative: 'mentions the redirect once' }));
    const hit = await s.sessions.insertObservation(obs({ title: 'Redirect rewrite', narrative: 'n' }));
    expect((await s.search.search({ query: 'redirect' })).observations[0].id).toBe(hit.id);
    for (const q of ["'", "a' | 'b", '!(x)', '<->', 'x:*', '\\', ':A', "'; DROP TABLE observations; --"]) {
      await expect(s.search.search({ query: q })).resolves.toBeDefined();
    }
    expect(buildTsQuery("it's the O'Brien <-> parser!")).toBe("'s' | 'o' | 'brien' | 'parser'");
  });
});

describe('doctor', () => {
  it('reports the server, the schema, pgvector and what is shared; an unreachable server is an error', async () => {
    await pgStore();
    const lines = await checkPostgres(url, 'github.com/acme/*');
    expect(lines[0]).toMatchObject({ good: true });
    expect(lines[0].text).toMatch(/^shared store PostgreSQL \d+/);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/schema version \d+[\s\S]*pgvector[\s\S]*shared projects: github.com\/acme\/\*/);
    const down = await checkPostgres('postgres://nobody:secret@127.0.0.1:1/none', '');
    expect(down).toHaveLength(1);
    expect(down[0].good).toBe(false);
    expect(down[0].text).toContain('unreachable');
    expect(down[0].text).not.toContain('secret');
  });
});

describe('routing between local and shared stores', () => {
  it('sends shared projects to PostgreSQL, keeps the rest local, and merges reads', async () => {
    const local = sqliteStore('local');
    const shared = await pgStore();
    const store = new RoutingStore(local, shared, shareRule('github.com/acme/*'));
    const teamRepo = repo('alice/webapp', 'git@github.com:acme/webapp.git');
    const privRepo = path.join(tmp, 'alice', 'diary');
    fs.mkdirSync(privRepo, { recursive: true });

    const team = await store.sessions.upsertSession({ contentSessionId: 'st', project: 'webapp', cwd: teamRepo });
    const priv = await store.sessions.upsertSession({ contentSessionId: 'sp', project: 'diary', cwd: privRepo });
    expect(team.id).toBeGreaterThanOrEqual(SHARED_ID_BASE);
    expect(priv.id).toBeLessThan(SHARED_ID_BASE);
    expect(await store.sessions.addPrompt(team.id, 'fix the redirect')).toBe(1);
    expect((await store.sessions.latestPrompt(team.id))?.prompt_text).toBe('fix the redirect');

    const te = await store.queue.enqueue('st', 'webapp', toolEvent('t-team'));
    const pe = await store.queue.enqueue('sp', 'diary', toolEvent('t-priv'));
    expect(te.id!).toBeGreaterThanOrEqual(SHARED_ID_BASE);
    expect(pe.id!).toBeLessThan(SHARED_ID_BASE);
    expect((await store.queue.readySessions()).sort()).toEqual(['sp', 'st']);
    expect(await store.queue.depth()).toBe(2);

    for (const [sid, title] of [['st', 'team redirect fix'], ['sp', 'private redirect note']] as const) {
      const [e] = await store.queue.claim(sid, 'w', 1);
      await store.queue.complete([e.id], { observations: [obs({ content_session_id: sid, project: sid === 'st' ? 'webapp' : 'diary', title })] });
    }
    expect(await store.queue.depth()).toBe(0);
    expect((await shared.sessions.listObservations()).observations.map((o) => o.title)).toEqual(['team redirect fix']);
    expect((await local.sessions.listObservations()).observations.map((o) => o.title)).toEqual(['private redirect note']);

    const all = await store.search.search({ query: 'redirect', kinds: ['observations'] });
    expect(all.observations.map((o) => o.title).sort()).toEqual(['private redirect note', 'team redirect fix']);
    const ids = all.observations.map((o) => o.id);
    expect((await store.sessions.getObservations(ids)).map((o) => o.id)).toEqual(ids);
    expect((await store.sessions.listObservations({ limit: 1 })).total).toBe(2);
    expect((await store.sessions.listProjects()).map((p) => p.name).sort()).toEqual(['diary', 'webapp']);
  });
});

describe('copying between stores (claude-mem migrate)', () => {
  it('SQLite → PostgreSQL → SQLite keeps records, authors and search results, and re-running copies nothing', async () => {
    const source = sqliteStore('source', alice);
    await source.sessions.upsertSession({ contentSessionId: 's1', project: 'webapp', cwd: repo('alice/webapp', 'git@github.com:acme/webapp.git') });
    const topics = ['redirect', 'parser', 'cache', 'token', 'migration', 'index'];
    for (let i = 0; i < 60; i++) {
      const t = topics[i % topics.length];
      await source.sessions.insertObservation(
        obs({
          title: `${t} note ${i}`,
          narrative: `${topics[(i * 7) % topics.length]} and ${t} details number ${i}`,
          project: i % 3 === 0 ? 'other' : 'webapp',
          created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        }),
      );
    }
    await source.sessions.insertSummary({
      content_session_id: 's1', project: 'webapp', request: 'fix redirect', investigated: 'auth', learned: 'tokens expire',
      completed: 'retry limit', next_steps: 'tests', notes: '',
    });
    const sid = (await source.sessions.getSession('s1'))!.id;
    await source.sessions.addPrompt(sid, 'please fix the login redirect');

    const pg = await pgStore(bob);
    const first = await copyStore(source, pg);
    expect(first.observations).toEqual({ imported: 60, skipped: 0 });
    expect(first.summaries).toEqual({ imported: 1, skipped: 0 });
    expect(first.prompts).toEqual({ imported: 1, skipped: 0 });
    const again = await copyStore(source, pg);
    expect(again.observations).toEqual({ imported: 0, skipped: 60 });
    expect(again.prompts).toEqual({ imported: 0, skipped: 1 });

    const back = sqliteStore('back', bob);
    await copyStore(pg, back);
    const view = async (s: SqliteStore, query: string, project?: string) =>
      (await s.search.search({ query, project, limit: 50 })).observations.map((o) => [o.title, o.project, o.created_at, (o as { author?: string }).author]);
    for (const [q, p] of [['redirect', undefined], ['parser cache', 'webapp'], ['token details', 'other'], ['', undefined]] as const) {
      const expected = await view(source, q, p);
      expect(expected.length).toBeGreaterThan(0);
      expect(await view(back, q, p)).toEqual(expected);
    }
    expect((await view(back, 'redirect'))[0][3]).toBe('alice@laptop');
    expect(await back.sessions.counts()).toMatchObject({ observations: 60, summaries: 1, prompts: 1 });
  });
});
