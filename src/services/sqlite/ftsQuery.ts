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

/** OR of quoted terms: each term is letters/digits only, so the quotes make it a plain token. */
export function matchTerms(terms: string[]): string | null {
  return terms.length === 0 ? null : terms.map((w) => `"${w}"`).join(' OR ');
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
