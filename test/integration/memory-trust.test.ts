// Supersede and staleness through the memory agent, in process: a real SQLite store, a scripted
// memory-agent backend (the fake), a temp git project with real files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import { openPgStore } from '../../src/store/postgres/PgStore.js';
import type { Store } from '../../src/store/Store.js';
import { dropDatabase, freshDatabase, postgresMissing, POSTGRES_SUITE, stopPgServer } from '../helpers/postgres.js';
import { canRun } from '../helpers/requirements.js';
import { EventBus } from '../../src/lib/EventBus.js';
import { MemoryAgent } from '../../src/agent/MemoryAgent.js';
import type { Provider, SendRequest } from '../../src/agent/providers/providers.js';
import { createLogger } from '../../src/config/logger.js';
import { SETTINGS_DEFAULTS, type Settings } from '../../src/config/SettingsManager.js';
import type { Observation, QueuedEvent } from '../../src/api/types.js';
import { buildContext } from '../../src/recall/contextService.js';
import { fileContext } from '../../src/recall/fileContext.js';

const DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-trust-data-'));
process.env.CLAUDE_MEM_DATA_DIR = DATA_DIR;
afterAll(async () => {
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  await stopPgServer();
});

/** Both stores, as in test/unit/store.test.ts: the embedded SQLite one and PostgreSQL (team mode). */
const BACKENDS: Array<{ name: string; open: () => Promise<Store> }> = [
  {
    name: 'sqlite',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-trust-'));
      const store = openStore(path.join(dir, 'claude-mem.db'));
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => store.close());
      return store;
    },
  },
  ...(canRun(POSTGRES_SUITE, postgresMissing())
    ? [
        {
          name: 'postgres',
          open: async () => {
            const url = await freshDatabase();
            const store = await openPgStore(url, { identity: { author: 'tester@host', owner: 'tester@host#trust' } });
            cleanups.push(() => dropDatabase(url), () => store.close());
            return store;
          },
        },
      ]
    : []),
];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SETTINGS = { ...SETTINGS_DEFAULTS, CLAUDE_MEM_BATCH_IDLE_MS: '0' } as Settings;

/** A git project (a .git directory is what project resolution looks for) with src/app.ts. */
function tempProject(): { root: string; file: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-trust-proj-')));
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(path.join(root, 'src'));
  const file = path.join(root, 'src', 'app.ts');
  fs.writeFileSync(file, 'export const port = 3000;\n');
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  return { root, file };
}

async function setup(open: () => Promise<Store>, reply: (req: SendRequest) => string): Promise<{ store: Store; requests: SendRequest[]; agent: MemoryAgent }> {
  const store = await open();
  const requests: SendRequest[] = [];
  const provider: Provider = {
    info: { provider: 'scripted', model: 'm', baseUrlHost: 'h', baseUrl: 'http://h' },
    startSession: () => ({
      send: async (req) => {
        requests.push(req);
        return { text: reply(req), usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 }, model: 'm' };
      },
      close: async () => {},
    }),
  };
  const agent = new MemoryAgent({
    store,
    bus: new EventBus(),
    settings: () => SETTINGS,
    workerId: 'w-test',
    log: createLogger('test'),
    providerFactory: () => provider,
    retryBaseMs: 20,
  });
  agent.start();
  cleanups.push(() => agent.stop());
  return { store, requests, agent };
}

const edit = (id: string, file: string, cwd: string): QueuedEvent => ({
  kind: 'tool',
  payload: { tool_name: 'Edit', tool_input: { file_path: file }, tool_response: 'ok', tool_use_id: id, cwd, prompt_number: 1, occurred_at: new Date().toISOString() },
});

const lastUser = (req: SendRequest) => String(req.turns[req.turns.length - 1].content);

function observationXml(title: string, file: string, extra = ''): string {
  return `<observation><type>change</type><title>${title}</title><narrative>${title}.</narrative>` +
    `<files_modified><file>${file}</file></files_modified>${extra}</observation>`;
}

async function waitForObservations(store: Store, n: number): Promise<Observation[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { observations } = await store.sessions.listObservations({ limit: 50 });
    if (observations.length >= n) return observations;
    if (Date.now() > deadline) throw new Error(`expected ${n} observations, have ${observations.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(BACKENDS)('$name store', (backend) => {
it('supersede through the memory agent: shown the related observation with its id, it retires it; it leaves context, is linked, and is reversible', async () => {
  const { root, file } = tempProject();
  const project = path.basename(root);
  const { store, requests, agent } = await setup(backend.open, (req) => {
    const turn = lastUser(req);
    const m = /#(\d+) \[change\] Server listens on port 3000/.exec(turn);
    return m
      ? observationXml('Server listens on port 8080', file, `<supersedes>${m[1]}</supersedes><supersedes>999999</supersedes>`)
      : observationXml('Server listens on port 3000', file);
  });
  await store.sessions.upsertSession({ contentSessionId: 's1', project, cwd: root });
  await store.queue.enqueue('s1', project, edit('toolu_1', file, root));
  agent.wake(); // as the worker does for every acknowledged event
  const [first] = await waitForObservations(store, 1);
  expect(lastUser(requests[0])).not.toContain('<existing_observations>');

  await store.queue.enqueue('s1', project, edit('toolu_2', file, root));
  agent.wake();
  const both = await waitForObservations(store, 2);
  const second = both.find((o) => o.id !== first.id)!;
  // The batch's user turn listed the older one with its id (the system prompt stays constant).
  expect(lastUser(requests[1])).toContain(`#${first.id} [change] Server listens on port 3000`);
  expect(requests[1].system).toBe(requests[0].system);

  const [older] = await store.sessions.getObservations([first.id]);
  expect(older.superseded_by).toBe(second.id);
  const context = await buildContext(store, SETTINGS, { project, projects: [project] });
  expect(context).toContain('Server listens on port 8080');
  expect(context).not.toContain('port 3000');

  // Reversible.
  expect(await store.sessions.supersede(first.id, null)).toBe(true);
  expect(await buildContext(store, SETTINGS, { project, projects: [project] })).toContain('port 3000');
});

it('stale: a changed file marks the observation in context, search and get_observations; reverting removes the mark', async () => {
  const { root, file } = tempProject();
  const project = path.basename(root);
  const { store, agent } = await setup(backend.open, () => observationXml('Port is configured in app.ts', file));
  await store.sessions.upsertSession({ contentSessionId: 's1', project, cwd: root });
  await store.queue.enqueue('s1', project, edit('toolu_1', file, root));
  agent.wake(); // as the worker does for every acknowledged event
  const [o] = await waitForObservations(store, 1);
  expect(o.stale).toBe(false);
  const ctx = () => buildContext(store, SETTINGS, { project, projects: [project] });
  expect(await ctx()).not.toContain('changed since');
  const original = fs.readFileSync(file);

  fs.writeFileSync(file, 'export const port = 8080; // moved\n');
  const [changed] = await store.sessions.getObservations([o.id]);
  expect(changed).toMatchObject({ stale: true, stale_files: ['src/app.ts'] });
  expect(await ctx()).toContain('src/app.ts changed since');
  const hits = await store.search.search({ query: 'port configured' });
  expect(hits.observations.find((h) => h.id === o.id)?.stale).toBe(true);
  expect((await fileContext(store, file, root)).observations).toEqual([]);

  fs.writeFileSync(file, original);
  const [reverted] = await store.sessions.getObservations([o.id]);
  expect(reverted.stale).toBe(false);
  expect(reverted.stale_files).toBeUndefined();
  expect(await ctx()).not.toContain('changed since');
  // The file is newer than the observation, but its content is what was observed.
  expect((await fileContext(store, file, root)).observations).toEqual([o.id]);

  fs.rmSync(file);
  expect((await store.sessions.getObservations([o.id]))[0].stale).toBe(true);
});
});
