// Domain types shared by the store, the memory agent, recall and the adapters.
// Rows cross HTTP as these shapes (SPEC §8.1), so keep field names stable.

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
}

export interface Observation extends Required<Omit<ObservationInput, 'tokens' | 'created_at'>> {
  id: number;
  created_at: string;
  created_at_epoch: number;
  tokens: TokenUsage | null;
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
