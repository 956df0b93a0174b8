// What the HTTP routes are given: the core services, never raw SQL or sockets.
import type { Settings } from '../config/SettingsManager.js';
import type { EmbeddingsControl, EmbeddingsStatus } from '../embeddings/EmbeddingService.js';
import type { Store } from '../store/Store.js';
import type { EventBus } from '../lib/EventBus.js';
import type { SessionService } from '../capture/SessionService.js';

export interface AgentStatus {
  provider: string;
  model: string;
  baseUrlHost: string;
  /** The whole base URL requests go to (scheme, host, path; never credentials), so a doubled `/v1` is visible. */
  baseUrl: string;
  /** The last provider/agent error, verbatim (credentials redacted). */
  lastError: { message: string; kind: string; at: string } | null;
  /** Why processing is paused (auth failure, missing credentials, budget), or null. */
  paused: string | null;
  /** sessionLimit: CLAUDE_MEM_SESSION_TOKEN_BUDGET (0 = none); cappedSessions: sessions waiting on it. */
  budget: { dailyLimit: number; spentToday: number; exhausted: boolean; sessionLimit: number; cappedSessions: string[] };
  /**
   * The backend is unreachable (connection errors, timeouts, 5xx/529, 429): the whole agent waits
   * behind a circuit breaker and probes with one request at `nextProbeAt`. Null when it answers.
   */
  outage: { since: string; nextProbeAt: string; probes: number; lastError: string } | null;
}

/** GET /api/health: the worker's own state plus the agent's (SPEC §8.1 fields first). */
export interface HealthResponse extends AgentStatus {
  status: 'ok';
  pid: number;
  /** Random per worker start (also in worker.pid / worker.lock): proves which process answered. */
  instance: string;
  version: string;
  uptimeSeconds: number;
  queueDepth: number;
  deadLetters: number;
  embeddings: EmbeddingsStatus | null;
}

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
