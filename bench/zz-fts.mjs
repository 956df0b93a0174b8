import Database from 'better-sqlite3';
import { QUERIES } from './dataset.mjs';
import { matchExpression } from './search.mjs';
import { nowMs, summarize } from './lib.mjs';
const db = new Database('/tmp/cmb/db100k/claude-mem.db', { readonly: true });
const W = '8.0, 3.0, 1.0, 4.0, 2.0';
const variants = {
  current: `SELECT o.*, bm25(observations_fts, ${W}) AS score FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
    WHERE observations_fts MATCH ? AND o.project IN (?) ORDER BY score ASC, o.id DESC LIMIT 20`,
  idsThenRows: `WITH ranked AS (SELECT o.id AS id, bm25(observations_fts, ${W}) AS score FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
      WHERE observations_fts MATCH ? AND o.project IN (?) ORDER BY score ASC, o.id DESC LIMIT 20)
    SELECT o.*, ranked.score FROM ranked JOIN observations o ON o.id = ranked.id ORDER BY ranked.score ASC, o.id DESC`,
  ftsOnly: `SELECT rowid, bm25(observations_fts, ${W}) AS score FROM observations_fts WHERE observations_fts MATCH ? ORDER BY score LIMIT 20`,
  countMatches: `SELECT count(*) FROM observations_fts WHERE observations_fts MATCH ?`,
};
for (const [name, sql] of Object.entries(variants)) {
  const st = db.prepare(sql);
  const t = [];
  const args = (q) => name === 'ftsOnly' || name === 'countMatches' ? [matchExpression(q)] : [matchExpression(q), 'acme-shop'];
  for (const q of QUERIES) st.all(...args(q));
  for (let r = 0; r < 3; r++) for (const q of QUERIES) { const t0 = nowMs(); st.all(...args(q)); t.push(nowMs() - t0); }
  console.log(name.padEnd(14), JSON.stringify(summarize(t)));
}
const c = db.prepare(variants.countMatches);
console.log(QUERIES.map(q => `${q}: ${c.pluck().get(matchExpression(q))}`).join('\n'));
