import { describe, expect, it } from 'vitest';
import { buildMatchExpression, queryTerms } from '../../src/store/queryText.js';
import { pruneCommonTerms } from '../../src/store/termPruning.js';

describe('query terms', () => {
  it('keeps content words, drops stopwords unless nothing else is left', () => {
    expect(queryTerms('What is the retry-after header?')).toEqual(['retry', 'header']);
    expect(queryTerms('what is it')).toEqual(['what', 'is', 'it']);
    expect(buildMatchExpression('"NEAR" (x')).toBe('"near" OR "x"');
  });
});

describe('common-term pruning', () => {
  const dfs = [
    { term: 'src', df: 60_000 },
    { term: 'enqueue', df: 120 },
    { term: 'test', df: 45_000 },
  ];
  it('drops terms found in more than 30% of a large store', () => {
    expect(pruneCommonTerms(dfs, 100_000)).toEqual(['enqueue']);
  });
  it('keeps the rarest term when every term is common', () => {
    expect(pruneCommonTerms([dfs[0], dfs[2]], 100_000)).toEqual(['test']);
  });
  it('leaves small stores and single terms alone', () => {
    expect(pruneCommonTerms(dfs, 4_000)).toEqual(['src', 'enqueue', 'test']);
    expect(pruneCommonTerms([dfs[0]], 100_000)).toEqual(['src']);
  });
});
