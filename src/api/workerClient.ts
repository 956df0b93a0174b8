// The one HTTP client for the worker's API, shared by the CLI and the MCP server. It only speaks
// HTTP: starting the worker is the caller's decision. Every request goes through request() below,
// the single place where headers are set (an Authorization header is one line there).
// The hooks do not use it, on purpose: each hook is a tiny CommonJS bundle that must start in a few
// milliseconds, so a hook imports only types from this folder and tiny helpers, and posts with
// node:http itself (capture/hooks/hook-io.ts).
import type {
  HealthResponse,
  ImportRequest,
  ImportResponse,
  Observation,
  ObservationsPage,
  PageParams,
  ExportResponse,
  ProjectInfo,
  PromptRow,
  SearchParams,
  SearchResponse,
  Summary,
  TimelineParams,
  TimelineResponse,
} from './types.js';
import { challengeWorker, readWorkerToken } from '../config/workerToken.js';

export const DEFAULT_WORKER_HOST = '127.0.0.1';
export const DEFAULT_WORKER_PORT = 37777;

export interface WorkerClientOptions {
  /** Full base URL, e.g. `http://127.0.0.1:40123`. Wins over host/port. */
  baseUrl?: string;
  host?: string;
  port?: number | string;
  /** Per-request timeout. Default 15 s. */
  timeoutMs?: number;
  /** Environment to read `CLAUDE_MEM_WORKER_HOST`/`_PORT` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * The worker token (worker/auth.ts). Default: read from <data dir>/worker.token before each
   * request; null sends none. It is sent only after the listener proved it holds the same token.
   */
  token?: string | null;
}

/**
 * Something answers at the worker's address but cannot prove it holds this user's token: another
 * user's process squatting the port, or a worker of an older version. The token was not sent.
 */
export class WorkerImpostorError extends Error {
  constructor(readonly baseUrl: string) {
    super(
      `something at ${baseUrl} answers but cannot prove it is your claude-mem worker (another user's process may hold the port, ` +
        'or an old worker is still running); your token was not sent. Stop that process, or set CLAUDE_MEM_WORKER_PORT to a free port.',
    );
    this.name = 'WorkerImpostorError';
  }
}

/** Nothing answered at the worker's address (refused, reset, timed out). */
export class WorkerUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`claude-mem worker is not reachable at ${baseUrl} (${reason})`);
    this.name = 'WorkerUnreachableError';
  }
}

/** The worker answered with a 4xx/5xx; `message` is the worker's own `error` text. */
export class WorkerHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'WorkerHttpError';
  }
}

/** Resolve the worker's base URL from options, then env, then the defaults (127.0.0.1:37777). */
export function workerBaseUrl(options: WorkerClientOptions = {}): string {
  if (options.baseUrl) return options.baseUrl.replace(/\/+$/, '');
  const env = options.env ?? process.env;
  let host = (options.host ?? env.CLAUDE_MEM_WORKER_HOST ?? '').trim() || DEFAULT_WORKER_HOST;
  // A worker bound to every interface is still reached over loopback.
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const rawPort = String(options.port ?? env.CLAUDE_MEM_WORKER_PORT ?? '').trim();
  const port = rawPort === '' ? DEFAULT_WORKER_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`CLAUDE_MEM_WORKER_PORT must be an integer between 1 and 65535 (got "${rawPort}")`);
  }
  return `http://${host}:${port}`;
}

type Query = Record<string, string | number | string[] | undefined | null>;

export interface WorkerClient {
  readonly baseUrl: string;
  /** Low-level: one request; JSON in and out unless the response is not JSON. */
  request<T = unknown>(method: string, path: string, opts?: { query?: Query; body?: unknown; timeoutMs?: number }): Promise<T>;
  health(timeoutMs?: number): Promise<HealthResponse>;
  /** True when `/api/health` answers `status: "ok"` within the timeout. */
  isHealthy(timeoutMs?: number): Promise<boolean>;
  search(params: SearchParams): Promise<SearchResponse>;
  getObservations(ids: number[], project?: string): Promise<Observation[]>;
  listObservations(params?: PageParams): Promise<ObservationsPage>;
  timeline(params: TimelineParams): Promise<TimelineResponse>;
  listSummaries(params?: PageParams): Promise<{ summaries: Summary[] }>;
  listPrompts(params?: PageParams): Promise<{ prompts: PromptRow[] }>;
  projects(): Promise<{ projects: ProjectInfo[] }>;
  contextInject(params: { project?: string; cwd?: string }): Promise<string>;
  importData(body: ImportRequest): Promise<ImportResponse>;
  exportData(project?: string): Promise<ExportResponse>;
}

export function createWorkerClient(options: WorkerClientOptions = {}): WorkerClient {
  const baseUrl = workerBaseUrl(options);
  const defaultTimeout = options.timeoutMs ?? 15_000;

  async function request<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; timeoutMs?: number } = {},
  ): Promise<T> {
    const url = new URL(path, `${baseUrl}/`);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value === undefined || value === null || value === '') continue;
      if (Array.isArray(value)) {
        if (value.length) url.searchParams.set(key, value.join(','));
      } else {
        url.searchParams.set(key, String(value));
      }
    }
    // The only place a request's headers are set.
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // The token goes only to a listener that just proved it holds it (challenge–response): a
    // process squatting the port while the worker is down learns nothing.
    const token = options.token === undefined ? readWorkerToken() : options.token;
    if (token) {
      const check = await challengeWorker(baseUrl, token, Math.min(opts.timeoutMs ?? defaultTimeout, 5000));
      if (check === 'unreachable') throw new WorkerUnreachableError(baseUrl, 'no answer to the identity check');
      if (check === 'impostor') throw new WorkerImpostorError(baseUrl);
      headers.authorization = `Bearer ${token}`;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? defaultTimeout),
      });
    } catch (err) {
      throw new WorkerUnreachableError(baseUrl, describeFetchError(err));
    }
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('application/json');
    let body: unknown = text;
    if (isJson && text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const message =
        body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
          ? (body as { error: string }).error
          : `${method} ${url.pathname} failed with HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
      throw new WorkerHttpError(res.status, message, body);
    }
    return body as T;
  }

  const health = (timeoutMs = 2_000) => request<HealthResponse>('GET', '/api/health', { timeoutMs });

  return {
    baseUrl,
    request,
    health,
    async isHealthy(timeoutMs = 1_000) {
      try {
        return (await health(timeoutMs)).status === 'ok';
      } catch {
        return false;
      }
    },
    search: (p) =>
      request<SearchResponse>('GET', '/api/search', {
        query: {
          query: p.query,
          project: p.project,
          type: p.type,
          concepts: p.concepts,
          files: p.files,
          dateStart: p.dateStart,
          dateEnd: p.dateEnd,
          orderBy: p.orderBy,
          limit: p.limit,
          offset: p.offset,
          kinds: p.kinds,
        },
      }).then(normaliseSearch),
    getObservations: (ids, project) =>
      request<{ observations: Observation[] }>('POST', '/api/observations/batch', {
        body: project ? { ids, project } : { ids },
      }).then((r) => r.observations ?? []),
    listObservations: (p = {}) => request('GET', '/api/observations', { query: { ...p } }),
    timeline: (p) =>
      request<TimelineResponse>('GET', '/api/timeline', {
        query: { anchor: p.anchor, query: p.query, project: p.project, before: p.before, after: p.after },
      }).then((r) => ({ anchor: r.anchor ?? null, items: r.items ?? [] })),
    listSummaries: (p = {}) => request('GET', '/api/summaries', { query: { ...p } }),
    listPrompts: (p = {}) => request('GET', '/api/prompts', { query: { ...p } }),
    projects: () => request('GET', '/api/projects'),
    contextInject: (p) => request<string>('GET', '/api/context/inject', { query: { project: p.project, cwd: p.cwd } }),
    importData: (body) => request<ImportResponse>('POST', '/api/import', { body, timeoutMs: 120_000 }),
    exportData: (project) => request<ExportResponse>('GET', '/api/export', { query: { project }, timeoutMs: 120_000 }),
  };
}

function normaliseSearch(r: Partial<SearchResponse>): SearchResponse {
  return { observations: r.observations ?? [], sessions: r.sessions ?? [], prompts: r.prompts ?? [] };
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'request timed out';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return cause.code;
    if (cause?.message) return cause.message;
    return err.message;
  }
  return String(err);
}
