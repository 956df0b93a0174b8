// The wire contract: every shape that crosses the worker's HTTP API (SPEC §8.1), declared once.
// The routes, the one worker client (CLI, MCP), the hooks and the viewer import these types; the
// store and the memory agent use the row types too. Request bodies and queries are the zod schemas'
// own types (schemas.ts), so a validation rule and its type cannot drift apart.
// Type-only imports from here cost the viewer bundle nothing; the only values are the two lists.
// test/unit/architecture.test.ts fails when a name declared here is declared again elsewhere.
import type { z } from 'zod';
import type * as schema from './schemas.js';
import type { SettingKind, SettingsIssue } from '../config/SettingsManager.js';

export type { SettingKind, SettingsIssue };

export const OBSERVATION_TYPES = [
  'bugfix',
  'feature',
  'refactor',
  'change',
  'discovery',
  'decision',
  'security_alert',
  'security_note',
] as const;
export type ObservationType = (typeof OBSERVATION_TYPES)[number];

export const CONCEPTS = [
  'how-it-works',
  'why-it-exists',
  'what-changed',
  'problem-solution',
  'gotcha',
  'pattern',
  'trade-off',
] as const;

/** Token accounting for one LLM request (or the share of it attributed to a row). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface SessionRow {
  id: number;
  /** Claude Code's session_id. Unique together with platform. */
  content_session_id: string;
  platform: string;
  project: string;
  cwd: string;
  status: 'active' | 'ended';
  prompt_counter: number;
  started_at: string;
  ended_at: string | null;
}

export interface PromptRow {
  id: number;
  session_id: number;
  content_session_id: string;
  project: string;
  prompt_number: number;
  prompt_text: string;
  created_at: string;
}

export interface ObservationInput {
  /** Claude Code's session_id (content session). */
  content_session_id: string;
  project: string;
  type: ObservationType;
  title: string;
  subtitle: string;
  narrative: string;
  facts: string[];
  concepts: string[];
  files_read: string[];
  files_modified: string[];
  prompt_number?: number | null;
  /** Set when the observation came from a subagent's tool call. */
  agent_id?: string | null;
  model?: string | null;
  tokens?: TokenUsage | null;
  /** ISO 8601; defaults to now. Import preserves the original. */
  created_at?: string;
  /** tool_use_ids of the events that produced it: a forget tombstones them (never sent back out). */
  source_ids?: string[];
  /** Project files' content hashes when it was recorded (staleness; never sent back out). */
  file_hashes?: { root: string; files: Record<string, string | null> } | null;
  /** Kept by import: the newer observation that replaces this one, and when it was last corrected. */
  superseded_by?: number | null;
  edited_at?: string | null;
}

export interface Observation
  extends Required<Omit<ObservationInput, 'tokens' | 'created_at' | 'source_ids' | 'file_hashes' | 'superseded_by' | 'edited_at'>> {
  id: number;
  created_at: string;
  created_at_epoch: number;
  tokens: TokenUsage | null;
  /** A file it read or modified (inside the project) changed or went away since it was recorded. */
  stale: boolean;
  /** Those files, relative to the project root (present when stale). */
  stale_files?: string[];
  /** The newer observation that replaces this one, or null while it is current. */
  superseded_by: number | null;
  /** ISO time of the last correction (PATCH), or null. */
  edited_at: string | null;
}

// ---- forget and correct (worker/routes/memory.ts) ----

/** What a forget removed (or, on a dry run, would remove), per kind. */
export interface ForgetReceipt {
  dryRun: boolean;
  observations: number;
  summaries: number;
  prompts: number;
  /** Queued or dead-lettered events of the forgotten records (their payloads hold the raw text). */
  queuedEvents: number;
  vectors: number;
  /** Identities recorded so that import, replay or a retry cannot bring the records back. */
  tombstones: number;
  ids: { observations: number[]; summaries: number[]; prompts: number[] };
  /** Set when the removal is not yet complete on disk (SQLite: a reader blocked the WAL checkpoint). */
  note?: string;
}

/** A correction: only the fields given change. */
export interface ObservationPatch {
  title?: string;
  subtitle?: string;
  narrative?: string;
  facts?: string[];
  concepts?: string[];
  type?: ObservationType;
}

export interface SummaryInput {
  content_session_id: string;
  project: string;
  request: string;
  investigated: string;
  learned: string;
  completed: string;
  next_steps: string;
  notes: string;
  prompt_number?: number | null;
  model?: string | null;
  tokens?: TokenUsage | null;
  created_at?: string;
}

export interface Summary extends Required<Omit<SummaryInput, 'tokens' | 'created_at'>> {
  id: number;
  created_at: string;
  created_at_epoch: number;
  tokens: TokenUsage | null;
}

/** A tool call as captured by PostToolUse / PostToolUseFailure. */
export interface ToolEventPayload {
  tool_name: string;
  tool_input: unknown;
  /** Absent for failures. */
  tool_response?: unknown;
  /** Present for PostToolUseFailure. */
  error?: string;
  tool_use_id: string;
  cwd: string;
  agent_id?: string | null;
  agent_type?: string | null;
  prompt_number?: number | null;
  occurred_at: string;
}

/** A Stop event: asks the agent for a per-turn summary. */
export interface SummarizePayload {
  last_assistant_message: string;
  prompt_number?: number | null;
  occurred_at: string;
}

export type QueuedEvent =
  | { kind: 'tool'; payload: ToolEventPayload }
  | { kind: 'summarize'; payload: SummarizePayload };

export interface PendingEventRow {
  id: number;
  content_session_id: string;
  project: string;
  kind: QueuedEvent['kind'];
  payload: QueuedEvent['payload'];
  tool_use_id: string | null;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_at: number | null;
  last_error: string | null;
  created_at: string;
}

export interface DeadLetterRow {
  id: number;
  content_session_id: string;
  project: string;
  kind: QueuedEvent['kind'];
  tool_use_id: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  dead_at: string;
}

export interface SearchFilters {
  project?: string | string[];
  type?: ObservationType[];
  concepts?: string[];
  files?: string[];
  dateStart?: number; // epoch ms, inclusive
  dateEnd?: number; // epoch ms, inclusive
}

export interface SearchQuery extends SearchFilters {
  query: string;
  orderBy?: 'relevance' | 'date_desc' | 'date_asc';
  limit?: number;
  offset?: number;
  /** Which kinds of record to search. Default: all three. */
  kinds?: Array<'observations' | 'sessions' | 'prompts'>;
}

export interface SearchResults {
  observations: Observation[];
  sessions: Summary[];
  prompts: PromptRow[];
}

// ---- requests: what a client sends (z.input) and what a route reads after defaults (z.infer) ------

export type InitBody = z.input<typeof schema.initBody>;
export type ToolEventBody = z.input<typeof schema.toolEventBody>;
export type SummarizeBody = z.input<typeof schema.summarizeBody>;
export type EndBody = z.input<typeof schema.endBody>;
export type BatchBody = z.input<typeof schema.batchBody>;
export type ReindexBody = z.input<typeof schema.reindexBody>;
export type SettingsBody = z.input<typeof schema.settingsBody>;
export type CredentialsBody = z.input<typeof schema.credentialsBody>;
/** POST /api/import as sent (an export file is one). */
export type ImportRequest = z.input<typeof schema.importBody>;
/** POST /api/import after validation and defaults: what the store imports. */
export type ImportBody = z.infer<typeof schema.importBody>;

/**
 * GET /api/search as a client states it; the worker reads it from the query string
 * (schema.searchQuery: lists comma-separated, dates per lib/dateRange.ts).
 */
export interface SearchParams {
  query: string;
  project?: string;
  type?: string[];
  concepts?: string[];
  files?: string[];
  /** Epoch ms, an ISO date/time, or a date (YYYY-MM-DD: the whole local day). */
  dateStart?: string | number;
  dateEnd?: string | number;
  orderBy?: 'relevance' | 'date_desc' | 'date_asc';
  limit?: number;
  offset?: number;
  kinds?: Array<'observations' | 'sessions' | 'prompts'>;
}

/** GET /api/timeline as a client states it (schema.timelineQuery). */
export interface TimelineParams {
  anchor?: number;
  query?: string;
  project?: string;
  before?: number;
  after?: number;
}

/** ?project=&limit=&offset= of the list routes (schema.listQuery). */
export interface PageParams {
  project?: string;
  limit?: number;
  offset?: number;
}

// ---- responses -------------------------------------------------------------------------------

/** GET /api/search. */
export type SearchResponse = SearchResults;

/** GET /api/observations. */
export interface ObservationsPage {
  observations: Observation[];
  total: number;
}

/** GET /api/projects: every project with its observation count. */
export interface ProjectInfo {
  name: string;
  observations: number;
  lastActivity: string | null;
}

export type TimelineItem =
  | ({ kind: 'observation' } & Observation)
  | ({ kind: 'summary' } & Summary)
  | ({ kind: 'prompt' } & PromptRow & { created_at_epoch: number });

/** GET /api/timeline: `anchor` is null when a query found nothing to center on. */
export interface TimelineResponse {
  anchor: number | null;
  items: TimelineItem[];
}

/** A prompt as the viewer shows it: a stored row, or a live `prompt` event (no id or date yet). */
export type LivePrompt = Pick<PromptRow, 'content_session_id' | 'project' | 'prompt_number' | 'prompt_text'> &
  Partial<Pick<PromptRow, 'id' | 'created_at'>>;

export interface ImportKindResult {
  imported: number;
  skipped: number;
  ids: number[];
}

/** POST /api/import. */
export interface ImportResponse {
  observations: ImportKindResult;
  summaries: ImportKindResult;
  prompts: ImportKindResult;
}

/** GET /api/export: an import body, stamped. */
export interface ExportResponse {
  version: 1;
  exported_at: string;
  observations: Observation[];
  summaries: Summary[];
  prompts: PromptRow[];
}

/** GET /api/queue: the first 100 pending events (without payloads) and dead letters. */
export interface QueueResponse {
  depth: number;
  pending: Array<Omit<PendingEventRow, 'payload'>>;
  deadLetters: DeadLetterRow[];
}

/** POST /api/queue/dead/:id/retry. */
export interface RetryDeadResponse {
  status: 'requeued';
  id: number;
}

/** POST /api/worker/restart (202: the worker restarts itself right after answering). */
export interface RestartResponse {
  status: 'restarting';
}

/** GET /api/logs. */
export interface LogsResponse {
  lines: string[];
}

/** GET /api/settings: values (secrets blanked), what each means and accepts, and load problems. */
export interface SettingsResponse {
  settings: Record<string, string>;
  descriptions: Record<string, string>;
  /** How each setting is validated: enums carry their values (the viewer renders a select). */
  kinds: Record<string, SettingKind>;
  secretKeys: readonly string[];
  credentials: Record<string, { set: boolean; source: string }>;
  issues: SettingsIssue[];
}

/** POST /api/settings. */
export interface SaveSettingsResponse {
  settings: Record<string, string>;
  restartRequired: boolean;
}

/** POST /api/credentials: `warnings` for values saved but probably wrong (a base URL ending in /v1). */
export interface CredentialsResponse {
  saved: string[];
  restartRequired: boolean;
  warnings: string[];
}

/** Vector indexing (GET /api/embeddings, POST /api/embeddings/reindex, `embeddings` in health). */
export interface EmbeddingsStatus {
  mode: 'none' | 'openai' | 'local' | 'test';
  /** The configured model (null when off). */
  model: string | null;
  dimension: number | null;
  indexed: number;
  total: number;
  /** Observations still to be embedded by this worker (0 when off or stopped for good). */
  pending: number;
  state: 'idle' | 'indexing' | 'retrying' | 'disabled' | 'off';
  lastError: { message: string; at: string } | null;
}

/** The memory agent's part of the health answer. */
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

/** Every 4xx/5xx: the message names the field and the fix; settings errors add `fields`. */
export interface ErrorResponse {
  error: string;
  fields?: Record<string, string>;
}

/** GET /api/stats: the memory agent's usage ledger, grouped; cost estimated from the price table. */
export interface UsageStatsRow extends TokenUsage {
  key: string;
  requests: number;
  /** Estimated USD; null when none of its models has a price. */
  costUsd: number | null;
  /** Models in this row without a price (their tokens are counted, their cost is not). */
  unpriced: string[];
}

export interface UsageStats {
  by: 'day' | 'project' | 'session' | 'model';
  sinceDay: string;
  rows: UsageStatsRow[];
  total: Omit<UsageStatsRow, 'key'>;
}

/** POST /api/recall/prompt: the text UserPromptSubmit would inject, and (explain) every candidate with its word overlap. */
export interface PromptRecallResponse {
  observations: Observation[];
  text: string;
  candidates?: Array<{ id: number; matched: number; share: number }>;
}
