// Team memory on PostgreSQL. Two real workers (separate data dirs, as on two machines)
// share one PostgreSQL database: each sees the other's sessions for the shared repository in
// search and in the SessionStart context, private projects stay local, `kill -9` of a worker in the
// middle of an LLM call loses nothing and stores nothing twice; `claude-mem migrate` round-trips.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it as vitestIt } from 'vitest';
import { startFakeAnthropic, lastUserText, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import { observationXml } from './agent-support.js';
import { dropDatabase, freshDatabase, POSTGRES_SUITE, postgresMissing, stopPgServer } from '../helpers/postgres.js';
import { canRun } from '../helpers/requirements.js';

// The database is opened in beforeAll, so the gate is at collection: with every test skipped, the
// hooks never run.
const it = vitestIt.skipIf(!canRun(POSTGRES_SUITE, postgresMissing()));
import { authedFetch, getJson, postJson, runCli, startWorker, tempDir, testEnv, waitFor, type WorkerHandle } from '../helpers/worker.js';

let fake: FakeAnthropic;
let url: string;
let root: string;
const workers: WorkerHandle[] = [];
/** Marker whose first LLM request hangs until released (the worker is killed meanwhile). */
let hangOn: string | null = null;
let hung: (() => void) | null = null;
const requestsFor = new Map<string, number>();

beforeAll(async () => {
  url = await freshDatabase();
  root = fs.realpathSync(tempDir('cm-team-int-'));
  fake = await startFakeAnthropic({
    handler: async (req) => {
      // A batch may carry several events: one observation per marker.
      const markers = [...new Set([...lastUserText(req.body).matchAll(/marker-([a-z0-9-]+)/g)].map((m) => m[1]))];
      for (const marker of markers) requestsFor.set(marker, (requestsFor.get(marker) ?? 0) + 1);
      if (hangOn && markers.includes(hangOn) && requestsFor.get(hangOn) === 1) {
        hung?.();
        await new Promise((r) => setTimeout(r, 30_000)); // the worker is killed before this ends
      }
      if (!markers.length) return { text: '<skip/>' };
      return {
        text: markers.map((marker) => observationXml({ title: `Finding ${marker}`, narrative: `Observed marker-${marker} while working on the login redirect.` })).join('\n'),
      };
    },
  });
});

afterAll(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  await fake?.close();
  if (url) await dropDatabase(url).catch(() => {});
  await stopPgServer();
});

/** A checkout with an origin remote (two machines clone the same repository under other names). */
function checkout(dir: string, remote: string | null): string {
  const p = path.join(root, dir);
  fs.mkdirSync(path.join(p, '.git'), { recursive: true });
  if (remote) fs.writeFileSync(path.join(p, '.git', 'config'), `[remote "origin"]\n\turl = ${remote}\n`);
  return p;
}

async function machine(name: string, dataDir = path.join(root, `${name}-data`)): Promise<WorkerHandle> {
  const w = await startWorker({
    dataDir,
    // One event per request: the kill test needs a request to hang on one event while its neighbours are done.
    settings: { CLAUDE_MEM_DATABASE_URL: url, CLAUDE_MEM_SHARED_PROJECTS: 'github.com/acme/*', CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
    dotenv: `ANTHROPIC_BASE_URL=${fake.url}\nANTHROPIC_API_KEY=sk-ant-test-000000000000\n`,
  });
  workers.push(w);
  return w;
}

async function work(w: WorkerHandle, session: string, cwd: string, markers: string[]): Promise<void> {
  const init = await postJson(`${w.url}/api/sessions/init`, { session_id: session, cwd, prompt: 'Fix the login redirect' });
  expect(init.status).toBe(200);
  for (const m of markers) {
    const r = await postJson(`${w.url}/api/sessions/observations`, {
      session_id: session,
      cwd,
      tool_name: 'Bash',
      tool_input: { command: `grep -rn marker-${m} src/` },
      tool_response: { stdout: `src/auth.ts:12: // marker-${m}`, stderr: '', interrupted: false },
      tool_use_id: `toolu_${m.replace(/-/g, '_')}`,
    });
    expect(r.status).toBe(202);
  }
}

const drained = (w: WorkerHandle) => async () => (await getJson<{ queueDepth: number }>(`${w.url}/api/health`)).queueDepth === 0;

async function titles(w: WorkerHandle, query: string, extra = ''): Promise<string[]> {
  const r = await getJson<{ observations: Array<{ title: string }> }>(
    `${w.url}/api/search?query=${encodeURIComponent(query)}&limit=100&kinds=observations${extra}`,
  );
  return r.observations.map((o) => o.title).sort();
}

it('two workers share one project: each one searches and gets context from both machines', async () => {
  const aliceRepo = checkout('alice/webapp', 'git@github.com:acme/webapp.git');
  const bobRepo = checkout('bob/webapp-clone', 'https://github.com/acme/webapp');
  const diary = checkout('alice/diary', null);
  const [a, b] = await Promise.all([machine('alice'), machine('bob')]);

  await work(a, 'alice-s1', aliceRepo, ['alpha-1', 'alpha-2']);
  await work(b, 'bob-s1', bobRepo, ['beta-1']);
  await work(a, 'alice-private', diary, ['gamma-1']);
  await waitFor(drained(a), 30_000, 'alice queue drained');
  await waitFor(drained(b), 30_000, 'bob queue drained');

  const shared = ['Finding alpha-1', 'Finding alpha-2', 'Finding beta-1'];
  expect(await titles(a, 'finding', '&project=webapp')).toEqual(shared);
  expect(await titles(b, 'finding', '&project=webapp-clone')).toEqual(shared);
  // Private project: only on Alice's machine.
  expect(await titles(a, 'finding')).toEqual([...shared, 'Finding gamma-1'].sort());
  expect(await titles(b, 'finding')).toEqual(shared);

  for (const [w, cwd] of [[a, aliceRepo], [b, bobRepo]] as const) {
    const res = await authedFetch(`${w.url}/api/context/inject?cwd=${encodeURIComponent(cwd)}`);
    const text = await res.text();
    for (const t of shared) expect(text).toContain(t);
    expect(text).not.toContain('gamma-1');
  }

  // Rows carry who recorded them and the repository key.
  const found = await getJson<{ observations: Array<{ title: string; author?: string; project_key?: string }> }>(
    `${a.url}/api/search?query=beta&kinds=observations`,
  );
  expect(found.observations[0]).toMatchObject({ title: 'Finding beta-1', project_key: 'github.com/acme/webapp' });
  expect(found.observations[0].author).toMatch(/@/);
  // Alice's private memory never reached the shared database.
  const diaryDb = openStore(path.join(a.dataDir, 'claude-mem.db'));
  expect((await diaryDb.sessions.listObservations({ projects: ['diary'] })).total).toBe(1);
  await diaryDb.close();
});

it('kill -9 of one worker mid-processing loses nothing and stores nothing twice', async () => {
  const bobRepo = path.join(root, 'bob/webapp-clone');
  const bob = workers[1];
  const alice = workers[0];
  const markers = ['kill-1', 'kill-2', 'kill-3', 'kill-4'];
  hangOn = 'kill-2';
  const hanging = new Promise<void>((r) => (hung = r));
  await work(bob, 'bob-s2', bobRepo, markers);
  await hanging; // Bob's worker has claimed kill-2 in PostgreSQL and is waiting on the LLM.
  bob.proc.kill('SIGKILL');
  await new Promise<void>((r) => (bob.proc.exitCode !== null || bob.proc.signalCode !== null ? r() : bob.proc.once('exit', () => r())));

  // Meanwhile Alice keeps working: Bob's claim does not block her events.
  await work(alice, 'alice-s2', path.join(root, 'alice/webapp'), ['meanwhile-1']);
  await waitFor(drained(alice), 30_000, 'alice queue drained');
  expect(await titles(alice, 'kill')).toEqual(['Finding kill-1']);

  // Bob's machine comes back (same data dir): its stale claim is released and processing resumes.
  const again = await machine('bob', bob.dataDir);
  await waitFor(drained(again), 30_000, 'bob queue drained after restart');
  const expected = markers.map((m) => `Finding ${m}`);
  expect(await titles(again, 'kill')).toEqual(expected);
  expect(await titles(alice, 'kill')).toEqual(expected);
  expect(requestsFor.get('kill-2')).toBe(2); // retried once after the crash...
  const all = await getJson<{ observations: Array<{ title: string }> }>(`${again.url}/api/search?query=kill&limit=100&kinds=observations`);
  expect(all.observations).toHaveLength(markers.length); // ...and stored once.
  expect(await titles(again, 'meanwhile')).toEqual(['Finding meanwhile-1']);
});

it('claude-mem migrate copies a local store into PostgreSQL and back with identical search results', async () => {
  // A fresh database, so the round trip compares exactly the local store's records.
  const target = await freshDatabase();
  try {
    const source = path.join(root, 'solo-data');
    fs.mkdirSync(source, { recursive: true, mode: 0o700 });
    const store = openStore(path.join(source, 'claude-mem.db'));
    const topics = ['redirect', 'parser', 'cache', 'token'];
    for (let i = 0; i < 40; i++) {
      await store.sessions.insertObservation({
        content_session_id: `solo-${i % 4}`,
        project: i % 3 === 0 ? 'other' : 'solo',
        type: 'discovery',
        title: `${topics[i % 4]} finding ${i}`,
        subtitle: '',
        narrative: `${topics[(i * 3) % 4]} details ${i}`,
        facts: [],
        concepts: [],
        files_read: [],
        files_modified: [],
        created_at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(),
      });
    }
    await store.close();
    const envFor = (dir: string) => testEnv(dir, 1);

    const to = runCli(['migrate', '--to', target], envFor(source));
    expect(to.stderr).toBe('');
    expect(to.code).toBe(0);
    expect(to.stdout).toContain('observations: 40 copied, 0 already there');
    const rerun = runCli(['migrate', '--to', target], envFor(source));
    expect(rerun.stdout).toContain('observations: 0 copied, 40 already there');

    const back = path.join(root, 'restored-data');
    fs.mkdirSync(back, { recursive: true, mode: 0o700 });
    const from = runCli(['migrate', '--from', target], envFor(back));
    expect(from.code).toBe(0);
    expect(from.stdout).toContain('observations: 40 copied');

    const a = openStore(path.join(source, 'claude-mem.db'));
    const b = openStore(path.join(back, 'claude-mem.db'));
    try {
      for (const q of ['redirect', 'parser details', 'cache token', '']) {
        for (const project of [undefined, 'solo']) {
          const view = async (s: typeof a) =>
            (await s.search.search({ query: q, project, limit: 100 })).observations.map((o) => [o.title, o.project, o.created_at]);
          const expected = await view(a);
          expect(expected.length).toBeGreaterThan(0);
          expect(await view(b)).toEqual(expected);
        }
      }
    } finally {
      await a.close();
      await b.close();
    }

    const bad = runCli(['migrate', '--to', 'mysql://x'], envFor(back));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--to must be a postgres:// or postgresql:// URL');
  } finally {
    await dropDatabase(target);
  }
});
