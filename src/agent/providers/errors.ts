// Turning backend failures into ProviderErrors. Shared by every provider so the same HTTP status
// means the same thing whichever protocol produced it, and the backend's own words always survive.
import { ProviderError, type ProviderErrorKind } from './providers.js';

/** Credit/billing wording that marks a request as refused for money, not for its content. */
const QUOTA_PATTERN = /credit balance|insufficient[_ ]credits?|insufficient_quota|billing_error|payment required/i;

/** The HTTP status (and the backend's error type/message) decide the kind. */
export function kindForStatus(status: number, errorType = '', message = ''): ProviderErrorKind {
  if (status === 402) return 'quota';
  if (status < 500 && QUOTA_PATTERN.test(`${errorType} ${message}`)) return 'quota';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  // 408/409 are the "try again" members of the 4xx family; every SDK retries them.
  if (status === 408 || status === 409) return 'transient';
  if (status >= 500) return 'transient'; // includes Anthropic's 529 overloaded_error
  return 'invalid_request';
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/** `retry-after-ms`, `retry-after` as seconds, or `retry-after` as an HTTP date → seconds. */
export function parseRetryAfter(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && header(headers, 'retry-after-ms')) return ms / 1000;
  const raw = header(headers, 'retry-after')?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

export function requestIdFrom(headers: HeaderSource): string | undefined {
  return header(headers, 'request-id') ?? header(headers, 'x-request-id') ?? undefined;
}

const asString = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Pull the error type and message out of whatever JSON a backend sent. Covers the Anthropic shape
 * `{type:'error', error:{type,message}}`, OpenAI's `{error:{message,type,code}}`, Google's
 * `{error:{code,message,status}}`, and the looser shapes gateways invent (`{message}`, `{error:"…"}`,
 * `{detail}`). Anything else is kept as its JSON text so nothing the backend said is lost.
 */
export function describeErrorBody(body: unknown, rawText?: string): { errorType?: string; message: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const inner = b.error;
    if (inner && typeof inner === 'object') {
      const e = inner as Record<string, unknown>;
      const message = asString(e.message) ?? JSON.stringify(e);
      const errorType = asString(e.type) ?? asString(e.status) ?? asString(e.code);
      return { errorType, message };
    }
    if (typeof inner === 'string') return { errorType: asString(b.type), message: inner };
    const message = asString(b.message) ?? asString(b.detail);
    if (message !== undefined) return { errorType: asString(b.type) ?? asString(b.code), message };
    return { message: JSON.stringify(body) };
  }
  if (typeof body === 'string' && body) return { message: body };
  return { message: rawText?.trim() || '(empty error body)' };
}

/** `401 authentication_error: <backend message> (request-id: req_…)` — one line, message unchanged. */
export function formatHttpErrorMessage(p: {
  status: number;
  errorType?: string;
  message: string;
  requestId?: string;
}): string {
  const type = p.errorType ? ` ${p.errorType}` : '';
  const rid = p.requestId ? ` (request-id: ${p.requestId})` : '';
  return `${p.status}${type}: ${p.message}${rid}`;
}

/** Build the ProviderError for an HTTP error response. */
export function httpProviderError(p: {
  provider: string;
  status: number;
  body: unknown;
  rawText?: string;
  headers?: HeaderSource;
}): ProviderError {
  const { errorType, message } = describeErrorBody(p.body, p.rawText);
  const requestId = requestIdFrom(p.headers);
  const retryAfter = parseRetryAfter(p.headers);
  const kind = kindForStatus(p.status, errorType, message);
  return new ProviderError(kind, formatHttpErrorMessage({ status: p.status, errorType, message, requestId }), {
    status: p.status,
    errorType,
    requestId,
    retryAfter,
    provider: p.provider,
  });
}

/** The innermost `cause` message and code of a network failure (`other side closed`, `ECONNRESET`…). */
export function networkCauseText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    const e = cur as { message?: unknown; code?: unknown; cause?: unknown };
    const msg = typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : '';
    const piece = code && !msg.includes(code) ? `${msg} (${code})` : msg;
    if (piece && !parts.includes(piece)) parts.push(piece);
    cur = e.cause;
  }
  return parts.join(': ') || String(err);
}

export function timeoutError(provider: string, timeoutMs: number, host: string): ProviderError {
  return new ProviderError('transient', `Request timed out after ${timeoutMs / 1000}s waiting for ${host}`, {
    errorType: 'timeout',
    provider,
  });
}

export function connectionError(provider: string, err: unknown, host: string): ProviderError {
  return new ProviderError('transient', `Connection error talking to ${host}: ${networkCauseText(err)}`, {
    errorType: 'connection_error',
    provider,
  });
}

export function abortedError(provider: string): ProviderError {
  return new ProviderError('transient', 'Request aborted before the backend answered', {
    errorType: 'aborted',
    provider,
  });
}

/** Host (and port) of a base URL for logs/status; never userinfo, never the path. */
export function hostOf(baseUrl: string | undefined, fallback: string): string {
  if (!baseUrl) return fallback;
  try {
    return new URL(baseUrl).host || fallback;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The base URL as status shows it: scheme, host and path (so a doubled `/v1` is visible), never
 * userinfo, query or fragment, which may hold credentials.
 */
export function displayUrl(baseUrl: string | undefined, fallback: string): string {
  if (!baseUrl) return fallback;
  try {
    const u = new URL(baseUrl);
    return `${u.protocol}//${u.host}${u.pathname === '/' && !baseUrl.endsWith('/') ? '' : u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** A base URL must be absolute http(s); it is still passed on exactly as written. */
export function checkBaseUrl(value: string, field: string, fix: string): void {
  let ok = false;
  try {
    const u = new URL(value);
    ok = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) {
    // Echo the value to help with typos (a missing `http://`), unless it may hold userinfo.
    const shown = value.includes('@') ? '' : `: "${value}"`;
    throw new ProviderError('config', `${field} is not an http(s) URL${shown}. ${fix}`, { errorType: 'config' });
  }
}

/**
 * Map an error thrown by a Stainless-generated SDK (@anthropic-ai/sdk, openai): both expose
 * `status`, the parsed body as `error`, `headers`, and name their network/timeout/abort classes
 * alike. Duck-typed so this file does not depend on either SDK.
 */
/** Constructor names along the prototype chain (the openai SDK does not set `name`). */
function classNames(err: unknown): Set<string> {
  const names = new Set<string>();
  if (err && typeof err === 'object') {
    const own = (err as { name?: unknown }).name;
    if (typeof own === 'string') names.add(own);
    for (let proto = Object.getPrototypeOf(err); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const ctor = (proto as { constructor?: { name?: string } }).constructor;
      if (ctor?.name) names.add(ctor.name);
    }
  }
  return names;
}

export function mapSdkError(
  err: unknown,
  ctx: { provider: string; host: string; timeoutMs: number; signal?: AbortSignal },
): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as { status?: unknown; error?: unknown; headers?: HeaderSource; message?: string; cause?: unknown };
  const is = classNames(err);
  if (is.has('APIUserAbortError') || ctx.signal?.aborted) return abortedError(ctx.provider);
  if (is.has('APIConnectionTimeoutError')) return timeoutError(ctx.provider, ctx.timeoutMs, ctx.host);
  if (typeof e.status === 'number') {
    // A body that was not JSON reaches us only inside the SDK's message (`<status> <text>`).
    const rawText = typeof e.message === 'string' ? e.message.replace(/^\d{3}\s+/, '') : undefined;
    return httpProviderError({ provider: ctx.provider, status: e.status, body: e.error, rawText, headers: e.headers });
  }
  if (is.has('APIConnectionError')) return connectionError(ctx.provider, e.cause ?? err, ctx.host);
  // The SDKs' base error class is thrown for requests they refuse to send: retrying cannot help.
  if (is.has('AnthropicError') || is.has('OpenAIError')) {
    return new ProviderError('invalid_request', e.message ?? String(err), { provider: ctx.provider });
  }
  // A stream that breaks after the headers surfaces as a plain Error from the body reader.
  return connectionError(ctx.provider, err, ctx.host);
}
