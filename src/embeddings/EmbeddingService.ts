// Wires optional vector search into the worker: builds the configured embedder, opens the vector
// index, plugs the vector ranking into SearchIndex (hybrid = reciprocal rank fusion there) and runs
// the background indexer. Any problem here leaves keyword search exactly as it was.
import type { EmbeddingsStatus } from '../api/types.js';
import type { Logger } from '../config/logger.js';
import { redactSecrets } from '../lib/redact.js';
import type { Settings } from '../config/SettingsManager.js';
import type { Store } from '../store/sqlite/SqliteStore.js';
import { countObservations, VectorIndex } from '../store/sqlite/VectorIndex.js';
import type { EventBus } from '../lib/EventBus.js';
import { createEmbedder, embeddingMode, type EmbeddingMode } from './createEmbedder.js';
import type { Embedder } from './Embedder.js';
import { EmbeddingWorker } from './EmbeddingWorker.js';

// The status is a wire type (health, /api/embeddings): declared in the contract, re-exported here.
export type { EmbeddingsStatus };

/** A refused reindex request; `status` is the HTTP status to answer with. */
export class EmbeddingsRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 409,
  ) {
    super(message);
  }
}

export interface EmbeddingsControl {
  status(): EmbeddingsStatus;
  /** Backfills vectors for every observation; `reset` first drops the index (to change models). */
  reindex(opts: { reset: boolean }): EmbeddingsStatus;
  start(): void;
  stop(): Promise<void>;
}

export interface EmbeddingsOptions {
  store: Store;
  bus: EventBus;
  settings: Settings;
  /** The isolated credential env (buildIsolatedEnv): OPENAI_API_KEY comes from DATA_DIR/.env. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** Replaceable for tests. */
  embedder?: Embedder | null;
  pollMs?: number;
}

const messageOf = (err: unknown) => redactSecrets(err instanceof Error ? err.message : String(err));

/** The control for `CLAUDE_MEM_EMBEDDINGS=none`, or for a configuration that could not start. */
function inactive(mode: EmbeddingMode, store: Store, model: string | null, error: string | null): EmbeddingsControl {
  const at = new Date().toISOString();
  const status = (): EmbeddingsStatus => ({
    mode,
    model,
    dimension: null,
    indexed: 0,
    total: countObservations(store.db),
    pending: 0,
    state: error ? 'disabled' : 'off',
    lastError: error ? { message: error, at } : null,
  });
  return {
    status,
    reindex: () => {
      throw new EmbeddingsRequestError(
        error ?? 'CLAUDE_MEM_EMBEDDINGS is none: set it to openai or local (settings.json or the settings page), restart the worker, then reindex.',
        error ? 409 : 400,
      );
    },
    start: () => {},
    stop: async () => {},
  };
}

export function createEmbeddings(o: EmbeddingsOptions): EmbeddingsControl {
  let mode: EmbeddingMode;
  let embedder: Embedder | null;
  let index: VectorIndex;
  try {
    mode = embeddingMode(o.settings);
  } catch (err) {
    o.log.error('Vector search is off', { error: messageOf(err) });
    return inactive('none', o.store, null, messageOf(err));
  }
  try {
    embedder = o.embedder !== undefined ? o.embedder : createEmbedder(o.settings, o.env);
    if (!embedder) return inactive(mode, o.store, null, null);
    index = new VectorIndex(o.store.db);
  } catch (err) {
    o.log.error('Vector search is off; keyword search continues', { mode, error: messageOf(err) });
    return inactive(mode, o.store, o.settings.CLAUDE_MEM_EMBEDDINGS_MODEL || null, messageOf(err));
  }

  const search = o.store.search;
  const worker = new EmbeddingWorker({
    embedder,
    index,
    sessions: o.store.sessions,
    log: o.log,
    pollMs: o.pollMs,
    onDisabled: () => search.setVectorRanker(null),
  });
  let unsubscribe: (() => void) | null = null;
  const model = embedder.model;

  const control: EmbeddingsControl = {
    status: () => ({ mode, ...worker.status() }),
    reindex: ({ reset }) => {
      if (reset) {
        worker.reset();
        search.setVectorRanker(worker.rank);
        o.log.info('Vector index reset; re-embedding every observation', { model });
      } else {
        const reason = worker.disabledReason;
        if (reason) throw new EmbeddingsRequestError(reason, 409);
        worker.resume();
      }
      return control.status();
    },
    start: () => {
      // Refuse a model the stored vectors were not made with before anything is written or ranked.
      try {
        index.check(model, embedder.dimension);
        search.setVectorRanker(worker.rank);
      } catch (err) {
        worker.disable(err as Error);
      }
      // New observations (from the agent or an import) are indexed right away; polling catches the rest.
      unsubscribe = o.bus.subscribe((event) => {
        if (event === 'observation' || event === 'status') worker.wake();
      });
      worker.start();
      o.log.info('Vector search on', { mode, model, recorded: index.meta()?.model ?? null });
    },
    stop: async () => {
      unsubscribe?.();
      search.setVectorRanker(null);
      await worker.stop();
    },
  };
  return control;
}
