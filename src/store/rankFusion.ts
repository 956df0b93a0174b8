// Reciprocal rank fusion: combines several rankings (best first) into one, by summing
// weight / (k + rank) per id. Used by both stores to merge keyword and vector results, keyword
// first: the vector ranking weighs VECTOR_WEIGHT of the keyword one unless configured.
const RRF_K = 60;

/**
 * Default weight of the vector ranking against the keyword ranking (CLAUDE_MEM_HYBRID_VECTOR_WEIGHT,
 * in percent). Chosen on the LoCoMo dev split (scripts/eval-search.mjs --vector-weight) with the one
 * neural embedder that installs offline (Universal Sentence Encoder lite, 512-d, dense-only R@10
 * 0.24) behind an OpenAI-compatible server, R@10 / MRR: keyword only 0.730 / 0.530, weight 1% the
 * same, 2% 0.730 / 0.524, 5% 0.727 / 0.498, 30% 0.691 / 0.363, 100% 0.583 / 0.274. With k = 60
 * the top keyword ranks are ~2.6e-4 apart: at 1% a vector vote (≤ 1.6e-4) never reorders them,
 * only breaks near-ties deeper down, and a vector-only hit lands after every keyword hit. Keyword
 * first; a stronger embedder may earn more: measure it the same way before raising it.
 */
export const VECTOR_WEIGHT = 0.01;


/** Size of the candidate pool each ranking contributes for a page ending at offset + limit. */
export function fusionPool(offset: number, limit: number): number {
  return Math.min(offset + limit, 500) * 2 + 20;
}

export function reciprocalRankFusion(rankings: number[][], weights: number[] = [], k = RRF_K): number[] {
  const scores = new Map<number, number>();
  rankings.forEach((ranking, r) => {
    const w = weights[r] ?? 1;
    ranking.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + w / (k + i + 1)));
  });
  return [...scores.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

// ---- Coordination ---------------------------------------------------------------------------
//
// Query words are OR-ed, so a record can rank on one frequent word alone. Weighing its keyword
// score by the share of query terms it contains (the classic "coord" factor) puts records that
// answer more of the question first. LoCoMo dev with the session context below: Recall@10 0.692 →
// 0.730 (SQLite), 0.707 → 0.727 (PostgreSQL); MRR 0.482 → 0.529, 0.525 → 0.540.
// A path or identifier the query names ("src/app.ts", "worker-main") found as written doubles the
// score (all of them found; a share of that for some): a record naming app.ts beats one that says
// "app" here and ".ts" there.

export function coordinated(score: number, matchedTerms: number, queryTerms: number, matchedPhrases = 0, queryPhrases = 0): number {
  const coord = queryTerms > 0 ? matchedTerms / queryTerms : 1;
  const phrase = queryPhrases > 0 ? 1 + matchedPhrases / queryPhrases : 1;
  return score * coord * phrase;
}

// ---- Session context -------------------------------------------------------------------------
//
// A record is often found through the records around it: the answer follows the question that
// names the topic, a fix follows the observation that named the file. So a keyword hit lends part
// of its score to its neighbours in the same session (NEIGHBOUR_SPAN records either side, in
// created_at order), and a record between two hits rises above an isolated one. Measured on the
// LoCoMo dev split (scripts/eval-search.mjs), SQLite: Recall@10 0.624 → 0.692, MRR 0.467 → 0.482;
// span 1–3 and weight 0.2–0.4 all land within ±0.01 of that.

/** Records either side of a hit, in its session, that share its score. */
export const NEIGHBOUR_SPAN = 2;
/** Share of a hit's score given to each neighbour. */
export const NEIGHBOUR_WEIGHT = 0.3;
/** Keyword candidates ranked with their neighbours; deeper pages use a deeper pool. */
export const CONTEXT_POOL = 50;

export interface ScoredId {
  id: number;
  /** Keyword relevance, higher is better (bm25 negated, or ts_rank_cd). */
  score: number;
}

/**
 * Ranks the pool and the neighbours of its members: each record scores its own relevance plus
 * NEIGHBOUR_WEIGHT × the relevance of every pooled hit it neighbours. Neighbourhood is symmetric
 * (b is among a's neighbours exactly when a is among b's), so the neighbours of pooled hits are all
 * that is needed. Ties keep pool order, then newer (larger) ids first.
 */
export function contextRerank(pool: ScoredId[], neighbours: Map<number, number[]>, weight = NEIGHBOUR_WEIGHT): number[] {
  const total = new Map<number, number>();
  const poolRank = new Map<number, number>();
  pool.forEach(({ id, score }, i) => {
    total.set(id, (total.get(id) ?? 0) + score);
    poolRank.set(id, i);
  });
  for (const { id, score } of pool) {
    for (const n of neighbours.get(id) ?? []) total.set(n, (total.get(n) ?? 0) + weight * score);
  }
  const rankOf = (id: number) => poolRank.get(id) ?? Number.MAX_SAFE_INTEGER;
  return [...total.entries()]
    .sort((a, b) => b[1] - a[1] || rankOf(a[0]) - rankOf(b[0]) || b[0] - a[0])
    .map(([id]) => id);
}
