// The memory agent's circuit breaker. A backend that cannot be reached (connection errors,
// timeouts, 5xx/529, 429) says nothing about the event being processed, so instead of charging
// events attempts the whole agent stops sending and probes with one request on a capped,
// doubling backoff. Pure state: the agent decides what a probe is and when to look.
import { ProviderError } from './providers/providers.js';
import type { AgentStatus } from '../api/types.js';

/** True for failures that mean "the backend is unavailable", not "this event is bad". */
export function isOutage(err: unknown): err is ProviderError {
  return err instanceof ProviderError && (err.kind === 'transient' || err.kind === 'rate_limit');
}

/** Longest retry-after honoured when it exceeds the probe cap. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

export interface BreakerOptions {
  /** First wait before a probe (ms); doubles per failed probe. */
  baseMs: number;
  /** Longest wait between probes (ms), read at each trip so a settings change applies. */
  maxMs: () => number;
  now?: () => number;
}

interface Outage {
  since: number;
  nextProbeAt: number;
  /** Failed probes so far (the first failure is not a probe). */
  probes: number;
  lastError: string;
}

export class OutageBreaker {
  private outage: Outage | null = null;
  private readonly now: () => number;

  constructor(private readonly o: BreakerOptions) {
    this.now = o.now ?? Date.now;
  }

  get open(): boolean {
    return this.outage !== null;
  }

  /**
   * Records an outage failure. Opens the breaker, or — for a failed probe — doubles the wait.
   * A failure of a request that was already in flight when the breaker opened only updates the
   * error: it must not push the next probe further out. `retryAfterSec` (from the backend) is
   * honoured even above the cap, up to ten minutes.
   */
  trip(message: string, opts: { probe: boolean; retryAfterSec?: number }): void {
    const now = this.now();
    if (this.outage && !opts.probe) {
      this.outage.lastError = message;
      return;
    }
    const probes = this.outage ? this.outage.probes + 1 : 0;
    const cap = Math.max(1, this.o.maxMs());
    const backoff = this.o.baseMs * 2 ** Math.min(probes, 30);
    // The backend's own retry-after wins over the backoff (bounded, against a nonsense value).
    const wait =
      opts.retryAfterSec != null ? Math.min(Math.max(opts.retryAfterSec * 1000, 0), Math.max(cap, MAX_RETRY_AFTER_MS)) : Math.min(cap, backoff);
    this.outage = { since: this.outage?.since ?? now, nextProbeAt: now + wait, probes, lastError: message };
  }

  /** Milliseconds until a probe may be sent (0 = now), or null when the backend answers. */
  msUntilProbe(): number | null {
    return this.outage ? Math.max(0, this.outage.nextProbeAt - this.now()) : null;
  }

  /** The backend answered: close, and say for how long it was down. */
  close(): { downMs: number; probes: number } | null {
    const o = this.outage;
    this.outage = null;
    return o ? { downMs: this.now() - o.since, probes: o.probes } : null;
  }

  snapshot(): AgentStatus['outage'] {
    const o = this.outage;
    if (!o) return null;
    return {
      since: new Date(o.since).toISOString(),
      nextProbeAt: new Date(o.nextProbeAt).toISOString(),
      probes: o.probes,
      lastError: o.lastError,
    };
  }
}
