import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { countMatchedTerms, porterStem } from '../../src/store/queryText.js';

describe('Porter stemmer', () => {
  it('follows the published examples', () => {
    const cases: Record<string, string> = {
      caresses: 'caress', ponies: 'poni', cats: 'cat', agreed: 'agre', plastered: 'plaster', motoring: 'motor',
      sing: 'sing', conflated: 'conflat', troubled: 'troubl', sized: 'size', hopping: 'hop', falling: 'fall',
      filing: 'file', happy: 'happi', sky: 'sky', relational: 'relat', conditional: 'condit', digitizer: 'digit',
      vietnamization: 'vietnam', hopefulness: 'hope', sensibiliti: 'sensibl', triplicate: 'triplic',
      electrical: 'electr', goodness: 'good', allowance: 'allow', adjustment: 'adjust', adoption: 'adopt',
      effective: 'effect', probate: 'probat', rate: 'rate', controll: 'control', roll: 'roll', generalizations: 'gener',
    };
    for (const [word, stem] of Object.entries(cases)) expect(porterStem(word), word).toBe(stem);
    expect(porterStem('is')).toBe('is');
    expect(porterStem('2023')).toBe('2023');
  });

  it('agrees with the FTS5 porter tokenizer the index uses', () => {
    const words = (
      'painting painted painter paints married marriage adopting adoption agencies researching relationship ' +
      'supportive encouragement volunteering shelter homeless transgender counseling responsibilities ' +
      'recommendation happily running runner swimming tournaments generously organizational'
    ).split(' ');
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');`);
    const insert = db.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    words.forEach((w, i) => insert.run(i + 1, w));
    const stems = new Map((db.prepare('SELECT doc, term FROM v').all() as Array<{ doc: number; term: string }>).map((r) => [r.doc, r.term]));
    words.forEach((w, i) => expect(porterStem(w), w).toBe(stems.get(i + 1)));
    db.close();
  });
});

describe('matched query terms', () => {
  it('counts the distinct terms a text contains, by stem and without accents', () => {
    expect(countMatchedTerms(['painted', 'sunset', 'lake'], 'Melanie: my latest painting of a Sunset')).toBe(2);
    expect(countMatchedTerms(['cafe', 'menu'], 'Opened a café')).toBe(1);
    expect(countMatchedTerms(['queue'], 'EventQueue event queue')).toBe(1);
    expect(countMatchedTerms([], 'anything')).toBe(0);
  });
});
