// Reciprocal rank fusion: combines several rankings (best first) into one, by summing
// 1 / (k + rank) per id. Used by both stores to merge keyword and vector results.
const RRF_K = 60;

/** Size of the candidate pool each ranking contributes for a page ending at offset + limit. */
export function fusionPool(offset: number, limit: number): number {
  return Math.min(offset + limit, 500) * 2 + 20;
}

export function reciprocalRankFusion(rankings: number[][], k = RRF_K): number[] {
  const scores = new Map<number, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)));
  }
  return [...scores.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}
