// Document frequencies of query terms in observations.search, for termPruning. Counting the rows
// that hold a common word means visiting each of them in the heap (GIN cannot answer a count
// alone): 100–200 ms for a word in 30% of 100k rows. ANALYZE already keeps the frequencies of the
// ~1,000 most common lexemes of the column (pg_stats.most_common_elems), so a common word is read
// from there and only rarer words, cheap to count, are counted.
import type { TermCounter } from '../termPruning.js';
import type { Pool } from './pgClient.js';

const STATS_TTL_MS = 60_000;

interface LexemeStats {
  /** Share of rows holding each of the most common lexemes. */
  freqs: Map<string, number>;
  rows: number;
  at: number;
}

export class PgTermCounter implements TermCounter {
  private stats: LexemeStats | null = null;

  constructor(private readonly pool: Pool) {}

  async total(): Promise<number> {
    return Number((await this.pool.query('SELECT COUNT(*)::int AS n FROM observations')).rows[0].n);
  }

  async newestId(): Promise<number> {
    return Number((await this.pool.query('SELECT COALESCE(MAX(id), 0) AS n FROM observations')).rows[0].n);
  }

  async docFreq(term: string, cap: number): Promise<number> {
    const { rows } = await this.pool.query(`SELECT unnest(tsvector_to_array(to_tsvector('english', $1))) AS lexeme`, [term]);
    // A stop word of the english configuration matches nothing in the index.
    if (rows.length === 0) return 0;
    const stats = await this.lexemeStats();
    const freq = rows.length === 1 ? stats.freqs.get(String(rows[0].lexeme)) : undefined;
    if (freq !== undefined) return Math.min(cap + 1, Math.round(freq * stats.rows));
    const counted = await this.pool.query(
      `SELECT COUNT(*)::int AS n FROM (SELECT 1 FROM observations WHERE search @@ to_tsquery('english', $1) LIMIT $2) s`,
      [`'${term}'`, cap + 1],
    );
    return Number(counted.rows[0].n);
  }

  /** The most-common-lexeme statistics of observations.search (none before the first ANALYZE). */
  private async lexemeStats(): Promise<LexemeStats> {
    if (this.stats && Date.now() - this.stats.at < STATS_TTL_MS) return this.stats;
    const { rows } = await this.pool.query(
      `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs, c.reltuples::float8 AS rows
       FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = to_regnamespace(s.schemaname)
       WHERE s.schemaname = current_schema() AND s.tablename = 'observations' AND s.attname = 'search'`,
    );
    const r = rows[0] as { elems: string[] | null; freqs: number[] | null; rows: number } | undefined;
    const freqs = new Map<string, number>();
    // most_common_elem_freqs ends with three summary numbers (min, max, null share) after the per-lexeme ones.
    if (r?.elems && r.freqs && r.rows > 0) r.elems.forEach((e, i) => freqs.set(e, r.freqs![i]));
    this.stats = { freqs, rows: r?.rows ?? 0, at: Date.now() };
    return this.stats;
  }
}
