// The loaded database shared by the search, context and memory benchmarks: one data dir grown from
// 0 to 10k to 100k observations through POST /api/import (the same path as `claude-mem import`),
// timing the import as it goes. The keyword worker (no embedder) does the import and the keyword,
// context and memory runs; for hybrid search the same data dir is reopened by a worker with the
// deterministic test embedder, which backfills vectors into the same database file.
import { generateMemory } from './dataset.mjs';
import { getJson, log, nowMs, postJson, round, startWorker } from './lib.mjs';

const BATCH = 5000;

/** Starts (or restarts, on the same data dir) the keyword-only worker that holds the corpus. */
export async function startCorpusWorker(dataDir) {
  const worker = await startWorker({ dataDir, settings: { CLAUDE_MEM_EMBEDDINGS: 'none' } });
  return { worker, count: 0, imports: [] };
}

/**
 * Reopens the corpus data dir with CLAUDE_MEM_EMBEDDINGS=test. Returns { worker, hybrid } where
 * hybrid.supported says whether this build accepted the test embedder; the caller stops the worker.
 */
export async function startHybridWorker(dataDir) {
  const worker = await startWorker({ dataDir, settings: { CLAUDE_MEM_EMBEDDINGS: 'test' } });
  return { worker, hybrid: await detectHybrid(worker) };
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
  corpus.imports.push({ from: start, to: target, ms: round(ms, 0), observationsPerSec: round(((target - start) * 1000) / ms, 0), rows });
}

/**
 * Waits (bounded) until the background indexer has embedded every observation, so hybrid search is
 * measured on a complete vector index. Returns how long that took and the final counts.
 */
export async function waitForEmbeddings(url, maxMs = 90_000) {
  const t0 = nowMs();
  let e = null;
  let first = null;
  while (nowMs() - t0 < maxMs) {
    e = (await getJson(`${url}/api/health`)).embeddings ?? null;
    first ??= e;
    if (!e || typeof e !== 'object' || !e.pending) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ms = nowMs() - t0;
  return {
    waitedMs: round(ms, 0),
    indexed: e?.indexed ?? null,
    total: e?.total ?? null,
    state: e?.state ?? null,
    complete: !e?.pending,
    vectorsPerSec: first && e ? round(((e.indexed - first.indexed) * 1000) / Math.max(ms, 1), 0) : null,
  };
}
