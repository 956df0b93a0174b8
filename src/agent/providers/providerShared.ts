// Small pieces every provider uses: the input types, the request precondition, and the bookkeeping
// that lets close() abort what is still in flight.
import type { TokenUsage } from '../../api/types.js';
import { ProviderError, type SendRequest } from './providers.js';

/** `CLAUDE_MEM_*` settings as loaded by the settings module (flat strings). */
export type ProviderSettings = Readonly<Record<string, string | undefined>>;
/** The result of buildIsolatedEnv(); providers never look at process.env. */
export type ProviderEnv = Readonly<Record<string, string | undefined>>;

/** The value when it has non-blank content, else undefined. The value itself is not trimmed. */
export function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

export function checkTurns(req: SendRequest, provider: string): void {
  const last = req.turns[req.turns.length - 1];
  if (!last || last.role !== 'user') {
    throw new ProviderError('invalid_request', 'SendRequest.turns must be non-empty and end with a user turn', { provider });
  }
}

/** Tracks in-flight requests so a session's close() can abort them. */
export class InFlight {
  private readonly controllers = new Set<AbortController>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  begin(outer: AbortSignal | undefined, provider: string): { signal: AbortSignal; done: () => void } {
    if (this.closed) throw new ProviderError('invalid_request', 'send() called on a closed provider session', { provider });
    const c = new AbortController();
    this.controllers.add(c);
    const signal = outer ? AbortSignal.any([outer, c.signal]) : c.signal;
    return { signal, done: () => this.controllers.delete(c) };
  }

  abortAll(): void {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}

/** Anthropic usage (Messages API or Agent SDK result) → TokenUsage. */
export function mapAnthropicUsage(u: Partial<Record<string, unknown>> | undefined | null): TokenUsage {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    input_tokens: n(u?.input_tokens),
    output_tokens: n(u?.output_tokens),
    cache_read_tokens: n(u?.cache_read_input_tokens),
    cache_write_tokens: n(u?.cache_creation_input_tokens),
  };
}
