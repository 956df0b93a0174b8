import { describe, expect, it } from 'vitest';
import { CommonTermPruner, idf, PRUNE_MIN_DOCS } from '../../src/store/termPruning.js';

function counter(total: number, dfs: Record<string, number>) {
  const calls: Array<{ term: string; cap: number }> = [];
  return {
    calls,
    total: () => total,
    docFreq: (term: string, cap: number) => {
      calls.push({ term, cap });
      return Math.min(dfs[term] ?? 0, cap + 1);
    },
  };
}

describe('term statistics', () => {
  it('idf falls as a term gets commoner and never goes negative', () => {
    expect(idf(1, 1000)).toBeGreaterThan(idf(100, 1000));
    expect(idf(1000, 1000)).toBeGreaterThan(0);
  });

  it('counts exactly in small stores, only up to the pruning cap in large ones', async () => {
    const small = counter(2000, { a: 1900, b: 3 });
    expect((await new CommonTermPruner(small).stats(['a', 'b'])).dfs).toEqual([
      { term: 'a', df: 1900 },
      { term: 'b', df: 3 },
    ]);
    const large = counter(100_000, { a: 90_000 });
    const { dfs } = await new CommonTermPruner(large).stats(['a']);
    expect(dfs[0].df).toBe(30_001);
    expect(large.calls[0].cap).toBe(30_000);
  });

  it('prunes only in large stores and caches counts', async () => {
    const small = counter(PRUNE_MIN_DOCS - 1, { a: 4000, b: 3 });
    expect(await new CommonTermPruner(small).select(['a', 'b'])).toEqual(['a', 'b']);
    const large = counter(100_000, { a: 90_000, b: 3 });
    const pruner = new CommonTermPruner(large);
    expect(await pruner.select(['a', 'b'])).toEqual(['b']);
    await pruner.stats(['a', 'b']);
    expect(large.calls.length).toBe(2);
  });
});
