// Document frequencies of query terms in observations_fts, for termPruning. FTS5 keeps no count
// per term: counting walks the term's doclist, ~30 ns a row, so 10 ms for a word in 30% of a 1M
// store, paid at each first sight of a word. A word is counted exactly up to the rank limit (what
// planning needs); past it, the rows spanned by its newest SAMPLE_HITS matches (FTS5 walks a
// doclist newest first cheaply; a rowid range it would scan from the start) give its share —
// enough to tell whether it is common enough to prune.
import type { TermCounter } from '../termPruning.js';
import type { Db } from './Database.js';

const SAMPLE_HITS = 20_000;

export class SqliteTermCounter implements TermCounter {
  constructor(
    private readonly db: Db,
    private readonly exactUpTo: number,
    private readonly sampleHits = SAMPLE_HITS,
  ) {}

  total(): number {
    return this.db.prepare('SELECT COUNT(*) FROM observations').pluck().get() as number;
  }

  newestId(): number {
    return (this.db.prepare('SELECT MAX(id) FROM observations').pluck().get() as number | null) ?? 0;
  }

  docFreq(term: string, cap: number, total: number): number {
    const phrase = `"${term}"`;
    const exactCap = Math.min(cap, this.exactUpTo);
    const exact = this.db
      .prepare('SELECT COUNT(*) FROM (SELECT rowid FROM observations_fts WHERE observations_fts MATCH ? LIMIT ?)')
      .pluck()
      .get(phrase, exactCap + 1) as number;
    if (exact <= exactCap || exactCap >= cap) return exact;
    const sample = this.db
      .prepare(
        `SELECT COUNT(*) AS hits, MIN(rowid) AS oldest FROM (
           SELECT rowid FROM observations_fts WHERE observations_fts MATCH ? ORDER BY rowid DESC LIMIT ?)`,
      )
      .get(phrase, this.sampleHits) as { hits: number; oldest: number };
    // Fewer matches than the sample: they are all of them.
    if (sample.hits < this.sampleHits) return Math.min(cap + 1, sample.hits);
    // The rows they span, from ids (a few deleted rows only lower the estimate a little).
    const estimate = Math.round((sample.hits / (this.newestId() - sample.oldest + 1)) * total);
    return Math.min(cap + 1, Math.max(exact, estimate));
  }
}
