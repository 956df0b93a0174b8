// Turns arbitrary user text into a safe FTS5 MATCH expression. User text never reaches FTS5
// syntax: it is split into plain word tokens, each one quoted, and the tokens are OR-ed (bm25
// then rewards documents matching more and rarer terms). AND-ing or phrase-quoting the whole
// question scores far worse on natural-language questions (measured on the LoCoMo split).

const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further had has have
  having he her here hers herself him himself his how i if in into is it its itself just me more most
  my myself no nor not now of off on once only or other our ours ourselves out over own same she
  should so some such than that the their theirs them themselves then there these they this those
  through to too under until up very was we were what when where which while who whom why will with
  would you your yours yourself yourselves also did does ever get got like may might must shall
  since upon us via yet`
    .split(/\s+/)
    .filter(Boolean),
);

const MAX_TERMS = 32;
const MAX_TERM_LENGTH = 64;

/** Lower-cased word tokens of the text (letters and digits of any script). */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => w.length <= MAX_TERM_LENGTH);
}

/**
 * The MATCH expression for a query, or null when the text has no searchable word at all
 * (the caller then lists by date with the filters alone).
 */
export function buildMatchExpression(text: string): string | null {
  return matchTerms(queryTerms(text));
}

/** The distinct content words of a query (stopwords dropped unless nothing else is left). */
export function queryTerms(text: string): string[] {
  const all = tokenize(text.slice(0, 10_000));
  const content = all.filter((w) => !STOPWORDS.has(w));
  return [...new Set(content.length > 0 ? content : all)].slice(0, MAX_TERMS);
}

/** The distinct content words of a text, stopwords dropped — empty when it has none ("ok, do it"). */
export function contentTerms(text: string): string[] {
  return [...new Set(tokenize(text.slice(0, 10_000)).filter((w) => !STOPWORDS.has(w)))].slice(0, MAX_TERMS);
}

/** OR of quoted terms: each term is letters/digits only, so the quotes make it a plain token. */
export function matchTerms(terms: string[]): string | null {
  return terms.length === 0 ? null : terms.map((w) => `"${w}"`).join(' OR ');
}

// A path or dotted/hyphenated identifier: "src/app.ts", "EventQueue.enqueue", "worker-main".
const COMPOUND_WORD = /[\p{L}\p{N}]+(?:[./\\:_-]+[\p{L}\p{N}]+)+/gu;
const MAX_PHRASES = 8;
const MAX_PHRASE_WORDS = 16;

/**
 * The paths and compound identifiers a query names, each as the list of its words. A hit that
 * contains one as written ranks higher (rankFusion.coordinated), so "app.ts" puts a record naming
 * app.ts above one that says "app" somewhere and ".ts" somewhere else.
 */
export function queryPhrases(text: string): string[][] {
  const seen = new Set<string>();
  const phrases: string[][] = [];
  for (const [compound] of text.slice(0, 10_000).matchAll(COMPOUND_WORD)) {
    const words = tokenize(compound);
    if (words.length < 2 || words.length > MAX_PHRASE_WORDS) continue;
    const key = words.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    phrases.push(words);
    if (phrases.length === MAX_PHRASES) break;
  }
  return phrases;
}

const COMPOUND = /[A-Za-z][A-Za-z0-9]*(?:[a-z0-9][A-Z]|[A-Z][A-Z][a-z])[A-Za-z0-9]*/g;

/**
 * The parts of camelCase / PascalCase identifiers in a text ("EventQueue.enqueue" → "event
 * queue"), so that searching a part finds the compound. The tokenizer already splits on `_`,
 * `.`, `/` and `-`; it cannot split on case.
 */
export function identifierParts(text: string): string {
  const parts = new Set<string>();
  for (const word of text.slice(0, 200_000).match(COMPOUND) ?? []) {
    for (const part of word.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)) {
      if (part.length > 1) parts.add(part.toLowerCase());
    }
  }
  return [...parts].join(' ');
}

// ---- Porter stemming ---------------------------------------------------------------------------
//
// The index stems with Porter's algorithm (FTS5 `porter`); ranking code that works on stored text
// in JS (which query words a record contains) stems the same way. An implementation of the
// published algorithm (M. F. Porter, 1980, with the later "bli"/"logi" rules).

const isVowelAt = (w: string, i: number): boolean => {
  const c = w[i];
  if (c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u') return true;
  return c === 'y' && i > 0 && !isVowelAt(w, i - 1);
};

/** Porter's m: the number of vowel-consonant sequences in w[0, end). */
function measure(w: string, end: number): number {
  let m = 0;
  let i = 0;
  while (i < end && !isVowelAt(w, i)) i++;
  while (i < end) {
    while (i < end && isVowelAt(w, i)) i++;
    if (i >= end) break;
    m++;
    while (i < end && !isVowelAt(w, i)) i++;
  }
  return m;
}

const hasVowel = (w: string, end: number): boolean => {
  for (let i = 0; i < end; i++) if (isVowelAt(w, i)) return true;
  return false;
};

const endsDoubleConsonant = (w: string, end: number): boolean =>
  end >= 2 && w[end - 1] === w[end - 2] && !isVowelAt(w, end - 1);

/** Ends consonant-vowel-consonant, the last not w, x or y (e.g. "hop", not "snow"). */
const endsCvc = (w: string, end: number): boolean =>
  end >= 3 &&
  !isVowelAt(w, end - 1) &&
  isVowelAt(w, end - 2) &&
  !isVowelAt(w, end - 3) &&
  !'wxy'.includes(w[end - 1]);

type Rule = [suffix: string, replacement: string];

/** Replaces the longest matching suffix when the stem before it has m > min; true if a suffix matched. */
function replaceSuffix(w: string, rules: Rule[], min: number): [string, boolean] {
  for (const [suffix, replacement] of rules) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.length - suffix.length;
    return [measure(w, stem) > min ? w.slice(0, stem) + replacement : w, true];
  }
  return [w, false];
}

// Longest suffixes first within each step, so the first match is the longest.
const STEP2: Rule[] = (
  [
    ['ational', 'ate'], ['tional', 'tion'], ['enci', 'ence'], ['anci', 'ance'], ['izer', 'ize'], ['bli', 'ble'],
    ['alli', 'al'], ['entli', 'ent'], ['eli', 'e'], ['ousli', 'ous'], ['ization', 'ize'], ['ation', 'ate'],
    ['ator', 'ate'], ['alism', 'al'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous'], ['aliti', 'al'],
    ['iviti', 'ive'], ['biliti', 'ble'], ['logi', 'log'],
  ] as Rule[]
).sort((a, b) => b[0].length - a[0].length);
const STEP3: Rule[] = (
  [['icate', 'ic'], ['ative', ''], ['alize', 'al'], ['iciti', 'ic'], ['ical', 'ic'], ['ful', ''], ['ness', '']] as Rule[]
).sort((a, b) => b[0].length - a[0].length);
const STEP4 = [
  'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ion', 'ou', 'ism', 'ate', 'iti', 'ous',
  'ive', 'ize',
].sort((a, b) => b.length - a.length);

/** Porter stem of a lower-case word (words of one or two letters are left alone). */
export function porterStem(word: string): string {
  let w = word;
  if (w.length <= 2 || !/^[a-z]+$/.test(w)) return w;
  // Step 1a
  if (w.endsWith('sses') || w.endsWith('ies')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  // Step 1b
  if (w.endsWith('eed')) {
    if (measure(w, w.length - 3) > 0) w = w.slice(0, -1);
  } else {
    const suffix = w.endsWith('ed') ? 2 : w.endsWith('ing') ? 3 : 0;
    if (suffix && hasVowel(w, w.length - suffix)) {
      w = w.slice(0, -suffix);
      if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
      else if (endsDoubleConsonant(w, w.length) && !'lsz'.includes(w[w.length - 1])) w = w.slice(0, -1);
      else if (measure(w, w.length) === 1 && endsCvc(w, w.length)) w += 'e';
    }
  }
  // Step 1c
  if (w.endsWith('y') && hasVowel(w, w.length - 1)) w = `${w.slice(0, -1)}i`;
  // Steps 2 and 3
  [w] = replaceSuffix(w, STEP2, 0);
  [w] = replaceSuffix(w, STEP3, 0);
  // Step 4
  for (const suffix of STEP4) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.length - suffix.length;
    const ionOk = suffix !== 'ion' || w[stem - 1] === 's' || w[stem - 1] === 't';
    if (ionOk && measure(w, stem) > 1) w = w.slice(0, stem);
    break;
  }
  // Step 5a
  if (w.endsWith('e')) {
    const m = measure(w, w.length - 1);
    if (m > 1 || (m === 1 && !endsCvc(w, w.length - 1))) w = w.slice(0, -1);
  }
  // Step 5b
  if (w.endsWith('ll') && measure(w, w.length) > 1) w = w.slice(0, -1);
  return w;
}

const NON_ASCII = /[^\u0000-\u007f]/;
const fold = (text: string): string => (NON_ASCII.test(text) ? text.normalize('NFD').replace(/\p{M}+/gu, '') : text);

const WORD = /[\p{L}\p{N}]+/gu;
const ASCII_WORD = /[a-z0-9]+/g;

/**
 * Tells which query terms and phrases a text contains as the index matches them (same tokens,
 * Porter stems, diacritics folded), for the coordination factor of the ranking. One per query:
 * stems of the words it sees are cached across the texts it is given.
 */
export class TermMatcher {
  private readonly wanted: Set<string>;
  /**
   * Stemming changes at most the last letter of what it keeps ("happy" → "happi", "hoping" →
   * "hope"), so only a word starting with a wanted stem minus its last letter can stem to it.
   */
  private readonly prefixes: string[];
  private readonly phrases: string[][];

  constructor(terms: string[], phrases: string[][] = []) {
    this.wanted = new Set(terms.map((t) => porterStem(fold(t).toLowerCase())));
    this.prefixes = [...new Set([...this.wanted].map((w) => w.slice(0, Math.max(1, w.length - 1))))];
    this.phrases = phrases.map((words) => words.map((w) => fold(w).toLowerCase()));
  }

  /** Distinct query terms in the text, and phrases found as written (their words in a row). */
  match(text: string): { terms: number; phrases: number } {
    const folded = fold(text).toLowerCase();
    // The same words, found faster in the (usual) all-ASCII case.
    const words = folded.match(NON_ASCII.test(folded) ? WORD : ASCII_WORD) ?? [];
    const found = new Set<string>();
    for (const word of words) {
      if (found.size === this.wanted.size) break;
      if (!this.prefixes.some((p) => word.startsWith(p))) continue;
      const stem = cachedStem(word);
      if (this.wanted.has(stem)) found.add(stem);
    }
    const phrases = this.phrases.filter((p) => containsRun(words, p)).length;
    return { terms: found.size, phrases };
  }
}

// Stems of the words seen lately, shared by all queries (bounded: cleared when full).
const STEM_CACHE = new Map<string, string>();
const STEM_CACHE_MAX = 50_000;

function cachedStem(word: string): string {
  let stem = STEM_CACHE.get(word);
  if (stem === undefined) {
    stem = porterStem(word);
    if (STEM_CACHE.size >= STEM_CACHE_MAX) STEM_CACHE.clear();
    STEM_CACHE.set(word, stem);
  }
  return stem;
}

/** Whether `run` occurs in `words` as consecutive items. */
function containsRun(words: string[], run: string[]): boolean {
  for (let i = words.indexOf(run[0]); i !== -1 && i + run.length <= words.length; i = words.indexOf(run[0], i + 1)) {
    let j = 1;
    while (j < run.length && words[i + j] === run[j]) j++;
    if (j === run.length) return true;
  }
  return false;
}

/** How many of the query terms occur in the text (see TermMatcher). */
export function countMatchedTerms(terms: string[], text: string): number {
  return new TermMatcher(terms).match(text).terms;
}
