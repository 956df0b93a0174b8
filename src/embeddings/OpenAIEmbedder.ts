// Embeddings from any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio, LiteLLM):
// `POST {base}/embeddings` with `{model, input}`. The dimension is learnt from the first answer.
import { checkDimensions, EmbedderUnavailableError, normalize, type Embedder } from './Embedder.js';

export interface OpenAIEmbedderOptions {
  /** Base URL including the version path, e.g. http://127.0.0.1:11434/v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface EmbeddingsResponse {
  data?: Array<{ index?: number; embedding?: unknown }>;
}

export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  private dim: number | null = null;
  private readonly url: string;

  constructor(private readonly o: OpenAIEmbedderOptions) {
    if (!o.model.trim()) {
      throw new EmbedderUnavailableError('CLAUDE_MEM_EMBEDDINGS_MODEL is empty: name the embedding model (e.g. nomic-embed-text).');
    }
    let base: URL;
    try {
      base = new URL(o.baseUrl);
    } catch {
      throw new EmbedderUnavailableError(
        `CLAUDE_MEM_EMBEDDINGS_BASE_URL "${o.baseUrl}" is not a URL; use e.g. http://127.0.0.1:11434/v1`,
      );
    }
    this.model = o.model.trim();
    this.url = `${base.toString().replace(/\/+$/, '')}/embeddings`;
  }

  get dimension(): number | null {
    return this.dim;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const host = new URL(this.url).host;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.model, input: texts }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new Error(`embeddings endpoint ${host} unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { message?: string } | string };
        detail = typeof body.error === 'string' ? body.error : (body.error?.message ?? detail);
      } catch {
        /* not JSON: keep the text */
      }
      throw new Error(`embeddings endpoint ${host} answered HTTP ${res.status}: ${detail}`);
    }
    let body: EmbeddingsResponse;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch {
      throw new Error(`embeddings endpoint ${host} answered with invalid JSON`);
    }
    const data = Array.isArray(body.data) ? body.data : [];
    if (data.length !== texts.length) {
      throw new Error(`embeddings endpoint ${host} returned ${data.length} vectors for ${texts.length} inputs`);
    }
    // `index` says which input a vector belongs to; servers are not required to keep the order.
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const vectors = ordered.map((d, i) => {
      const e = d.embedding;
      if (!Array.isArray(e) || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new Error(`embeddings endpoint ${host}: vector ${i} is not a list of numbers`);
      }
      return normalize(Float32Array.from(e as number[]));
    });
    this.dim = checkDimensions(vectors, this.dim, `embeddings endpoint ${host} (model ${this.model})`);
    return vectors;
  }
}
