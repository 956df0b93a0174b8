// Optional vector search through the real worker process: background indexing, hybrid ranking,
// the OpenAI-compatible embedder end to end, refusing to mix models, and `claude-mem reindex`.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';
import { getJson, postJson, runCli, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';

interface EmbeddingsHealth {
  mode: string;
  model: string | null;
  dimension: number | null;
  indexed: number;
  total: number;
  pending: number;
  state: string;
  lastError: { message: string } | null;
}

const PROJECT = 'hybrid-proj';

function observation(title: string, narrative: string) {
  return { content_session_id: 'hybrid-s1', project: PROJECT, type: 'discovery', title, narrative, facts: [], concepts: [], files_read: [], files_modified: [] };
}

// Filler that shares no word with the query; the target shares only word pieces ("postgres").
const FILLER = Array.from({ length: 30 }, (_, i) => observation(`Sidebar tweak ${i}`, `The react sidebar component number ${i} re-renders on hover.`));
const TARGET = observation('Switched connection pooling', 'Postgres pool is now capped at 20 connections per worker.');
const QUERY = 'postgresql';

const workers: WorkerHandle[] = [];
const dirs: string[] = [];
let fake: FakeOpenAI | null = null;

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
  await fake?.close();
  fake = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(settings: Record<string, string>, opts: { dataDir?: string; dotenv?: string } = {}) {
  const w = await startWorker({ settings, ...opts });
  workers.push(w);
  if (!opts.dataDir) dirs.push(w.dataDir);
  return w;
}

const embeddings = async (w: WorkerHandle) => (await getJson<{ embeddings: EmbeddingsHealth | null }>(`${w.url}/api/health`)).embeddings;

async function importAll(w: WorkerHandle): Promise<number> {
  const res = await postJson<{ observations: { ids: number[] } }>(`${w.url}/api/import`, { observations: [...FILLER, TARGET] });
  expect(res.status).toBe(200);
  return res.body.observations.ids.at(-1)!;
}

async function search(w: WorkerHandle, query: string) {
  const params = new URLSearchParams({ query, project: PROJECT, kinds: 'observations', limit: '5' });
  return (await getJson<{ observations: Array<{ id: number }> }>(`${w.url}/api/search?${params}`)).observations.map((o) => o.id);
}

describe('hybrid search (CLAUDE_MEM_EMBEDDINGS=test)', () => {
  it('indexes imported observations in the background and finds a match that shares no keyword', async () => {
    const w = await start({ CLAUDE_MEM_EMBEDDINGS: 'test' });
    const target = await importAll(w);
    const done = await waitFor(async () => {
      const e = await embeddings(w);
      return e && e.total === 31 && e.indexed === 31 ? e : null;
    }, 20_000, 'all observations embedded');
    expect(done).toMatchObject({ mode: 'test', model: 'claude-mem-test-trigram-v1', dimension: 256, pending: 0, state: 'idle', lastError: null });
    expect((await search(w, QUERY))[0]).toBe(target);

    // The same data without vectors: keyword search has nothing for this query.
    const k = await start({});
    await importAll(k);
    expect(await embeddings(k)).toMatchObject({ mode: 'none', state: 'off', indexed: 0, total: 31 });
    expect(await search(k, QUERY)).toEqual([]);
    // …and still finds what does share a keyword.
    expect((await search(k, 'pooling'))[0]).toBe(target);
  });

  it('refuses to mix models after a change, keeps keyword search, and `claude-mem reindex --reset` rebuilds', async () => {
    fake = await startFakeOpenAI({ embeddingDim: 16 });
    const openai = {
      CLAUDE_MEM_EMBEDDINGS: 'openai',
      CLAUDE_MEM_EMBEDDINGS_BASE_URL: `${fake.url}/v1`,
      CLAUDE_MEM_EMBEDDINGS_MODEL: 'fake-embed',
    };
    const w = await start(openai, { dotenv: 'OPENAI_API_KEY=sk-embed-test\n' });
    const target = await importAll(w);
    await waitFor(async () => (await embeddings(w))?.indexed === 31, 20_000, 'openai embeddings');
    expect(await embeddings(w)).toMatchObject({ mode: 'openai', model: 'fake-embed', dimension: 16, pending: 0, state: 'idle' });

    const calls = fake.requests.filter((r) => r.path === '/v1/embeddings');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every((r) => r.headers.authorization === 'Bearer sk-embed-test' && r.body.model === 'fake-embed')).toBe(true);
    expect(calls.reduce((n, r) => n + r.body.input.length, 0)).toBe(31);
    expect(Math.max(...calls.map((r) => r.body.input.length))).toBeLessThanOrEqual(32);

    // The fake's vectors are hashes of the text: the query equal to the target's text is its nearest
    // neighbour, and the query itself goes through /v1/embeddings.
    const targetText = `${TARGET.title}\n${TARGET.narrative}`;
    expect(calls.some((r) => r.body.input.includes(targetText))).toBe(true);
    const before = fake.requests.length;
    expect((await search(w, targetText))[0]).toBe(target);
    expect(fake.requests.slice(before).some((r) => r.body?.input?.[0] === targetText)).toBe(true);
    await w.stop();
    workers.splice(workers.indexOf(w), 1);

    // Same data dir, another model: vectors are not mixed, keyword search keeps working.
    const t = await start({ CLAUDE_MEM_EMBEDDINGS: 'test' }, { dataDir: w.dataDir });
    const refused = await embeddings(t);
    expect(refused).toMatchObject({ mode: 'test', state: 'disabled', pending: 0, dimension: 16 });
    expect(refused?.lastError?.message).toMatch(/fake-embed.*claude-mem reindex --reset/s);
    expect((await search(t, 'pooling'))[0]).toBe(target);
    const noReset = runCli(['reindex'], t.env);
    expect(noReset.code).toBe(1);
    expect(noReset.stderr).toMatch(/reindex --reset/);

    const r = runCli(['reindex', '--reset'], t.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/31\/31 observations embedded with claude-mem-test-trigram-v1 \(256 dimensions\)/);
    expect(await embeddings(t)).toMatchObject({ model: 'claude-mem-test-trigram-v1', dimension: 256, indexed: 31, state: 'idle', lastError: null });
    expect((await search(t, QUERY))[0]).toBe(target);
  });

  it('reindex explains what to set when vectors are off', async () => {
    const w = await start({});
    const r = runCli(['reindex'], w.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CLAUDE_MEM_EMBEDDINGS is none/);
  });
});
