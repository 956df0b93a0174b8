// The worker's HTTP API as the viewer calls it (same origin; SPEC §8.1). The shapes are the wire
// contract's (api/types.ts), imported as types only: the browser bundle gets no server code.
import type {
  CredentialsResponse,
  ForgetReceipt,
  HealthResponse,
  LogsResponse,
  ObservationsPage,
  Observation,
  ObservationPatch,
  PageParams,
  ProjectInfo,
  PromptRow,
  QueueResponse,
  RestartResponse,
  RetryDeadResponse,
  SaveSettingsResponse,
  SearchResults,
  SettingsResponse,
  Summary,
} from '../api/types.js';
import { showLoginScreen } from './login.js';

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
    // Not logged in (or the worker restarted and forgot the session): say how to get in.
    if (res.status === 401) showLoginScreen();
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

/** A page of a list route (the viewer always states limit and offset). */
export type Page = PageParams & { limit: number; offset: number };

export const api = {
  health: () => request<HealthResponse>('GET', '/api/health'),
  projects: () => request<{ projects: ProjectInfo[] }>('GET', '/api/projects').then((r) => r.projects),
  observations: (p: Page) => request<ObservationsPage>('GET', `/api/observations${qs({ ...p })}`),
  observation: (id: number) => request<Observation>('GET', `/api/observation/${id}`),
  summaries: (p: Page) => request<{ summaries: Summary[] }>('GET', `/api/summaries${qs({ ...p })}`).then((r) => r.summaries),
  prompts: (p: Page) => request<{ prompts: PromptRow[] }>('GET', `/api/prompts${qs({ ...p })}`).then((r) => r.prompts),
  search: (q: { query: string; project?: string; type?: string; dateStart?: string; dateEnd?: string; orderBy?: string; limit?: number }) =>
    request<SearchResults>('GET', `/api/search${qs(q)}`),
  queue: () => request<QueueResponse>('GET', '/api/queue'),
  retryDead: (id: number) => request<RetryDeadResponse>('POST', `/api/queue/dead/${id}/retry`),
  /** Forgets one observation for real; answers the receipt (counts per kind). */
  forgetObservation: (id: number) => request<ForgetReceipt>('DELETE', `/api/observations/${id}`),
  editObservation: (id: number, patch: ObservationPatch) => request<Observation>('PATCH', `/api/observations/${id}`, patch),
  /** by: the newer observation's id, or null to make this one current again. */
  supersede: (id: number, by: number | null) => request<Observation>('POST', `/api/observations/${id}/supersede`, { by }),
  logs: (file: 'worker' | 'error', lines: number) => request<LogsResponse>('GET', `/api/logs${qs({ file, lines })}`),
  settings: () => request<SettingsResponse>('GET', '/api/settings'),
  saveSettings: (values: Record<string, string>) =>
    request<SaveSettingsResponse>('POST', '/api/settings', values),
  saveCredentials: (values: Record<string, string>) =>
    request<CredentialsResponse>('POST', '/api/credentials', values),
  restart: () => request<RestartResponse>('POST', '/api/worker/restart'),
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
