// The worker's HTTP API as the viewer uses it (same origin; SPEC §8.1). Row shapes mirror src/types.ts
// but are declared here so the browser bundle does not pull in server modules.

export interface Tokens {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface Observation {
  id: number;
  project: string;
  content_session_id: string;
  type: string;
  title: string;
  subtitle: string;
  narrative: string;
  facts: string[];
  concepts: string[];
  files_read: string[];
  files_modified: string[];
  prompt_number: number | null;
  agent_id: string | null;
  model: string | null;
  tokens: Tokens | null;
  created_at: string;
  created_at_epoch: number;
}

export interface Summary {
  id: number;
  project: string;
  content_session_id: string;
  request: string;
  investigated: string;
  learned: string;
  completed: string;
  next_steps: string;
  notes: string;
  prompt_number: number | null;
  model: string | null;
  tokens: Tokens | null;
  created_at: string;
  created_at_epoch: number;
}

export interface Prompt {
  /** Absent on live `prompt` events (the row id is not sent). */
  id?: number;
  content_session_id: string;
  project: string;
  prompt_number: number;
  prompt_text: string;
  created_at?: string;
}

export interface Health {
  status: string;
  pid: number;
  version: string;
  uptimeSeconds: number;
  queueDepth: number;
  deadLetters: number;
  provider: string;
  model: string;
  baseUrlHost: string;
  /** The whole base URL (scheme, host, path; never credentials). */
  baseUrl?: string;
  /** The backend does not answer: the agent waits and probes once at nextProbeAt. */
  outage?: { since: string; nextProbeAt: string; probes: number; lastError: string } | null;
  lastError: { message: string; kind?: string; at: string } | null;
  paused: string | null;
  budget: { dailyLimit: number; spentToday: number; exhausted: boolean };
}

export interface DeadLetter {
  id: number;
  content_session_id: string;
  project: string;
  kind: string;
  tool_use_id: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  dead_at: string;
}

export interface PendingEvent {
  id: number;
  project: string;
  kind: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
}

export interface QueueState {
  depth: number;
  pending: PendingEvent[];
  deadLetters: DeadLetter[];
}

export type SettingKind =
  | { type: 'enum'; values: string[] }
  | { type: 'bool' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'string' | 'url' | 'list' | 'database-url' };

export interface SettingsState {
  settings: Record<string, string>;
  descriptions: Record<string, string>;
  secretKeys: string[];
  credentials: Record<string, { set: boolean; source: string }>;
  /** How each setting is validated: enums carry their allowed values (rendered as a select). */
  kinds?: Record<string, SettingKind>;
  issues: Array<{ key?: string; message: string }>;
}

export interface SearchResults {
  observations: Observation[];
  sessions: Summary[];
  prompts: Prompt[];
}

export interface ProjectInfo {
  name: string;
  observations: number;
  lastActivity: string | null;
}

/** An HTTP error with the worker's JSON body (its `error` message and, for settings, `fields`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> | null,
  ) {
    super(message);
  }
  get fields(): Record<string, string> {
    const f = this.body?.fields;
    return f && typeof f === 'object' ? (f as Record<string, string>) : {};
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const b = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
    const msg = typeof b?.error === 'string' ? b.error : `${method} ${path} failed: HTTP ${res.status}`;
    throw new ApiError(res.status, msg, b);
  }
  return parsed as T;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface Page {
  project?: string;
  limit: number;
  offset: number;
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  projects: () => request<{ projects: ProjectInfo[] }>('GET', '/api/projects').then((r) => r.projects),
  observations: (p: Page) => request<{ observations: Observation[]; total: number }>('GET', `/api/observations${qs({ ...p })}`),
  observation: (id: number) => request<Observation>('GET', `/api/observation/${id}`),
  summaries: (p: Page) => request<{ summaries: Summary[] }>('GET', `/api/summaries${qs({ ...p })}`).then((r) => r.summaries),
  prompts: (p: Page) => request<{ prompts: Prompt[] }>('GET', `/api/prompts${qs({ ...p })}`).then((r) => r.prompts),
  search: (q: { query: string; project?: string; type?: string; dateStart?: string; dateEnd?: string; orderBy?: string; limit?: number }) =>
    request<SearchResults>('GET', `/api/search${qs(q)}`),
  queue: () => request<QueueState>('GET', '/api/queue'),
  retryDead: (id: number) => request<{ status: string }>('POST', `/api/queue/dead/${id}/retry`),
  logs: (file: 'worker' | 'error', lines: number) => request<{ lines: string[] }>('GET', `/api/logs${qs({ file, lines })}`),
  settings: () => request<SettingsState>('GET', '/api/settings'),
  saveSettings: (values: Record<string, string>) =>
    request<{ settings: Record<string, string>; restartRequired: boolean }>('POST', '/api/settings', values),
  saveCredentials: (values: Record<string, string>) =>
    request<{ saved: string[]; restartRequired: boolean; warnings?: string[] }>('POST', '/api/credentials', values),
  restart: () => request<{ status: string }>('POST', '/api/worker/restart'),
  /** The context text exactly as SessionStart injects it. */
  contextText: async (project: string): Promise<string> => {
    const res = await fetch(`/api/context/inject${qs({ project })}`);
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* plain text */
      }
      throw new ApiError(res.status, msg, null);
    }
    return text;
  },
};

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
