// Search latency p50/p95 through GET /api/search with varied realistic queries.
//
// Baseline: the raw FTS5 query the worker runs for observations (same MATCH expression, same bm25
// weights, same project filter, LIMIT 20), executed with better-sqlite3 on the worker's database
// file from this process. It is the floor of the work a search must do, so the ratio is exactly
// "what HTTP, validation, the extra summary/prompt lookups and JSON cost on top". The other
// candidate, GET /api/observations?limit=20, is reported too but is not the ratio's baseline: it
// also counts every row of the project, so it grows with the corpus and is not a fixed floor.
import Database from 'better-sqlite3';
import { PROJECT, QUERIES } from './dataset.mjs';
import { nowMs, ratio, summarize, timedGet } from './lib.mjs';

// Same tokenisation and stop words as src/store/queryText.ts (keep in step with it), so the
// baseline searches for exactly the terms the worker searches for.
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further had has have
  having he her here hers herself him himself his how i if in into is it its itself just me more most
  my myself no nor not now of off on once only or other our ours ourselves out over own same she
  should so some such than that the their theirs them themselves then there these they this those
  through to too under until up very was we were what when where which while who whom why will with
  would you your yours yourself yourselves also did does ever get got like may might must shall
  since upon us via yet`.split(/\s+/).filter(Boolean),
);

export function matchExpression(text) {
  const all = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length <= 64);
  const content = all.filter((w) => !STOPWORDS.has(w));
  const chosen = [...new Set(content.length ? content : all)].slice(0, 32);
  return chosen.map((w) => `"${w}"`).join(' OR ');
}

// Equal column weights, as the store ranks (src/store/sqlite/SearchIndex.ts OBS_WEIGHTS).
const RAW_SQL = `SELECT o.*, bm25(observations_fts) AS score
  FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
  WHERE observations_fts MATCH ? AND o.project IN (?)
  ORDER BY score ASC, o.id DESC LIMIT 20`;

/**
 * Runs every query `rounds` times (interleaved: HTTP search, raw FTS, list) and returns the
 * distributions. `mode` labels the HTTP figure (keyword or hybrid).
 */
export async function searchLatency({ url, dbFile, rounds = 10, mode = 'keyword' }) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const raw = db.prepare(RAW_SQL);
  const http = [];
  const base = [];
  const list = [];
  let hits = 0;
  let bytes = 0;
  try {
    // Warm-up: page cache and statement compilation on both sides.
    for (const q of QUERIES) {
      await timedGet(`${url}/api/search?query=${encodeURIComponent(q)}&project=${PROJECT}&limit=20`);
      raw.all(matchExpression(q), PROJECT);
    }
    for (let r = 0; r < rounds; r++) {
      for (const q of QUERIES) {
        const res = await timedGet(`${url}/api/search?query=${encodeURIComponent(q)}&project=${PROJECT}&limit=20`);
        if (res.status !== 200) throw new Error(`search "${q}" → ${res.status}: ${res.body.toString().slice(0, 300)}`);
        http.push(res.ms);
        bytes += res.bytes;
        if (r === 0) hits += JSON.parse(res.body.toString()).observations.length;
        const t0 = nowMs();
        raw.all(matchExpression(q), PROJECT);
        base.push(nowMs() - t0);
        if (list.length < rounds * 4) list.push((await timedGet(`${url}/api/observations?project=${PROJECT}&limit=20`)).ms);
      }
    }
  } finally {
    db.close();
  }
  const h = summarize(http);
  const b = summarize(base);
  return {
    mode,
    queries: QUERIES.length,
    http: { ...h, avgBytes: Math.round(bytes / http.length) },
    baselineRawFts: b,
    listObservations: summarize(list),
    avgObservationHits: Math.round((hits / QUERIES.length) * 10) / 10,
    ratioP50: ratio(h.p50, b.p50),
    ratioP95: ratio(h.p95, b.p95),
  };
}
