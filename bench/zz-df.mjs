import Database from 'better-sqlite3';
import { QUERIES } from './dataset.mjs';
import { nowMs, summarize } from './lib.mjs';
const db = new Database('/tmp/cmb/db100k/claude-mem.db', { readonly: true });
db.exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, observations_fts, 'row')`);
const total = db.prepare('SELECT COUNT(*) FROM observations').pluck().get();
const df = db.prepare('SELECT doc FROM temp.vocab WHERE term = ?').pluck();
const W = '8.0, 3.0, 1.0, 4.0, 2.0';
const sql = db.prepare(`SELECT o.*, bm25(observations_fts, ${W}) AS score FROM observations_fts JOIN observations o ON o.id = observations_fts.rowid
    WHERE observations_fts MATCH ? AND o.project IN (?) ORDER BY score ASC, o.id DESC LIMIT 20`);
const STOP = new Set('a about are as at be by did do does for how in is of off on the to we what where why with'.split(' '));
// porter stems differ from raw words; use the vocab's own tokens via a prefix-free lookup of the stemmed form
const tokens = (q) => [...new Set((q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(w => !STOP.has(w)))];
const stem = db.prepare(`SELECT term FROM temp.vocab WHERE term = ? OR term = substr(?, 1, length(?) - 1) OR term = substr(?,1,length(?)-3) ORDER BY length(term) DESC LIMIT 1`).pluck();
for (const q of QUERIES) {
  const ts = tokens(q);
  const info = ts.map(t => { const s = stem.get(t, t, t, t, t) ?? t; return { t, df: df.get(s) ?? 0 }; });
  const kept = info.filter(i => i.df <= total * 0.3);
  const keep = kept.length ? kept : [info.sort((a, b) => a.df - b.df)[0]];
  const full = ts.map(t => `"${t}"`).join(' OR ');
  const pruned = keep.map(i => `"${i.t}"`).join(' OR ');
  const time = (m) => { const t = []; for (let r = 0; r < 3; r++) { const t0 = nowMs(); sql.all(m, 'acme-shop'); t.push(nowMs() - t0); } return Math.min(...t).toFixed(1); };
  const a = sql.all(full, 'acme-shop').map(r => r.id), b = sql.all(pruned, 'acme-shop').map(r => r.id);
  const overlap = a.filter(x => b.includes(x)).length;
  console.log(`${q.padEnd(62)} full ${time(full).padStart(6)} ms  pruned ${time(pruned).padStart(6)} ms  top20 overlap ${overlap}/20  dropped ${info.filter(i => !keep.includes(i)).map(i => `${i.t}(${i.df})`).join(',')}`);
}
