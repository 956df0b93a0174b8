import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../src/embeddings/createEmbedder.js';
import { EmbedderUnavailableError, type Embedder } from '../../src/embeddings/Embedder.js';
import { createEmbeddings } from '../../src/embeddings/EmbeddingService.js';
import { EmbeddingWorker } from '../../src/embeddings/EmbeddingWorker.js';
import { LocalEmbedder, type TransformersModule } from '../../src/embeddings/LocalEmbedder.js';
import { OpenAIEmbedder } from '../../src/embeddings/OpenAIEmbedder.js';
import { testEmbedding, TestEmbedder, TEST_EMBEDDER_MODEL } from '../../src/embeddings/TestEmbedder.js';
import { openStore, type Store } from '../../src/store/sqlite/SqliteStore.js';
import { VectorIndex, VectorMismatchError } from '../../src/store/sqlite/VectorIndex.js';
import { EventBus } from '../../src/lib/EventBus.js';
import { loadSettings } from '../../src/config/SettingsManager.js';
import type { Logger } from '../../src/config/logger.js';
import type { ObservationInput } from '../../src/api/types.js';
import { startFakeOpenAI } from '../fakes/fake-openai.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Defaults with CLAUDE_MEM_EMBEDDINGS=test (the embedder itself is passed in explicitly). */
const testSettings = () => loadSettings({ createIfMissing: false, env: { CLAUDE_MEM_EMBEDDINGS: 'test' } }).settings;

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

function obs(title: string, narrative: string, project = 'proj'): ObservationInput {
  return {
    content_session_id: 's1',
    project,
    type: 'discovery',
    title,
    subtitle: '',
    narrative,
    facts: [],
    concepts: [],
    files_read: [],
    files_modified: [],
  };
}

async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-embed-'));
  process.env.CLAUDE_MEM_DATA_DIR = dir;
  store = openStore(path.join(dir, 'claude-mem.db'));
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TestEmbedder', () => {
  it('is deterministic, 256-dimensional and unit length', async () => {
    const e = new TestEmbedder();
    const [a, b] = await e.embed(['Connection pooling for Postgres', 'Connection pooling for Postgres']);
    expect(e.dimension).toBe(256);
    expect(a).toHaveLength(256);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).toEqual(Array.from(testEmbedding('Connection pooling for Postgres')));
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(testEmbedding(''))).toEqual(new Array(256).fill(0));
  });

  it('puts texts sharing words or word pieces nearer than unrelated ones', () => {
    const q = testEmbedding('postgresql pooling');
    const near = testEmbedding('Connection pool for the postgres database');
    const far = testEmbedding('React component re-renders on every keystroke');
    expect(cosine(q, near)).toBeGreaterThan(cosine(q, far) + 0.2);
    const exact = testEmbedding('postgresql pooling setup');
    expect(cosine(q, exact)).toBeGreaterThan(cosine(q, near));
  });
});

describe('VectorIndex', () => {
  it('stores vectors under observation ids (BigInt rowids) and finds nearest neighbours', async () => {
    const index = new VectorIndex(store.db);
    const ids: number[] = [];
    for (const [t, p] of [
      ['postgres connection pool', 'a'],
      ['react component state', 'a'],
      ['postgresql replication lag', 'b'],
      ['css grid layout', 'b'],
    ]) {
      ids.push((await store.sessions.insertObservation(obs(t, '', p))).id);
    }
    expect(index.ready).toBe(false);
    expect(index.missing(10)).toEqual(ids);
    expect(index.knn(testEmbedding('x'), 5)).toEqual([]);

    index.ensure(TEST_EMBEDDER_MODEL, 256);
    expect(index.meta()).toEqual({ model: TEST_EMBEDDER_MODEL, dimension: 256 });
    index.upsertMany(ids.map((id, i) => ({ id, vector: testEmbedding(['postgres connection pool', 'react component state', 'postgresql replication lag', 'css grid layout'][i]) })));
    // Re-writing a vector replaces it (vec0 has no upsert of its own).
    index.upsert(ids[1], testEmbedding('react component state'));
    expect(index.counts()).toEqual({ indexed: 4, total: 4 });
    expect(index.missing(10)).toEqual([]);

    const q = testEmbedding('postgres pool');
    const all = index.knn(q, 4);
    expect(all[0]).toBe(ids[0]);
    expect(all).toHaveLength(4);
    expect(new Set(all)).toEqual(new Set(ids));
    // The project filter is applied inside the KNN query: k results from that project.
    expect(index.knn(q, 1, ['b'])).toEqual([ids[2]]);
    expect(index.knn(q, 10, ['b'])).toHaveLength(2);
    expect(index.knn(q, 10, ['nope'])).toEqual([]);
  });

  it('refuses to mix models or dimensions until reset', async () => {
    const index = new VectorIndex(store.db);
    const { id } = await store.sessions.insertObservation(obs('t', 'n'));
    index.ensure('model-a', 4);
    index.upsert(id, new Float32Array([1, 0, 0, 0]));
    expect(() => index.ensure('model-b', 4)).toThrow(VectorMismatchError);
    expect(() => index.check('model-b', null)).toThrow(/reindex --reset/);
    expect(() => index.check('model-a', 8)).toThrow(/4-dimensional/);
    expect(() => index.upsert(id, new Float32Array([1, 0, 0]))).toThrow(VectorMismatchError);
    expect(() => index.check('model-a', null)).not.toThrow();

    index.reset();
    expect(index.meta()).toBeNull();
    expect(index.counts().indexed).toBe(0);
    index.ensure('model-b', 3);
    index.upsert(id, new Float32Array([0, 1, 0]));
    expect(index.knn(new Float32Array([0, 1, 0]), 1)).toEqual([id]);
  });
});

describe('LocalEmbedder', () => {
  const missing = () => Promise.reject(Object.assign(new Error("Cannot find package '@huggingface/transformers' imported from x"), { code: 'ERR_MODULE_NOT_FOUND' }));

  it('says how to install the optional package when it is missing', async () => {
    const e = new LocalEmbedder({ model: 'Xenova/all-MiniLM-L6-v2', modelDir: '/models', load: missing });
    const err = await e.embed(['hello']).catch((x: Error) => x);
    expect(err).toBeInstanceOf(EmbedderUnavailableError);
    expect((err as Error).message).toMatch(/npm install @huggingface\/transformers/);
    expect((err as Error).message).toContain(path.join('/models', 'Xenova/all-MiniLM-L6-v2'));
  });

  let installed = true;
  try {
    createRequire(import.meta.url).resolve('@huggingface/transformers');
  } catch {
    installed = false;
  }
  it.skipIf(installed)('gives the same clear error with the real import when the package is not installed', async () => {
    const e = new LocalEmbedder({ model: 'm', modelDir: dir });
    await expect(e.embed(['hello'])).rejects.toThrow(/npm install @huggingface\/transformers/);
  });

  it('needs a model directory', () => {
    expect(() => new LocalEmbedder({ model: 'm', modelDir: '' })).toThrow(/CLAUDE_MEM_EMBEDDINGS_MODEL_DIR/);
  });

  it('loads from the local directory only, lazily, and returns unit vectors', async () => {
    fs.mkdirSync(path.join(dir, 'org', 'tiny'), { recursive: true });
    let loads = 0;
    const fake: TransformersModule = {
      env: { allowRemoteModels: true, allowLocalModels: false, localModelPath: '/somewhere' },
      pipeline: async (task, model) => {
        loads++;
        expect(task).toBe('feature-extraction');
        expect(model).toBe('org/tiny');
        return async (texts) => ({ dims: [texts.length, 2], data: texts.flatMap((t) => [t.length, 1]) });
      },
    };
    const e = new LocalEmbedder({ model: 'org/tiny', modelDir: dir, load: async () => fake });
    expect(loads).toBe(0);
    const [a, b] = await e.embed(['abc', 'a']);
    await e.embed(['again']);
    expect(loads).toBe(1);
    expect(fake.env).toEqual({ allowRemoteModels: false, allowLocalModels: true, localModelPath: dir });
    expect(e.dimension).toBe(2);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(b)).toEqual([Math.SQRT1_2, Math.SQRT1_2].map((x) => Math.fround(x)));
  });

  it('names the folder when the model files are not there', async () => {
    const fake = { env: { allowRemoteModels: true, allowLocalModels: true, localModelPath: '' }, pipeline: async () => { throw new Error('unreachable'); } };
    const e = new LocalEmbedder({ model: 'org/absent', modelDir: dir, load: async () => fake as unknown as TransformersModule });
    await expect(e.embed(['x'])).rejects.toThrow(`No model files at ${path.join(dir, 'org/absent')}`);
  });
});

describe('OpenAIEmbedder', () => {
  it('posts {model, input} to {base}/embeddings and learns the dimension from the answer', async () => {
    const fake = await startFakeOpenAI({ embeddingDim: 12 });
    try {
      const e = new OpenAIEmbedder({ baseUrl: `${fake.url}/v1/`, model: 'nomic-embed-text', apiKey: 'sk-test-123' });
      expect(e.dimension).toBeNull();
      const vs = await e.embed(['one', 'two']);
      expect(vs).toHaveLength(2);
      expect(e.dimension).toBe(12);
      const req = fake.requests.at(-1)!;
      expect(req.path).toBe('/v1/embeddings');
      expect(req.body).toEqual({ model: 'nomic-embed-text', input: ['one', 'two'] });
      expect(req.headers.authorization).toBe('Bearer sk-test-123');
      expect(Array.from((await e.embed(['one']))[0])).toEqual(Array.from(vs[0]));
    } finally {
      await fake.close();
    }
  });

  it('reports HTTP errors with the endpoint message and never the key', async () => {
    const e = new OpenAIEmbedder({
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'm',
      apiKey: 'sk-secret-value',
      fetch: async () => new Response(JSON.stringify({ error: { message: 'model "m" not found, try pulling it first' } }), { status: 404 }),
    });
    const err = (await e.embed(['x']).catch((x: Error) => x)) as Error;
    expect(err.message).toMatch(/HTTP 404: model "m" not found/);
    expect(err.message).not.toContain('sk-secret-value');
  });

  it('refuses a response of the wrong shape', async () => {
    const e = new OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', fetch: async () => Response.json({ data: [{ index: 0, embedding: [1, 2] }] }) });
    await expect(e.embed(['a', 'b'])).rejects.toThrow(/1 vectors for 2 inputs/);
  });
});

describe('createEmbedder', () => {
  it('builds the configured embedder', () => {
    const { settings } = loadSettings({ createIfMissing: false, env: {} });
    expect(createEmbedder({ ...settings, CLAUDE_MEM_EMBEDDINGS: 'none' }, {})).toBeNull();
    expect(createEmbedder({ ...settings, CLAUDE_MEM_EMBEDDINGS: 'test' }, {})).toBeInstanceOf(TestEmbedder);
    expect(createEmbedder({ ...settings, CLAUDE_MEM_EMBEDDINGS: 'openai' }, { OPENAI_API_KEY: 'k' })).toBeInstanceOf(OpenAIEmbedder);
    expect(() => createEmbedder({ ...settings, CLAUDE_MEM_EMBEDDINGS: 'local', CLAUDE_MEM_EMBEDDINGS_MODEL_DIR: '' }, {})).toThrow(
      EmbedderUnavailableError,
    );
    expect(() => createEmbedder({ ...settings, CLAUDE_MEM_EMBEDDINGS: 'word2vec' }, {})).toThrow(/none, openai, local, test/);
  });

  it('accepts test as a CLAUDE_MEM_EMBEDDINGS setting', () => {
    const { settings, errors } = loadSettings({ createIfMissing: false, env: { CLAUDE_MEM_EMBEDDINGS: 'test' } });
    expect(errors).toEqual([]);
    expect(settings.CLAUDE_MEM_EMBEDDINGS).toBe('test');
  });
});

describe('background indexing and hybrid search', () => {
  it('embeds stored observations in batches and makes them findable without a shared keyword', async () => {
    for (let i = 0; i < 40; i++) await store.sessions.insertObservation(obs(`Filler note ${i}`, `react component number ${i} renders a list`));
    const { id: target } = await store.sessions.insertObservation(obs('Switched connection pooling', 'Postgres pool now capped at 20.'));
    const embeddings = createEmbeddings({ store, bus: new EventBus(), settings: testSettings(), env: {}, log: quiet, embedder: new TestEmbedder(), pollMs: 20 });
    embeddings.start();
    try {
      await waitFor(() => embeddings.status().pending === 0, 'indexing');
      expect(embeddings.status()).toMatchObject({ mode: 'test', model: TEST_EMBEDDER_MODEL, dimension: 256, indexed: 41, total: 41, state: 'idle' });
      expect(store.search.hybrid).toBe(true);
      const hybrid = await store.search.search({ query: 'postgresql', kinds: ['observations'], limit: 3 });
      expect(hybrid.observations[0]?.id).toBe(target);

      store.search.setVectorRanker(null);
      const keyword = await store.search.search({ query: 'postgresql', kinds: ['observations'], limit: 3 });
      expect(keyword.observations).toEqual([]);
    } finally {
      await embeddings.stop();
    }
  });

  it('refuses to mix a new model into an index built by another, until reindex --reset', async () => {
    const { id } = await store.sessions.insertObservation(obs('Postgres pool', 'capped at 20'));
    const old = new VectorIndex(store.db);
    old.ensure('old-model', 256);
    old.upsert(id, testEmbedding('Postgres pool'));
    await store.sessions.insertObservation(obs('Another', 'one'));

    const settings = testSettings();
    const embeddings = createEmbeddings({ store, bus: new EventBus(), settings, env: {}, log: quiet, embedder: new TestEmbedder(), pollMs: 20 });
    embeddings.start();
    try {
      const s = embeddings.status();
      expect(s.state).toBe('disabled');
      expect(s.pending).toBe(0);
      expect(s.lastError?.message).toMatch(/old-model.*reindex --reset/s);
      expect(store.search.hybrid).toBe(false);
      expect(() => embeddings.reindex({ reset: false })).toThrow(/reindex --reset/);
      // Nothing was written with the new model.
      expect(new VectorIndex(store.db).meta()?.model).toBe('old-model');

      embeddings.reindex({ reset: true });
      await waitFor(() => embeddings.status().indexed === 2 && embeddings.status().state === 'idle', 're-indexing');
      expect(new VectorIndex(store.db).meta()).toEqual({ model: TEST_EMBEDDER_MODEL, dimension: 256 });
      expect(store.search.hybrid).toBe(true);
    } finally {
      await embeddings.stop();
    }
  });

  it('keeps indexing around an observation the endpoint rejects, and retries a failing endpoint', async () => {
    let down = true;
    let calls = 0;
    const flaky: Embedder = {
      model: 'flaky',
      dimension: 256,
      embed: async (texts) => {
        calls++;
        if (down) throw new Error('connection refused');
        if (texts.some((t) => t.includes('POISON'))) throw new Error('input too long');
        return texts.map(testEmbedding);
      },
    };
    for (let i = 0; i < 5; i++) await store.sessions.insertObservation(obs(`note ${i}`, i === 2 ? 'POISON' : 'fine'));
    const index = new VectorIndex(store.db);
    const worker = new EmbeddingWorker({ embedder: flaky, index, sessions: store.sessions, log: quiet, pollMs: 10, maxBackoffMs: 20 });
    worker.start();
    try {
      await waitFor(() => worker.status().state === 'retrying' && calls >= 2, 'retries');
      expect(worker.status().lastError?.message).toMatch(/connection refused/);
      expect(index.counts().indexed).toBe(0);
      down = false;
      await waitFor(() => index.counts().indexed === 4, 'the four good observations');
      expect(index.missing(10)).toHaveLength(1);
      expect(worker.status().pending).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('stops for good, keeping keyword search, when the embedder cannot work at all', async () => {
    await store.sessions.insertObservation(obs('a', 'b'));
    const local = new LocalEmbedder({ model: 'm', modelDir: dir, load: () => Promise.reject(Object.assign(new Error("Cannot find package '@huggingface/transformers'"), { code: 'ERR_MODULE_NOT_FOUND' })) });
    const settings = testSettings();
    const embeddings = createEmbeddings({ store, bus: new EventBus(), settings, env: {}, log: quiet, embedder: local, pollMs: 10 });
    embeddings.start();
    try {
      await waitFor(() => embeddings.status().state === 'disabled', 'disabled');
      expect(embeddings.status().lastError?.message).toMatch(/npm install @huggingface\/transformers/);
      expect(store.search.hybrid).toBe(false);
      const r = await store.search.search({ query: 'a', kinds: ['observations'] });
      expect(r.observations).toHaveLength(1);
    } finally {
      await embeddings.stop();
    }
  });
});
