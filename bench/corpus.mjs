// The loaded worker shared by the search, context and memory benchmarks: one worker process whose
// database is grown from 0 to 10k to 100k observations through POST /api/import (the same path as
// `claude-mem import`), timing the import as it goes.
import { generateMemory } from './dataset.mjs';
import { getJson, log, nowMs, postJson, round, startWorker } from './lib.mjs';

const BATCH = 5000;

/**
 * Starts the worker that will hold the corpus. Asks for the deterministic test embedder; whether the
 * worker accepted it is reported by `hybrid` (older workers fall back to keyword search only).
 */
export async function startCorpusWorker() {
  const worker = await startWorker({ settings: { CLAUDE_MEM_EMBEDDINGS: 'test' } });
  const hybrid = await detectHybrid(worker);
  return { worker, hybrid, count: 0, imports: [] };
}

/**
 * Hybrid search is available when the worker kept CLAUDE_MEM_EMBEDDINGS=test (an unknown value is
 * reported as a settings issue and replaced by the default) and health does not say otherwise.
 */
async function detectHybrid(worker) {
  try {
    const s = await getJson(`${worker.url}/api/settings`);
    const kept = s.settings?.CLAUDE_MEM_EMBEDDINGS === 'test';
    const issue = (s.issues ?? []).find((i) => JSON.stringify(i).includes('CLAUDE_MEM_EMBEDDINGS'));
    const health = await getJson(`${worker.url}/api/health`);
    const healthSays = health.embeddings ?? health.search ?? null;
    const ok = kept && !issue && (healthSays === null || !/none|disabled|off/i.test(JSON.stringify(healthSays)));
    return {
      supported: ok,
      note: ok
        ? 'CLAUDE_MEM_EMBEDDINGS=test accepted by the worker'
        : `CLAUDE_MEM_EMBEDDINGS=test not supported by this worker (${issue ? JSON.stringify(issue).slice(0, 160) : `setting is "${s.settings?.CLAUDE_MEM_EMBEDDINGS}"`}); hybrid skipped`,
      health: healthSays,
    };
  } catch (err) {
    return { supported: false, note: `could not read settings/health: ${err.message}; hybrid skipped` };
  }
}

/** Imports observations (with summaries and prompts) until the worker holds `target` observations. */
export async function growTo(corpus, target, total) {
  const start = corpus.count;
  if (target <= start) return;
  log(`corpus: importing observations ${start} → ${target} via POST /api/import (batches of ${BATCH})`);
  let ms = 0;
  let rows = 0;
  for (let off = start; off < target; off += BATCH) {
    const n = Math.min(BATCH, target - off);
    const data = generateMemory(n, { offset: off, total });
    const t0 = nowMs();
    const res = await postJson(`${corpus.worker.url}/api/import`, data);
    ms += nowMs() - t0;
    rows += data.observations.length + data.summaries.length + data.prompts.length;
    if (res.observations.imported !== data.observations.length) {
      throw new Error(`import: expected ${data.observations.length} new observations, got ${res.observations.imported}`);
    }
  }
  corpus.count = target;
  const entry = { from: start, to: target, ms: round(ms, 0), observationsPerSec: round(((target - start) * 1000) / ms, 0), rows };
  corpus.imports.push(entry);
  if (corpus.hybrid.supported) entry.embeddings = await waitForEmbeddings(corpus);
}

/**
 * Waits (bounded) until the background indexer has embedded every observation, so hybrid search is
 * measured on a complete vector index. Returns how long that took and the final counts.
 */
async function waitForEmbeddings(corpus, maxMs = 90_000) {
  const t0 = nowMs();
  let e = null;
  while (nowMs() - t0 < maxMs) {
    e = (await getJson(`${corpus.worker.url}/api/health`)).embeddings ?? null;
    if (!e || typeof e !== 'object' || !e.pending) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const done = { waitedMs: round(nowMs() - t0, 0), indexed: e?.indexed ?? null, total: e?.total ?? null, state: e?.state ?? null };
  if (e?.pending) corpus.hybrid.note += `; vector index incomplete after ${Math.round(maxMs / 1000)} s (${e.indexed}/${e.total})`;
  return done;
}
