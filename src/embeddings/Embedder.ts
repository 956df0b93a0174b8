// The contract every embedding backend meets, and the two error kinds the background indexer
// tells apart: a permanent one (stop and say why) and everything else (retry later).

export interface Embedder {
  /** The model identity recorded next to the vectors; vectors of different models never mix. */
  readonly model: string;
  /** Vector length; null until the backend has answered once (remote models announce it then). */
  readonly dimension: number | null;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Retrying cannot help (package missing, bad configuration, model mismatch): the user must act. */
export class EmbedderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbedderUnavailableError';
  }
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/**
 * The batch's vector length, checked against the one seen before. A model that changes its
 * dimension under the same name is a different model: that is permanent, not a glitch.
 */
export function checkDimensions(vectors: Float32Array[], known: number | null, source: string): number {
  const dim = vectors[0]?.length ?? 0;
  if (dim === 0) throw new Error(`${source} returned an empty vector`);
  for (const v of vectors) {
    if (v.length !== dim) throw new Error(`${source} returned vectors of different lengths (${dim} and ${v.length}) in one batch`);
  }
  if (known !== null && dim !== known) {
    throw new EmbedderUnavailableError(
      `${source} now returns ${dim}-dimensional vectors instead of ${known}: the model behind the name changed. Run \`claude-mem reindex --reset\` to rebuild the vectors.`,
    );
  }
  return dim;
}
