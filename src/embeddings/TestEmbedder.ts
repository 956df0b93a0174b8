// A deterministic embedder for tests and evaluation (CLAUDE_MEM_EMBEDDINGS=test): no model, no
// network. Word unigrams and character trigrams are hashed into 256 signed buckets and the sum is
// scaled to unit length, so texts sharing words or word pieces ("postgres" / "postgresql") land
// near each other. It knows no synonyms; it exists to exercise the vector path, not to rank well.
import { normalize, type Embedder } from './Embedder.js';

export const TEST_EMBEDDER_MODEL = 'claude-mem-test-trigram-v1';
const DIM = 256;

// Function words carry no topic; leaving them out keeps unrelated sentences apart.
const STOPWORDS = new Set(
  `a an and are as at be but by did do does for from had has have he her his i if in into is it its
  me my no not of on or our she so that the their them then there these they this to was we were
  what when where which who why will with you your`.split(/\s+/),
);

/** 32-bit FNV-1a: small, stable across platforms and Node versions. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function add(v: Float32Array, feature: string, weight: number): void {
  const h = hash(feature);
  // The sign bit spreads collisions around zero instead of piling them up.
  v[h % DIM] += h & 0x80000000 ? -weight : weight;
}

export function testEmbedding(text: string): Float32Array {
  const v = new Float32Array(DIM);
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w));
  for (const word of words) {
    add(v, `w:${word}`, 1);
    const padded = ` ${word} `;
    const grams = padded.length - 2;
    // A word's trigrams together weigh as much as the word itself (unit norm), so a shared stem
    // counts for about as much as a shared word, and long words do not drown short ones.
    for (let i = 0; i < grams; i++) add(v, `t:${padded.slice(i, i + 3)}`, 1 / Math.sqrt(grams));
  }
  return normalize(v);
}

export class TestEmbedder implements Embedder {
  readonly model = TEST_EMBEDDER_MODEL;
  readonly dimension = DIM;

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map(testEmbedding);
  }
}
