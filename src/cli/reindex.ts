// `claude-mem reindex [--reset]`: asks the worker to (re)build the vectors of every observation and
// follows the progress through /api/health until nothing is left to embed.
import type { EmbeddingsStatus, HealthResponse } from '../api/types.js';
import type { WorkerClient } from '../api/workerClient.js';
import { progressBar } from './progress.js';

export interface ReindexOptions {
  client: WorkerClient;
  reset: boolean;
  pollMs?: number;
  /** Give up when the worker made no progress for this long while failing (endpoint down). */
  stallMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the backfill; resolves with the final status, rejects with a message for the user. */
export async function runReindex(o: ReindexOptions): Promise<EmbeddingsStatus> {
  let status = await o.client.request<EmbeddingsStatus>('POST', '/api/embeddings/reindex', { body: { reset: o.reset } });
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
      const health: Partial<HealthResponse> = await o.client.health(10_000);
      if (!health.embeddings) throw new Error('the worker does not report embeddings; restart it (`claude-mem worker restart`)');
      status = health.embeddings;
    }
  } finally {
    bar.done();
  }
}
