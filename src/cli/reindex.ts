// `claude-mem reindex [--reset]`: asks the worker to (re)build the vectors of every observation and
// follows the progress through /api/health until nothing is left to embed.
import { progressBar } from './progress.js';

interface EmbeddingsStatus {
  mode: string;
  model: string | null;
  dimension: number | null;
  indexed: number;
  total: number;
  pending: number;
  state: string;
  lastError: { message: string; at: string } | null;
}

export interface ReindexOptions {
  baseUrl: string;
  reset: boolean;
  pollMs?: number;
  /** Give up when the worker made no progress for this long while failing (endpoint down). */
  stallMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function request<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new Error((body as { error?: string } | null)?.error ?? `HTTP ${res.status}: ${text.slice(0, 200)}`);
  return body as T;
}

/** Runs the backfill; resolves with the final status, rejects with a message for the user. */
export async function runReindex(o: ReindexOptions): Promise<EmbeddingsStatus> {
  let status = await request<EmbeddingsStatus>(`${o.baseUrl}/api/embeddings/reindex`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reset: o.reset }),
  });
  const bar = progressBar(status.total, `embedding with ${status.model}`);
  let shown = 0;
  let lastProgress = Date.now();
  let reported = '';
  try {
    for (;;) {
      if (status.indexed > shown) {
        bar.tick(status.indexed - shown);
        shown = status.indexed;
        lastProgress = Date.now();
      }
      if (status.state === 'disabled') throw new Error(status.lastError?.message ?? 'vector indexing is disabled');
      if (status.pending === 0 && status.state !== 'retrying') return status;
      if (status.state === 'retrying' && status.lastError) {
        if (status.lastError.message !== reported) {
          reported = status.lastError.message;
          process.stderr.write(`\nembedding failed, the worker keeps retrying: ${reported}\n`);
        }
        if (Date.now() - lastProgress > (o.stallMs ?? 120_000)) {
          throw new Error(`no progress for ${Math.round((o.stallMs ?? 120_000) / 1000)} s: ${reported}`);
        }
      }
      await sleep(o.pollMs ?? 500);
      const health = await request<{ embeddings?: EmbeddingsStatus | null }>(`${o.baseUrl}/api/health`);
      if (!health.embeddings) throw new Error('the worker does not report embeddings; restart it (`claude-mem worker restart`)');
      status = health.embeddings;
    }
  } finally {
    bar.done();
  }
}
