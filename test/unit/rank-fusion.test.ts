import { describe, expect, it } from 'vitest';
import { contextRerank, reciprocalRankFusion, VECTOR_WEIGHT } from '../../src/store/rankFusion.js';

describe('context rerank', () => {
  it('adds a share of each pooled hit to its neighbours, including ones that were not hits', () => {
    // 1 and 3 are hits in one session (2 sits between them); 9 is an isolated hit.
    const pool = [
      { id: 9, score: 10 },
      { id: 1, score: 8 },
      { id: 3, score: 8 },
    ];
    const neighbours = new Map([
      [9, []],
      [1, [2, 3]],
      [3, [1, 2]],
    ]);
    // 1 and 3: 8 + 0.3 × 8 = 10.4 > 10 (9); 2: 0.3 × 16 = 4.8. 1 before 3: pool order on a tie.
    expect(contextRerank(pool, neighbours, 0.3)).toEqual([1, 3, 9, 2]);
    expect(contextRerank(pool, neighbours, 0)).toEqual([9, 1, 3, 2]);
  });

  it('keeps pool order on ties, then prefers newer ids', () => {
    const pool = [
      { id: 4, score: 1 },
      { id: 7, score: 1 },
    ];
    expect(contextRerank(pool, new Map([[4, [5]], [7, [6]]]), 0.5)).toEqual([4, 7, 6, 5]);
  });
});

describe('reciprocal rank fusion', () => {
  it('rewards ids both rankings agree on', () => {
    expect(reciprocalRankFusion([[1, 2, 3], [3, 1, 4]])[0]).toBe(1);
  });

  it('at the default vector weight keeps keyword order: vectors only break near-ties and add hits after', () => {
    const keyword = Array.from({ length: 50 }, (_, i) => i + 1);
    const fused = reciprocalRankFusion([keyword, [999, 50, 2]], [1, VECTOR_WEIGHT]);
    expect(fused.slice(0, 3)).toEqual([1, 2, 3]);
    // Ranks 49 and 50 are ~8e-5 apart: the vector vote decides between them.
    expect(fused.indexOf(50)).toBeLessThan(fused.indexOf(49));
    expect(fused.indexOf(999)).toBe(50);
  });

  it('an equal weight lets the vector ranking reorder the keyword one', () => {
    const fused = reciprocalRankFusion([[1, 2, 3], [3]], [1, 1]);
    expect(fused[0]).toBe(3);
  });
});
