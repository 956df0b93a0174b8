// `npm run bench`: runs every benchmark against the built dist/, prints one table and writes
// bench/results/latest.json. Each figure is a ratio against a baseline measured in the same run,
// next to the absolute numbers. Benchmarks report; they never fail for speed.
//
//   node --expose-gc bench/run.mjs [--only hook,ingest,search,context,memory,tokens,capture,scale] [--quick]
//
// --quick shrinks every size (10k/100k → 2k/10k, fewer runs; scale stops at 100k) for a smoke run.
// scale (search at 10k/100k/1M on natural prose, bench/scale.mjs) also measures PostgreSQL when
// CLAUDE_MEM_BENCH_PG_URL names an empty database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contextBuild } from './context.mjs';
import { growTo, startCorpusWorker, startHybridWorker, waitForEmbeddings } from './corpus.mjs';
import { benchCapture } from './capture.mjs';
import { benchHook } from './hook.mjs';
import { benchIngest } from './ingest.mjs';
import { benchScale } from './scale.mjs';
import { ROOT, cleanupTempDirs, log, round } from './lib.mjs';
import { memorySnapshot } from './memory.mjs';
import { searchLatency } from './search.mjs';
import { benchTokens } from './tokens.mjs';

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--only');
  const only = i >= 0 ? new Set(argv[i + 1].split(',')) : null;
  return { quick, want: (name) => !only || only.has(name) };
}

/**
 * Corpus-based benchmarks share one data dir: keyword search at two sizes, context and RSS at the
 * largest on the keyword worker; hybrid search on the same data dir reopened with the test embedder.
 */
async function corpusBenchmarks(results, { quick, want }) {
  const small = quick ? 2_000 : 10_000;
  const large = quick ? 10_000 : 100_000;
  let corpus = await startCorpusWorker();
  const dataDir = corpus.worker.dataDir;
  const search = { hybrid: null, sizes: {}, imports: corpus.imports };
  const memory = { observations: large };
  try {
    memory.idle = await memorySnapshot(corpus.worker.pid, 'idle, empty database');
    for (const size of [small, large]) {
      await timed(`import to ${size}`, () => growTo(corpus, size, large));
      const { worker } = corpus;
      if (want('search')) {
        log(`search: keyword, ${size} observations`);
        search.sizes[size] = { keyword: await timed(`keyword search ${size}`, () => searchLatency({ url: worker.url, dbFile: worker.dbFile, mode: 'keyword' })) };
      }
      if (size === large) {
        if (want('context')) {
          log(`context: ${large} observations in one project`);
          results.context = { observations: large, ...(await timed('context', () => contextBuild({ url: worker.url }))) };
        }
        memory.loaded = await memorySnapshot(worker.pid, `after importing ${large} observations and the search/context runs`);
      }
      if (want('search')) {
        // Hybrid: same database, reopened with the test embedder, which backfills vectors first.
        await worker.stop();
        const h = await timed(`hybrid search ${size}`, () => hybridSearch(dataDir, size));
        search.hybrid = h.hybrid;
        if (h.result) search.sizes[size].hybrid = h.result;
        if (h.memory) memory.hybridWorker = h.memory;
        if (size !== large) corpus = { ...(await startCorpusWorker(dataDir)), count: corpus.count, imports: corpus.imports };
      }
    }
    if (want('search')) results.search = search;
    if (want('memory')) results.memory = memory;
  } finally {
    await corpus.worker.stop();
  }
}

async function hybridSearch(dataDir, size) {
  const { worker, hybrid } = await startHybridWorker(dataDir);
  try {
    if (!hybrid.supported) return { hybrid };
    log(`search: hybrid, ${size} observations (waiting for the vector backfill, at most 90 s)`);
    const vectorIndex = await waitForEmbeddings(worker.url);
    const result = await searchLatency({ url: worker.url, dbFile: worker.dbFile, mode: 'hybrid' });
    result.vectorIndex = vectorIndex;
    const memory = await memorySnapshot(worker.pid, `hybrid worker (test embedder) after backfill and searches at ${size}`);
    return { hybrid, result, memory };
  } finally {
    await worker.stop();
  }
}

/** Wall time of each phase, for the JSON summary (the run should stay near 5 minutes). */
const phases = {};
async function timed(name, fn) {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    phases[name] = Math.round((Date.now() - t0) / 100) / 10;
  }
}

// ---- report ----

const fmt = (x, unit = '') => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${round(x, 1)}${unit}`);
const x = (r) => (r === null || r === undefined ? '–' : `${round(r, 2)}×`);

function rows(results) {
  const out = [];
  const add = (benchmark, figure, value, baseline, rat, target, meets) =>
    out.push({ benchmark, figure, value, baseline, ratio: rat, target, status: meets === undefined ? '' : meets ? 'ok' : 'MISS' });
  const h = results.hook;
  if (h) {
    add('hook', 'PostToolUse, worker up (median)', fmt(h.hookWorkerUp.p50, ' ms'), `node -e 0: ${fmt(h.baseline.p50, ' ms')}`, x(h.hookWorkerUp.ratio), '≤ 1.3×', h.hookWorkerUp.ratio <= 1.3);
    add('hook', 'PostToolUse, worker down (median)', fmt(h.hookWorkerDown.p50, ' ms'), `node -e 0: ${fmt(h.baseline.p50, ' ms')}`, x(h.hookWorkerDown.ratio), '≤ 1.3×', h.hookWorkerDown.ratio <= 1.3);
  }
  const g = results.ingest;
  if (g) {
    const raw = `raw INSERT: ${g.baseline.perSec}/s`;
    add('ingest', 'store SQL in-process (no HTTP)', `${g.storeSql.perSec}/s`, raw, x(g.storeSql.ratio), '', undefined);
    add('ingest', 'HTTP floor: validate + reject (c1)', `${g.httpFloor.perSec}/s`, raw, x(round(g.httpFloor.perSec / g.baseline.perSec, 2)), '', undefined);
    add('ingest', 'durable events, concurrency 1', `${g.concurrency1.perSec}/s (p50 ${fmt(g.concurrency1.latencyMs.p50, ' ms')})`, raw, x(g.concurrency1.ratio), '≥ 0.5×', g.concurrency1.ratio >= 0.5);
    add('ingest', 'durable events, concurrency 16', `${g.concurrency16.perSec}/s (p50 ${fmt(g.concurrency16.latencyMs.p50, ' ms')})`, raw, x(g.concurrency16.ratio), '≥ 0.5×', g.concurrency16.ratio >= 0.5);
  }
  const s = results.search;
  if (s) {
    for (const [size, r] of Object.entries(s.sizes)) {
      for (const mode of ['keyword', 'hybrid']) {
        const m = r[mode];
        if (!m) continue;
        const limit = mode === 'keyword' ? 15 : 50;
        const atLarge = Number(size) >= 100_000;
        const vi = m.vectorIndex;
        const partial = vi && vi.indexed < vi.total ? ` (vectors ${vi.indexed}/${vi.total})` : '';
        add('search', `${mode} @${Number(size) / 1000}k p50 / p95${partial}`, `${fmt(m.http.p50)} / ${fmt(m.http.p95, ' ms')}`, `raw FTS: ${fmt(m.baselineRawFts.p50)} / ${fmt(m.baselineRawFts.p95, ' ms')}`, `${x(m.ratioP50)} / ${x(m.ratioP95)}`, atLarge ? `p95 ≤ ${limit} ms` : '', atLarge ? m.http.p95 <= limit : undefined);
      }
    }
    if (s.hybrid && !s.hybrid.supported) add('search', 'hybrid', 'skipped', '', '', '≤ 50 ms', undefined);
    for (const [size, r] of Object.entries(s.sizes)) {
      const vi = r.hybrid?.vectorIndex;
      if (vi) add('search', `vector backfill @${Number(size) / 1000}k (test embedder)`, `${vi.indexed}/${vi.total} in ${round(vi.waitedMs / 1000, 1)} s`, '', '', '', undefined);
    }
    for (const imp of s.imports) add('search', `import ${imp.from / 1000}k→${imp.to / 1000}k (POST /api/import)`, `${imp.observationsPerSec} obs/s`, '', '', '', undefined);
  }
  const sc = results.scale;
  if (sc) {
    const pq = (m) => `${fmt(m.p50)} / ${fmt(m.p95, ' ms')}`;
    for (const backend of ['sqlite', 'postgres']) {
      for (const [size, m] of Object.entries(sc[backend] ?? {})) {
        const n = Number(size);
        const limit = backend === 'postgres' ? (n >= 100_000 ? 50 : undefined) : n >= 1_000_000 ? 50 : n >= 100_000 ? 15 : undefined;
        const target = limit ? `p95 ≤ ${limit} ms` : '';
        const raw = (r) => (r ? `raw FTS5 OR: ${pq(r)}` : '');
        add('scale', `${backend} @${n / 1000}k, all projects, p50 / p95`, pq(m.all), raw(m.rawAll), m.ratioP95 ? x(m.ratioP95.all) : '', target, limit ? m.all.p95 <= limit : undefined);
        add('scale', `${backend} @${n / 1000}k, one project, p50 / p95`, pq(m.project), raw(m.rawProject), m.ratioP95 ? x(m.ratioP95.project) : '', backend === 'sqlite' ? target : '', backend === 'sqlite' && limit ? m.project.p95 <= limit : undefined);
        add('scale', `${backend} import ${m.import.from / 1000}k→${n / 1000}k`, `${m.import.observationsPerSec} obs/s`, `${m.import.msPer1000.first} → ${m.import.msPer1000.last} ms / 1,000`, '', '', undefined);
      }
    }
    for (const [backend, d] of [['sqlite', sc.devRecall], ['postgres', sc.devRecallPostgres]]) {
      if (d) add('scale', `${backend}: LoCoMo dev R@10 (1–4), same build`, String(round(d.recall10, 3)), 'plain FTS5 (README): 0.628', x(round(d.recall10 / 0.628, 2)), '≥ 0.72', d.recall10 >= 0.72);
    }
  }
  const c = results.context;
  if (c) {
    add('context', `inject @${c.observations / 1000}k p50 (p95)`, `${fmt(c.context.p50)} (${fmt(c.context.p95)}) ms`, `/api/health: ${fmt(c.baselineHealth.p50, ' ms')}`, x(c.ratioP50), '≤ 50 ms', c.context.p50 <= 50);
    add('context', 'inject size', `${c.bytes} B`, '', '', '≤ 8192 B', c.bytes <= 8192);
  }
  const m = results.memory;
  if (m) {
    add('memory', 'worker RSS idle', fmt(m.idle.rssMb, ' MB'), '', '', '≤ 150 MB', m.idle.rssMb <= 150);
    add('memory', `worker RSS after ${m.observations / 1000}k load (peak)`, `${fmt(m.loaded.rssMb, ' MB')} (${fmt(m.loaded.peakRssMb, ' MB')})`, `idle: ${fmt(m.idle.rssMb, ' MB')}`, x(round(m.loaded.rssMb / m.idle.rssMb, 2)), '≤ 150 MB', m.loaded.rssMb <= 150);
    const hw = m.hybridWorker;
    if (hw) add('memory', `hybrid worker RSS @${m.observations / 1000}k, fresh start + backfill (peak)`, `${fmt(hw.rssMb, ' MB')} (${fmt(hw.peakRssMb, ' MB')})`, `idle: ${fmt(m.idle.rssMb, ' MB')}`, x(round(hw.rssMb / m.idle.rssMb, 2)), '≤ 150 MB', hw.rssMb <= 150);
    add('memory', 'worker subprocesses (idle / loaded)', `${m.idle.subprocesses} / ${m.loaded.subprocesses}`, '', '', '0', m.idle.subprocesses + m.loaded.subprocesses === 0);
  }
  const t = results.tokens;
  if (t) {
    const p = t.perEventAt;
    add('tokens', `input tokens per tool call, batched vs one request per event (${t.events} events)`, `${t.perCall.batched} (${t.requests.batched} requests)`, `${t.perCall.perEvent} (${t.requests.perEvent} requests)`, x(t.ratioBatchedVsPerEvent), '≤ 0.35×', t.ratioBatchedVsPerEvent <= 0.35);
    add('tokens', 'per tool call in the request carrying event 10 / 100 / 1000', `${p[10]?.total} / ${p[100]?.total ?? '–'} / ${p[1000]?.total ?? '–'}`, `@10: ${p[10]?.total}`, x(t.ratioAt1000vs10), 'within ±10%', Math.abs(t.ratioAt1000vs10 - 1) <= 0.1);
    add('tokens', 'subprocesses during session (api transport)', String(t.subprocesses.maxSubprocesses), '', '', '0', t.subprocesses.maxSubprocesses === 0);
    add('tokens', 'worker RSS after session', fmt(t.memory.rssMb, ' MB'), '', '', '≤ 150 MB', t.memory.rssMb <= 150);
  }
  const cap = results.capture;
  if (cap?.skipped) add('capture', 'real Claude Code session', 'skipped', '', '', '≤ 1.10×', undefined);
  else if (cap) {
    add('capture', `claude -p, ${cap.calls} tool calls, ${cap.hooks} hooks (median of ${cap.pairs} rounds)`, fmt(cap.withPluginMs.p50, ' ms'), `no plugin: ${fmt(cap.withoutPluginMs.p50, ' ms')}`, x(cap.ratio), '≤ 1.10×', cap.ratio <= 1.1);
    add('capture', 'the same plugin with no hooks (its MCP server only): the floor', fmt(cap.mcpServerOnlyMs.p50, ' ms'), `no plugin: ${fmt(cap.withoutPluginMs.p50, ' ms')}`, x(cap.floorRatio), '', undefined);
    add('capture', 'tool calls captured', `${round(cap.coverage * 100, 1)}%`, '', '', '100%', cap.coverage === 1);
  }
  return out;
}

function printTable(list) {
  const cols = ['benchmark', 'figure', 'value', 'baseline', 'ratio', 'target', 'status'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...list.map((r) => String(r[c]).length))]));
  const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join(' │ ');
  console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => '─'.repeat(width[c])).join('─┼─'));
  for (const r of list) console.log(line(r));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const results = {};
  const errors = {};
  const step = async (name, fn) => {
    try {
      await timed(name, fn);
    } catch (err) {
      errors[name] = err.stack ?? String(err);
      log(`${name} FAILED: ${err.message}`);
    }
  };
  if (args.want('hook')) await step('hook', async () => (results.hook = await benchHook({ runs: args.quick ? 10 : 30 })));
  if (args.want('ingest')) await step('ingest', async () => (results.ingest = await benchIngest(args.quick ? { blocks: 4, blockSize: 50 } : {})));
  if (args.want('search') || args.want('context') || args.want('memory')) await step('corpus', () => corpusBenchmarks(results, args));
  if (args.want('scale')) {
    const sizes = args.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
    await step('scale', async () => (results.scale = await benchScale({ sizes, pgUrl: process.env.CLAUDE_MEM_BENCH_PG_URL || null })));
  }
  if (args.want('capture')) await step('capture', async () => (results.capture = await benchCapture({ pairs: args.quick ? 3 : 9, calls: args.quick ? 20 : 60 })));
  if (args.want('tokens')) await step('tokens', async () => (results.tokens = await benchTokens({ events: args.quick ? 100 : 1000 })));
  cleanupTempDirs();

  const table = rows(results);
  console.log('');
  printTable(table);
  const hints = [];
  if (results.search?.hybrid && !results.search.hybrid.supported) hints.push(`hybrid search: ${results.search.hybrid.note}`);
  if (results.tokens) hints.push(`tokens: uncached input per tool call, batched ${results.tokens.uncachedPerCall.batched} vs per event ${results.tokens.uncachedPerCall.perEvent}; batch sizes at 10/100/1000: ${JSON.stringify(Object.fromEntries(Object.entries(results.tokens.perEventAt).map(([k, v]) => [k, v.calls])))}`);
  for (const [k, v] of Object.entries(errors)) hints.push(`${k}: ERROR ${v.split('\n')[0]}`);
  for (const line of hints) console.log(`\n${line}`);

  const summary = {
    at: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((l) => round(l, 2)) },
    quick: args.quick,
    phasesSeconds: phases,
    table,
    results,
    errors,
  };
  const outDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(`\n${summary.durationSeconds} s; JSON summary in bench/results/latest.json`);
}

main().catch((err) => {
  console.error(err);
  cleanupTempDirs();
  process.exit(1);
});
