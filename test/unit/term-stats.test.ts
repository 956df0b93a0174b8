import { describe, expect, it } from 'vitest';
import { CommonTermPruner, idf, planTerms, PRUNE_MIN_DOCS, recentWindow } from '../../src/store/termPruning.js';

function counter(total: number, dfs: Record<string, number>) {
  const calls: Array<{ term: string; cap: number }> = [];
  return {
    calls,
    size: total,
    total(): number {
      return this.size;
    },
    newestId(): number {
      return this.size;
    },
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
    expect((await new CommonTermPruner(small).plan(['a', 'b'])).terms).toEqual(['a', 'b']);
    const large = counter(100_000, { a: 90_000, b: 3 });
    const pruner = new CommonTermPruner(large);
    expect((await pruner.plan(['a', 'b'])).terms).toEqual(['b']);
    await pruner.stats(['a', 'b']);
    expect(large.calls.length).toBe(2);
  });

  it('counts again once the store has grown by a tenth (a bulk import), not before', async () => {
    const c = counter(100_000, { a: 3_000, b: 90_000 });
    const pruner = new CommonTermPruner(c);
    expect((await pruner.plan(['a', 'b'])).match).toEqual(['a']);
    c.size = 105_000;
    await pruner.plan(['a', 'b']);
    expect(c.calls).toHaveLength(2);
    c.size = 1_000_000;
    await pruner.plan(['a', 'b']);
    expect(c.calls).toHaveLength(4);
  });

  it('counts exactly up to the rank limit when it is above the pruning cap', async () => {
    const c = counter(10_000, { a: 9_000 });
    await new CommonTermPruner(c).stats(['a'], 8_000);
    expect(c.calls[0].cap).toBe(8_000);
  });
});

describe('rank limit (which terms the index is queried with)', () => {
  const dfs = (o: Record<string, number>) => Object.entries(o).map(([term, df]) => ({ term, df }));

  it('a store within the limit is queried with every term', () => {
    expect(planTerms(dfs({ a: 900, b: 40 }), 1_000, 5_000)).toEqual({ terms: ['a', 'b'], match: ['a', 'b'], recentOnly: false });
  });

  it('matches on the rarest terms whose rows fit the limit, and weighs hits by all of them', () => {
    const plan = planTerms(dfs({ common: 20_000, mid: 3_000, rare: 1_500, rarer: 200 }), 100_000, 5_000);
    expect(plan.match).toEqual(['rarer', 'rare', 'mid']);
    expect(plan.terms).toEqual(['common', 'mid', 'rare', 'rarer']);
    expect(plan.recentOnly).toBe(false);
  });

  it('ranks only recent rows when even the rarest term is over the limit', () => {
    const plan = planTerms(dfs({ x: 12_000, y: 9_000, everywhere: 80_000 }), 100_000, 5_000);
    expect(plan).toEqual({ terms: ['x', 'y'], match: ['x', 'y'], recentOnly: true });
    expect(recentWindow(5_000)).toBe(1_000);
  });
});
