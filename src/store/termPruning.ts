// Common-term pruning for keyword search on large stores, shared by both backends. A term found
// in more than COMMON_TERM_SHARE of the observations is dropped from the query (the rarest term is
// always kept): such terms ("src", "test", "change") make the ranker score most of the corpus yet
// barely move the top (98% same top-20 at 100k rows). Counts are cached briefly.

export const COMMON_TERM_SHARE = 0.3;
export const PRUNE_MIN_DOCS = 5000;
const TTL_MS = 60_000;
const MAX_CACHED_TERMS = 5000;

/** Terms worth searching, given each term's document frequency (counted up to the cap). */
export function pruneCommonTerms(termDfs: Array<{ term: string; df: number }>, totalDocs: number): string[] {
  if (termDfs.length < 2 || totalDocs < PRUNE_MIN_DOCS) return termDfs.map((d) => d.term);
  const cap = Math.floor(totalDocs * COMMON_TERM_SHARE);
  const kept = termDfs.filter((d) => d.df <= cap).map((d) => d.term);
  if (kept.length > 0) return kept;
  return [termDfs.reduce((a, b) => (b.df < a.df ? b : a)).term];
}

/**
 * Rows a keyword query ranks at most in a large store. Ranking cost grows with the rows that
 * contain any query term (1–2 µs each in FTS5), so a query is matched on its rarest terms while
 * their rows fit this budget; the other terms still count when the hits are weighed
 * (coordination). A query whose every term is more common than that ranks only the newest rows
 * that contain its terms, a fifth of the budget (recentWindow): among tens of thousands of rows
 * that share one everyday word, recency is the better tie-breaker.
 */
export const SCORE_BUDGET = 5000;

/** Rows ranked when every query term is common (see SCORE_BUDGET). */
export const recentWindow = (budget: number): number => Math.ceil(budget / 5);

export interface TermPlan {
  /** Terms a hit is weighed by (common ones pruned). */
  terms: string[];
  /** Terms the index is queried with. */
  match: string[];
  /** Every term is common: rank only the newest rows that contain one (recentWindow). */
  recentOnly: boolean;
}

/** Which terms to query the index with so that at most about `budget` rows are ranked. */
export function planTerms(termDfs: Array<{ term: string; df: number }>, totalDocs: number, budget = SCORE_BUDGET): TermPlan {
  const terms = pruneCommonTerms(termDfs, totalDocs);
  if (totalDocs <= budget) return { terms, match: terms, recentOnly: false };
  const kept = new Set(terms);
  const byRarity = termDfs.filter((d) => kept.has(d.term)).sort((a, b) => a.df - b.df);
  const match: string[] = [];
  let rows = 0;
  for (const d of byRarity) {
    if (rows + d.df > budget) break;
    rows += d.df;
    match.push(d.term);
  }
  return match.length > 0 ? { terms, match, recentOnly: false } : { terms, match: terms, recentOnly: true };
}

export interface TermCounter {
  /** Number of observations. */
  total(): Promise<number> | number;
  /**
   * Observations matching the term, at most `cap + 1` (bounded cost): exact or estimated past the
   * rank limit (see the backends' counters). `total` is the store's size.
   */
  docFreq(term: string, cap: number, total: number): Promise<number> | number;
  /** The newest observation id: cheap, and it tells when the store has grown since the counts. */
  newestId(): Promise<number> | number;
}

/** Cached counts are dropped once the store has grown by this share (a bulk import, say). */
const GROWTH_RESET = 0.1;

export interface TermStats {
  total: number;
  /** Per term, its document frequency, up to the cap + 1: exact up to the rank limit, estimated past it. */
  dfs: Array<{ term: string; df: number }>;
}

export class CommonTermPruner {
  private readonly dfs = new Map<string, { df: number; at: number }>();
  private totalDocs: { n: number; at: number; newestId: number } | null = null;

  constructor(private readonly counter: TermCounter) {}

  async plan(terms: string[], budget = SCORE_BUDGET): Promise<TermPlan> {
    const total = await this.total();
    // Small stores need no counts: nothing is pruned and every match is ranked.
    if (terms.length === 0 || (total < PRUNE_MIN_DOCS && total <= budget)) return { terms, match: terms, recentOnly: false };
    return planTerms((await this.stats(terms, budget)).dfs, total, budget);
  }

  /** Document frequencies of the terms (capped, cached): what a ranker needs for idf weights. */
  async stats(terms: string[], budget = SCORE_BUDGET): Promise<TermStats> {
    const total = await this.total();
    // Exact counts in small stores (for idf); in large ones only up to the pruning cap (a term
    // above it is dropped anyway) or the scoring budget, whichever is larger.
    const cap = Math.max(Math.floor(total * COMMON_TERM_SHARE), Math.min(total, Math.max(PRUNE_MIN_DOCS, budget)));
    const dfs = await Promise.all(terms.map(async (term) => ({ term, df: await this.docFreq(term, cap, total) })));
    return { total, dfs };
  }

  private async total(): Promise<number> {
    const newestId = await this.counter.newestId();
    const grown = this.totalDocs !== null && newestId - this.totalDocs.newestId > GROWTH_RESET * Math.max(this.totalDocs.n, 1);
    if (grown) this.dfs.clear();
    if (!this.totalDocs || grown || Date.now() - this.totalDocs.at > TTL_MS) {
      this.totalDocs = { n: await this.counter.total(), at: Date.now(), newestId };
    }
    return this.totalDocs.n;
  }

  private async docFreq(term: string, cap: number, total: number): Promise<number> {
    const hit = this.dfs.get(term);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.df;
    const df = await this.counter.docFreq(term, cap, total);
    if (this.dfs.size > MAX_CACHED_TERMS) this.dfs.clear();
    this.dfs.set(term, { df, at: Date.now() });
    return df;
  }
}

/** BM25's inverse document frequency (never negative). */
export function idf(df: number, total: number): number {
  return Math.log(1 + (total - df + 0.5) / (df + 0.5));
}
