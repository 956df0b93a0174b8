import Database from 'better-sqlite3';
import { QUERIES } from './dataset.mjs';
import { matchExpression } from './search.mjs';
import { nowMs, summarize } from './lib.mjs';
const db = new Database('/tmp/cmb/db100k/claude-mem.db', { readonly: true });
const W = '8.0, 3.0, 1.0, 4.0, 2.0';
const variants = {
  current: [`SELECT o.*, bm25(observations_fts, ${W}) AS score FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
    WHERE observations_fts MATCH ? AND o.project IN (?) ORDER BY score ASC, o.id DESC LIMIT 20`, true],
  rankOrder: [`SELECT rowid, rank FROM observations_fts WHERE observations_fts MATCH ? AND rank MATCH 'bm25(${W})' ORDER BY rank LIMIT 20`, false],
  ftsTop200thenJoin: [`WITH top AS (SELECT rowid AS id, rank AS score FROM observations_fts WHERE observations_fts MATCH ? AND rank MATCH 'bm25(${W})' ORDER BY rank LIMIT 200)
     SELECT o.*, top.score FROM top JOIN observations o ON o.id = top.id WHERE o.project IN (?) ORDER BY top.score, o.id DESC LIMIT 20`, true],
  bm25NoSortJoin: [`SELECT o.id, bm25(observations_fts, ${W}) AS score FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
    WHERE observations_fts MATCH ? AND o.project IN (?)`, true],
  joinNoBm25: [`SELECT o.id FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid WHERE observations_fts MATCH ? AND o.project IN (?)`, true],
};
for (const [name, [sql, proj]] of Object.entries(variants)) {
  const st = db.prepare(sql);
  const t = [];
  const args = (q) => proj ? [matchExpression(q), 'acme-shop'] : [matchExpression(q)];
  for (const q of QUERIES) st.all(...args(q));
  for (let r = 0; r < 3; r++) for (const q of QUERIES) { const t0 = nowMs(); st.all(...args(q)); t.push(nowMs() - t0); }
  console.log(name.padEnd(18), JSON.stringify(summarize(t)));
}
console.log(db.prepare(`EXPLAIN QUERY PLAN ${variants.current[0]}`).all(matchExpression('x'), 'p').map(r => r.detail).join(' | '));
