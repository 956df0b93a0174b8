// The Provider contract: a provider only speaks its wire protocol. The memory agent owns the
// conversation, the retry policy and parsing. Providers are built from buildIsolatedEnv() plus
// settings, never from process.env.
import type { TokenUsage } from '../../api/types.js';

export type ProviderErrorKind = 'auth' | 'rate_limit' | 'transient' | 'invalid_request' | 'quota' | 'config';

/** An error from a backend, carrying its message verbatim. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: {
      status?: number;
      errorType?: string;
      requestId?: string;
      /** Seconds, from a retry-after header. */
      retryAfter?: number;
      provider?: string;
    } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** 429, 5xx and network errors may be retried; nothing else is. */
  get retryable(): boolean {
    return this.kind === 'rate_limit' || this.kind === 'transient';
  }
}

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

export interface SendRequest {
  /** Fixed instructions (role + output format). Cached where the protocol allows. */
  system: string;
  /** Bounded conversation window, oldest first, ending with a user turn. */
  turns: Turn[];
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface SendResult {
  text: string;
  usage: TokenUsage;
  model: string;
  requestId?: string;
}

export interface ProviderSession {
  send(req: SendRequest): Promise<SendResult>;
  /** Release anything held (subprocesses, sockets). Idempotent. */
  close(): Promise<void>;
}

export interface ProviderInfo {
  provider: string;
  model: string;
  /** Host (and port) of the base URL, for logs and status. Never a credential. */
  baseUrlHost: string;
  /** Scheme, host and path of the base URL (see displayUrl). Never a credential. */
  baseUrl: string;
}

export interface SessionContext {
  contentSessionId: string;
  project: string;
}

export interface Provider {
  readonly info: ProviderInfo;
  startSession(ctx: SessionContext): ProviderSession;
}
