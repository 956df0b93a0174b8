// The store contract the worker, the memory agent and the routes program against. Two
// backends implement it: the embedded SQLite store (default) and PostgreSQL (team mode); a
// routing store combines them when only some projects are shared.
import type {
  DeadLetterRow,
  Observation,
  ObservationInput,
  PendingEventRow,
  PromptRow,
  QueuedEvent,
  SearchQuery,
  SearchResults,
  SessionRow,
  Summary,
  SummaryInput,
  TokenUsage,
} from '../api/types.js';
import type { Completion, CompletionResult, EnqueueResult } from './sqlite/EventQueue.js';
import type { VectorRanker } from './sqlite/SearchIndex.js';
import type { ImportOutcome, ImportSet, InsertResult, ListOptions, PromptImport } from './sqlite/SessionStore.js';
import type { ProjectInfo } from '../api/types.js';
import type { ForgetReceipt, ForgetTarget, ObservationPatch } from './forgetTypes.js';

export type {
  Completion,
  CompletionResult,
  EnqueueResult,
  ImportOutcome,
  ImportSet,
  InsertResult,
  ListOptions,
  ProjectInfo,
  PromptImport,
  VectorRanker,
};

export interface TimelineResult {
  anchor: Observation | null;
  observations: Observation[];
  summaries: Summary[];
  prompts: PromptRow[];
}

export interface ExportSet {
  observations: Observation[];
  summaries: Summary[];
  prompts: PromptRow[];
}

export interface StoreCounts {
  sessions: number;
  prompts: number;
  observations: number;
  summaries: number;
}

export interface SessionRepository {
  upsertSession(args: { contentSessionId: string; project: string; cwd: string; platform?: string }): Promise<SessionRow>;
  getSession(contentSessionId: string, platform?: string): Promise<SessionRow | null>;
  addPrompt(sessionId: number, text: string, createdAt?: string): Promise<number>;
  skipPrompt(sessionId: number): Promise<void>;
  latestPrompt(sessionId: number): Promise<PromptRow | null>;
  endSession(contentSessionId: string, platform?: string): Promise<boolean>;
  insertObservation(o: ObservationInput): Promise<InsertResult>;
  insertSummary(s: SummaryInput): Promise<InsertResult>;
  importAll(set: ImportSet): Promise<ImportOutcome>;
  listObservations(opts?: ListOptions): Promise<{ observations: Observation[]; total: number }>;
  getObservations(ids: number[]): Promise<Observation[]>;
  listSummaries(opts?: ListOptions): Promise<Summary[]>;
  listPrompts(opts?: ListOptions): Promise<PromptRow[]>;
  listProjects(): Promise<ProjectInfo[]>;
  timeline(args: { anchorId: number; projects?: string[]; before: number; after: number }): Promise<TimelineResult>;
  observationsForFile(filePath: string, projects: string[], limit: number): Promise<Observation[]>;
  exportAll(projects?: string[]): Promise<ExportSet>;
  counts(): Promise<StoreCounts>;
  /** Removes records everywhere they live and tombstones their identities; a dry run only counts. */
  forget(target: ForgetTarget, opts?: { dryRun?: boolean }): Promise<ForgetReceipt>;
  /** Corrects an observation (re-indexed at once, edited_at set); null when there is no such id. */
  editObservation(id: number, patch: ObservationPatch): Promise<Observation | null>;
  /** Marks olderId as replaced by newerId, or current again with null; false when refused. */
  supersede(olderId: number, newerId: number | null): Promise<boolean>;
  /** Supersede by rule: older current observations with the same project, title and files. */
  supersedeSame(newerId: number): Promise<number[]>;
}

export interface QueueRepository {
  enqueue(contentSessionId: string, project: string, event: QueuedEvent): Promise<EnqueueResult>;
  /** Sessions whose oldest event is unclaimed and due: exactly those a claim() would make progress on. */
  readySessions(now?: number): Promise<string[]>;
  /** When the earliest not-yet-due session head becomes due (epoch ms), or null: the agent sleeps until then. */
  nextReadyAt(now?: number): Promise<number | null>;
  claim(contentSessionId: string, workerId: string, limit: number, now?: number): Promise<PendingEventRow[]>;
  complete(eventIds: number[], result: Completion): Promise<CompletionResult>;
  fail(
    eventIds: number[],
    error: string,
    opts: { retryAt: number; maxAttempts: number; countAttempt: boolean },
  ): Promise<{ deadLettered: number[] }>;
  expireClaims(currentWorkerId: string, leaseMs: number, now?: number): Promise<number>;
  /** Gives claimed events back untouched (no attempt, error kept), due again at `retryAt`. */
  release(eventIds: number[], retryAt: number): Promise<void>;
  /** Forgets tool_use_ids first seen before `before` (epoch ms) that no queued event still holds. */
  pruneSeen(before: number): Promise<number>;
  depth(): Promise<number>;
  pending(limit?: number): Promise<Omit<PendingEventRow, 'payload'>[]>;
  deadLetters(limit?: number): Promise<DeadLetterRow[]>;
  deadCount(): Promise<number>;
  retryDead(id: number): Promise<boolean>;
  /** One memory-agent request's usage: the day's total and the ledger (day, project, session, model). */
  recordUsage(usage: TokenUsage, key: UsageKey, now?: number): Promise<void>;
  spentToday(now?: number): Promise<number>;
  /** Tokens one session has cost so far (all days). */
  sessionSpend(contentSessionId: string): Promise<number>;
  /** Ledger totals grouped by day, project, session or model, from `sinceDay` (YYYY-MM-DD) on. */
  usage(by: UsageGroup, sinceDay: string): Promise<UsageRow[]>;
}

export interface UsageKey {
  project: string;
  contentSessionId: string;
  model: string;
}

export type UsageGroup = 'day' | 'project' | 'session' | 'model';

/** One group of the ledger. `models` lists the models in it, so a cost can be priced per model. */
export interface UsageRow extends TokenUsage {
  key: string;
  requests: number;
  byModel: Array<TokenUsage & { model: string; requests: number }>;
}

/** How keyword search ranks, and how it fuses vectors in: the same options on both backends. */
export interface SearchOptions {
  /** Rows one keyword search ranks at most (termPruning.SCORE_BUDGET by default). */
  rankLimit?: number;
  /** Weight of the vector ranking against the keyword ranking's 1 (rankFusion.VECTOR_WEIGHT by default). */
  vectorWeight?: number;
}

export interface SearchRepository {
  search(q: SearchQuery): Promise<SearchResults>;
  setVectorRanker(ranker: VectorRanker | null): void;
  readonly hybrid: boolean;
}

/** What `doctor` and the health endpoint can say about a backend. */
export interface StoreInfo {
  backend: 'sqlite' | 'postgres' | 'routing';
  /** Where the data lives, without credentials. */
  location: string;
  /** Vector search availability in this backend, and why not when it is off. */
  vectors: { available: boolean; note: string };
}

export interface Store {
  readonly sessions: SessionRepository;
  readonly queue: QueueRepository;
  readonly search: SearchRepository;
  info(): StoreInfo;
  close(): Promise<void>;
}
