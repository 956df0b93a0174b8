// What the HTTP routes are given: the core services, never raw SQL or sockets.
import type { Settings } from '../config/SettingsManager.js';
import type { AgentStatus } from '../api/types.js';
import type { EmbeddingsControl } from '../embeddings/EmbeddingService.js';
import type { Store } from '../store/Store.js';
import type { EventBus } from '../lib/EventBus.js';
import type { SessionService } from '../capture/SessionService.js';

// The health shapes are wire types (api/types.ts); re-exported for the modules that import them here.
export type { AgentStatus, HealthResponse } from '../api/types.js';

export interface WorkerDeps {
  store: Store;
  bus: EventBus;
  sessions: SessionService;
  settings: () => Settings;
  /** Re-reads settings.json (after the viewer saved it). */
  reloadSettings: () => void;
  agentStatus: () => Promise<AgentStatus>;
  /** Wakes the memory agent (new work, or a dead letter was retried). */
  wakeAgent: () => void;
  version: string;
  startedAt: number;
  /** This worker start's nonce (lock.ts), served by /api/health as `instance`. */
  instance?: string;
  /** Asks the worker process to restart itself (viewer "restart" button). */
  requestRestart: () => void;
  /** Directory of the built viewer (index.html + assets). */
  uiDir: string;
  /** Optional vector search (CLAUDE_MEM_EMBEDDINGS): indexing state for health, and reindexing. */
  embeddings?: EmbeddingsControl;
}
