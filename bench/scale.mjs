// Keyword search at scale: one SQLite store grown 10k → 100k → 1M observations of natural prose
// (bench/jsdocCorpus.mjs, 10 projects) through POST /api/import, and at each size the p50/p95 of
// GET /api/search over HTTP for 2–4-word queries, across all projects and within one. Baseline in
// the same run: the plain FTS5 query (the same words OR-ed, bm25, LIMIT 20; with the project as a
// join filter) run with better-sqlite3 on the same database file. Recall on the LoCoMo dev split
// (scripts/eval-search.mjs, keyword only) is measured by the same build, beside the latencies.
//
//   node bench/scale.mjs [--sizes 10000,100000,1000000] [--queries 60] [--pg postgres://…/db] [--pg-only]
//
// --pg also loads the same corpus into a PostgreSQL database (team mode, every project shared)
// and measures the same queries there (the database must exist and be empty; it is left filled);
// --pg-only skips the SQLite store.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SCALE_PROJECTS, scaleObservations, scaleQueries } from './jsdocCorpus.mjs';
import { ROOT, log, nowMs, postJson, round, sleep, startWorker, summarize, timedGet } from './lib.mjs';
import { matchExpression } from './search.mjs';

const BATCH = 5000;

const RAW_ALL = `SELECT o.id, bm25(observations_fts) AS score FROM observations_fts
  JOIN observations o ON o.id = observations_fts.rowid
  WHERE observations_fts MATCH ? ORDER BY score LIMIT 20`;
const RAW_PROJECT = `SELECT o.id, bm25(observations_fts) AS score FROM observations_fts
  JOIN observations o ON o.id = observations_fts.rowid
  WHERE observations_fts MATCH ? AND o.project = ? ORDER BY score LIMIT 20`;

async function grow(url, from, to) {
  const perBatchMs = [];
  for (let off = from; off < to; off += BATCH) {
    const observations = scaleObservations(Math.min(BATCH, to - off), off);
    const t0 = nowMs();
    const body = { observations, summaries: [], prompts: [] };
    const res = await postJson(`${url}/api/import`, body);
    perBatchMs.push(nowMs() - t0);
    if (res.observations.imported !== observations.length) throw new Error(`import at ${off}: ${JSON.stringify(res.observations)}`);
  }
  const ms = perBatchMs.reduce((a, b) => a + b, 0);
  return {
    from,
    to,
    observationsPerSec: round(((to - from) * 1000) / ms, 0),
    msPer1000: { first: round((perBatchMs[0] * 1000) / BATCH, 1), last: round((perBatchMs.at(-1) * 1000) / BATCH, 1) },
  };
}

async function httpLatencies(url, queries, rounds, project) {
  const times = [];
  let hits = 0;
  const q = (text) => `${url}/api/search?query=${encodeURIComponent(text)}&kinds=observations&limit=20${project ? `&project=${project}` : ''}`;
  for (const text of queries.slice(0, 10)) await timedGet(q(text)); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const text of queries) {
      const res = await timedGet(q(text));
      if (res.status !== 200) throw new Error(`search "${text}" → ${res.status}: ${res.body.toString().slice(0, 200)}`);
      times.push(res.ms);
      if (r === 0 && JSON.parse(res.body.toString()).observations.length > 0) hits++;
    }
  }
  return { ...summarize(times), queriesWithHits: hits };
}

function rawLatencies(dbFile, queries, rounds, project) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const stmt = db.prepare(project ? RAW_PROJECT : RAW_ALL);
    const run = (text) => (project ? stmt.all(matchExpression(text), project) : stmt.all(matchExpression(text)));
    for (const text of queries.slice(0, 10)) run(text);
    const times = [];
    for (let r = 0; r < rounds; r++) {
      for (const text of queries) {
        const t0 = nowMs();
        run(text);
        times.push(nowMs() - t0);
      }
    }
    return summarize(times);
  } finally {
    db.close();
  }
}

/** LoCoMo dev Recall@10 (categories 1–4), keyword only, with this build. */
function devRecall(extra = []) {
  const out = path.join(fs.mkdtempSync('/tmp/cm-scale-eval-'), 'eval.json');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/eval-search.mjs'), '--keyword-only', '--json', out, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eval-search failed: ${r.stderr || r.stdout}`);
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  const run = json.runs?.[0] ?? json[0] ?? json;
  return run.overall ?? run;
}

export async function benchScale({ sizes = [10_000, 100_000, 1_000_000], queries: nQueries = 60, rounds = 3, pgUrl = null, pgOnly = false } = {}) {
  const largest = Math.max(...sizes);
  const queries = scaleQueries(nQueries, Math.min(...sizes));
  const project = SCALE_PROJECTS[3];
  const result = { queries: queries.length, rounds, sample: queries.slice(0, 5), sqlite: null, postgres: null, devRecall: null, devRecallPostgres: null };
  const backends = pgOnly ? [] : [['sqlite', { CLAUDE_MEM_EMBEDDINGS: 'none' }]];
  if (pgUrl) backends.push(['postgres', { CLAUDE_MEM_EMBEDDINGS: 'none', CLAUDE_MEM_DATABASE_URL: pgUrl, CLAUDE_MEM_SHARED_PROJECTS: SCALE_PROJECTS.join(',') }]);
  for (const [name, settings] of backends) {
    const worker = await startWorker({ settings });
    const out = (result[name] = {});
    try {
      let count = 0;
      for (const size of sizes) {
        log(`scale/${name}: import ${count} → ${size} (largest ${largest})`);
        const imp = await grow(worker.url, count, size);
        count = size;
        log(`scale/${name}: ${imp.observationsPerSec} obs/s; searching at ${size}`);
        const m = {
          import: imp,
          all: await httpLatencies(worker.url, queries, rounds, null),
          project: await httpLatencies(worker.url, queries, rounds, project),
        };
        if (name === 'sqlite') {
          m.rawAll = rawLatencies(worker.dbFile, queries, rounds, null);
          m.rawProject = rawLatencies(worker.dbFile, queries, rounds, project);
          // The raw runs block this process for a while: let it see the keep-alive connections the
          // worker closed meanwhile, or the next import would be written into one (EPIPE).
          await sleep(200);
          m.ratioP95 = { all: round(m.all.p95 / m.rawAll.p95, 2), project: round(m.project.p95 / m.rawProject.p95, 2) };
          m.dbMb = round(fs.statSync(worker.dbFile).size / 2 ** 20, 0);
        }
        out[size] = m;
      }
    } catch (err) {
      err.message += `\nworker (exit ${worker.proc.exitCode ?? worker.proc.signalCode ?? 'running'}) output:\n${worker.output().slice(-2000)}`;
      throw err;
    } finally {
      await worker.stop();
    }
  }
  if (!pgOnly) result.devRecall = devRecall();
  if (pgUrl) {
    // eval-search makes (and drops) its own database on the same server.
    const server = new URL(pgUrl);
    server.pathname = '/postgres';
    result.devRecallPostgres = devRecall(['--database-url', server.toString()]);
  }
  return result;
}

function printScale(r) {
  const fmt = (s) => `${round(s.p50, 1)} / ${round(s.p95, 1)}`;
  for (const backend of ['sqlite', 'postgres']) {
    if (!r[backend]) continue;
    for (const [size, m] of Object.entries(r[backend])) {
      const raw = m.rawAll ? ` │ raw FTS5 OR ${fmt(m.rawAll)} / in project ${fmt(m.rawProject)} │ ratio p95 ${m.ratioP95.all}× / ${m.ratioP95.project}×` : '';
      console.log(
        `${backend} @${Number(size) / 1000}k: search p50/p95 ms all ${fmt(m.all)}, one project ${fmt(m.project)}${raw}` +
          ` │ import ${m.import.observationsPerSec}/s (${m.import.msPer1000.first} → ${m.import.msPer1000.last} ms per 1,000)${m.dbMb ? ` │ ${m.dbMb} MB` : ''}`,
      );
    }
  }
  if (r.devRecall) console.log(`LoCoMo dev (same build, keyword): ${JSON.stringify(r.devRecall)}`);
  if (r.devRecallPostgres) console.log(`LoCoMo dev on PostgreSQL (same build, keyword): ${JSON.stringify(r.devRecallPostgres)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const sizes = arg('--sizes', '10000,100000,1000000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes takes positive integers, e.g. 10000,100000');
  const pgUrl = arg('--pg', null);
  const pgOnly = process.argv.includes('--pg-only');
  if (pgOnly && !pgUrl) throw new Error('--pg-only needs --pg postgres://…');
  const r = await benchScale({ sizes, queries: Number(arg('--queries', '60')), pgUrl, pgOnly });
  printScale(r);
  fs.writeFileSync(path.join(ROOT, 'bench/results/scale.json'), JSON.stringify(r, null, 2) + '\n');
}

export { printScale };
