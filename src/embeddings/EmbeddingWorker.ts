// Background indexing: finds observations without a vector, embeds them in batches and stores the
// vectors. It never sits in the ingest path (the memory agent stores observations first, this
// catches up after), and a failing endpoint only delays vectors: keyword search is unaffected.
import type { Logger } from '../config/logger.js';
import { redactSecrets } from '../lib/redact.js';
import type { Observation } from '../api/types.js';
import type { SessionStore } from '../store/sqlite/SessionStore.js';
import { VectorMismatchError, type VectorIndex } from '../store/sqlite/VectorIndex.js';
import { EmbedderUnavailableError, type Embedder } from './Embedder.js';
import { WakeableSleep } from '../lib/WakeableSleep.js';

export type EmbeddingState = 'idle' | 'indexing' | 'retrying' | 'disabled';

export interface EmbeddingWorkerOptions {
  embedder: Embedder;
  index: VectorIndex;
  sessions: Pick<SessionStore, 'getObservations'>;
  log: Logger;
  batchSize?: number;
  /** How often to look for unindexed observations when nothing woke the worker. */
  pollMs?: number;
  maxBackoffMs?: number;
  /** Called when indexing stops for good (model mismatch, missing package): drop the vector ranker. */
  onDisabled?: (err: Error) => void;
}

/** Longest text sent for one observation: embedding models have input limits of a few thousand tokens. */
const MAX_TEXT_CHARS = 6000;
/** How long an observation the endpoint keeps rejecting is left alone before another try. */
const POISON_COOLDOWN_MS = 10 * 60_000;
/** A search must not wait long on a slow embedding endpoint: it falls back to keywords. */
const QUERY_TIMEOUT_MS = 15_000;

/** The text that stands for an observation in vector space. */
export function observationText(o: Observation): string {
  const parts = [o.title, o.subtitle, o.narrative, o.facts.join('\n'), o.concepts.join(', ')];
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .join('\n')
    .slice(0, MAX_TEXT_CHARS);
}

const isPermanent = (err: unknown) => err instanceof EmbedderUnavailableError || err instanceof VectorMismatchError;
const messageOf = (err: unknown) => redactSecrets(err instanceof Error ? err.message : String(err));

export class EmbeddingWorker {
  private stopped = true;
  private loop: Promise<void> | null = null;
  private readonly nap = new WakeableSleep();
  private disabled: Error | null = null;
  private failures = 0;
  private lastError: { message: string; at: string } | null = null;
  /** Observations the endpoint rejected on their own (id → retry-not-before, epoch ms). */
  private readonly cooldown = new Map<number, number>();
  /** Bumped by reset(): a batch embedded before a reset must not be written after it. */
  private generation = 0;
  private readonly batchSize: number;

  constructor(private readonly o: EmbeddingWorkerOptions) {
    this.batchSize = Math.max(1, o.batchSize ?? 32);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  wake(): void {
    this.nap.wake();
  }

  /** Stops the loop; a request to a slow endpoint is not waited for (its result is dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  /** Stops indexing for good (until reset): the reason is shown in health and logged once. */
  disable(err: Error): void {
    this.disabled = err;
    this.lastError = { message: messageOf(err), at: new Date().toISOString() };
    this.o.log.error('Vector indexing stopped; keyword search continues', { error: this.lastError.message });
    this.o.onDisabled?.(err);
  }

  /** Forgets every stored vector and the recorded model, then indexes everything again. */
  reset(): void {
    this.generation++;
    this.o.index.reset();
    this.cooldown.clear();
    this.disabled = null;
    this.failures = 0;
    this.lastError = null;
    this.wake();
  }

  /** Looks for missing vectors now (backfill without reset). Retries a failing endpoint at once. */
  resume(): void {
    this.failures = 0;
    this.cooldown.clear();
    this.wake();
  }

  get disabledReason(): string | null {
    return this.disabled ? messageOf(this.disabled) : null;
  }

  status(): { state: EmbeddingState; model: string; dimension: number | null; indexed: number; total: number; pending: number; lastError: { message: string; at: string } | null } {
    const { indexed, total } = this.o.index.counts();
    const meta = this.o.index.meta();
    const open = total - indexed;
    const state: EmbeddingState = this.disabled ? 'disabled' : this.failures > 0 ? 'retrying' : open > 0 ? 'indexing' : 'idle';
    return {
      state,
      model: this.o.embedder.model,
      dimension: meta?.dimension ?? this.o.embedder.dimension,
      indexed,
      total,
      // What this worker will still index; nothing when it has stopped for good.
      pending: this.disabled ? 0 : open,
      lastError: this.lastError,
    };
  }

  /** Vector ranking for SearchIndex: observation ids nearest to the query, [] when unavailable. */
  readonly rank = async (query: string, projects: string[] | undefined, k: number): Promise<number[]> => {
    if (this.disabled || !this.o.index.ready) return [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`query embedding took over ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
      });
      const [vector] = await Promise.race([this.o.embedder.embed([query.slice(0, MAX_TEXT_CHARS)]), timeout]);
      return vector ? this.o.index.knn(vector, k, projects) : [];
    } catch (err) {
      this.o.log.warn('Vector ranking failed; this search used keywords only', { error: messageOf(err) });
      return [];
    } finally {
      clearTimeout(timer);
    }
  };


  private async run(): Promise<void> {
    const pollMs = this.o.pollMs ?? 2000;
    const maxBackoff = this.o.maxBackoffMs ?? 60_000;
    while (!this.stopped) {
      if (this.disabled) {
        await this.nap.sleep(60 * 60_000);
        continue;
      }
      let done = 0;
      try {
        done = await this.step();
        if (this.failures > 0) this.o.log.info('Embedding endpoint is answering again');
        this.failures = 0;
      } catch (err) {
        if (isPermanent(err)) {
          this.disable(err as Error);
          continue;
        }
        this.failures++;
        this.lastError = { message: messageOf(err), at: new Date().toISOString() };
        // Log the first failure and then sparingly: an endpoint that is down must not flood the log.
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.o.log.warn('Embedding failed; will retry', { error: this.lastError.message, failures: this.failures });
        }
      }
      if (this.stopped) break;
      if (this.failures > 0) await this.nap.sleep(Math.min(maxBackoff, pollMs * 2 ** Math.min(this.failures - 1, 10)));
      else if (done >= this.batchSize) await new Promise((r) => setImmediate(r)); // more to do: let HTTP breathe
      else await this.nap.sleep(pollMs);
    }
  }

  /** Embeds one batch of missing observations; returns how many were stored. */
  private async step(): Promise<number> {
    const now = Date.now();
    for (const [id, until] of this.cooldown) if (until <= now) this.cooldown.delete(id);
    const ids = this.o.index
      .missing(this.batchSize + this.cooldown.size)
      .filter((id) => !this.cooldown.has(id))
      .slice(0, this.batchSize);
    if (ids.length === 0) return 0;
    const rows = await this.o.sessions.getObservations(ids);
    if (rows.length === 0) return 0;
    const generation = this.generation;
    try {
      return this.write(generation, rows, await this.o.embedder.embed(rows.map(observationText)));
    } catch (err) {
      if (isPermanent(err) || rows.length === 1) throw err;
      return this.isolateFailures(generation, rows, err);
    }
  }

  /**
   * A batch failed: embed its rows one by one so one unembeddable observation does not hold up
   * the rest. If none succeeds the endpoint itself is failing, and the batch error is rethrown.
   */
  private async isolateFailures(generation: number, rows: Observation[], batchError: unknown): Promise<number> {
    let stored = 0;
    const rejected: number[] = [];
    for (const row of rows) {
      try {
        stored += this.write(generation, [row], await this.o.embedder.embed([observationText(row)]));
      } catch (err) {
        if (isPermanent(err)) throw err;
        rejected.push(row.id);
        this.lastError = { message: messageOf(err), at: new Date().toISOString() };
      }
    }
    if (stored === 0) throw batchError;
    for (const id of rejected) this.cooldown.set(id, Date.now() + POISON_COOLDOWN_MS);
    this.o.log.warn('Some observations could not be embedded; retrying them later', { ids: rejected, error: this.lastError?.message });
    return stored;
  }

  private write(generation: number, rows: Observation[], vectors: Float32Array[]): number {
    if (generation !== this.generation || this.stopped) return 0;
    if (vectors.length !== rows.length) throw new Error(`embedder returned ${vectors.length} vectors for ${rows.length} texts`);
    const dimension = vectors[0].length;
    // The first vectors ever stored fix the model and dimension; later ones must match them.
    this.o.index.ensure(this.o.embedder.model, dimension);
    this.o.index.upsertMany(rows.map((r, i) => ({ id: r.id, vector: vectors[i] })));
    return rows.length;
  }
}
