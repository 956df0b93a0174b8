// The memory agent: consumes the durable queue session by session, one LLM request per batch of a
// prompt's events (batching.ts), and stores what the model records. It owns the conversation window, the failure policy (an
// outage pauses everything behind a breaker; only events the backend answered can be charged)
// and the daily budget; providers only speak their protocol.
import { buildIsolatedEnv } from '../config/EnvManager.js';
import type { Logger } from '../config/logger.js';
import { redactSecrets } from '../lib/redact.js';
import type { Settings } from '../config/SettingsManager.js';
import { getBool, getInt } from '../config/SettingsManager.js';
import type { ObservationInput, PendingEventRow, SummarizePayload, TokenUsage, ToolEventPayload } from '../api/types.js';
import type { Store } from '../store/Store.js';
import type { EventBus } from '../lib/EventBus.js';
import { filesTouched } from './eventFormat.js';
import { mergeFiles, parseAgentReply } from './parser.js';
import { fieldCapFor, filesForObservation, formBatch } from './batching.js';
import { buildBatchTurn, buildSessionIntroTurn, buildSummaryTurn, buildSystemPrompt, type RelatedObservation } from './prompts.js';
import { relatedObservations } from './related.js';
import { captureFileHashes } from '../store/fileState.js';
import { resolveProject } from '../config/project.js';
import { isOutage, OutageBreaker } from './OutageBreaker.js';
import { createProvider, describeProvider } from './providers/providerFactory.js';
import { ProviderError, type Provider, type ProviderSession, type Turn } from './providers/providers.js';
import type { AgentStatus } from '../api/types.js';
import { WakeableSleep } from '../lib/WakeableSleep.js';

const MAX_CONCURRENT_SESSIONS = 3;
const IDLE_SESSION_MS = 5 * 60_000;
const MAX_RETRY_AFTER_MS = 60_000;
/** Characters of tool input/output one batch request may carry (~12k tokens); fields shrink to fit. */
const BATCH_MAX_CHARS = 48_000;
/** Longest sleep with nothing scheduled: a safety net, never the way work is found. */
const IDLE_POLL_MS = 5_000;
/** A session that was offered but could not be claimed is not offered again for this long. */
const STALL_MS = 60_000;
/**
 * How long a tool_use_id is remembered for idempotency. Claude Code deletes transcripts after 30
 * days by default, so nothing can replay an older event; a margin on top of that.
 */
const SEEN_RETENTION_MS = 45 * 24 * 3600_000;
const PRUNE_EVERY_MS = 24 * 3600_000;

interface SessionState {
  provider: ProviderSession;
  /** Intro turn for the current prompt: always sent, so the model knows the request. */
  intro: Turn | null;
  promptNumber: number | null;
  userPrompt: string | null;
  /** Rolling window of completed exchanges (user event turn + assistant reply). */
  window: Turn[];
  /** Titles recorded for the current prompt, so the summary covers more than the window. */
  recorded: string[];
  lastUsed: number;
}

export interface MemoryAgentOptions {
  store: Store;
  bus: EventBus;
  settings: () => Settings;
  workerId: string;
  log: Logger;
  /** Replaceable for tests; defaults to the settings-driven factory. */
  providerFactory?: (settings: Settings, env: Record<string, string>) => Provider;
  /** Base of the exponential backoffs: outage probes, and an event's retry after a failure (ms). */
  retryBaseMs?: number;
}

function usageTotal(u: TokenUsage): number {
  return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
}

/** Splits one request's usage across the observations it produced (integer shares). */
function shareUsage(u: TokenUsage, n: number): TokenUsage {
  const d = Math.max(1, n);
  return {
    input_tokens: Math.round(u.input_tokens / d),
    output_tokens: Math.round(u.output_tokens / d),
    cache_read_tokens: Math.round(u.cache_read_tokens / d),
    cache_write_tokens: Math.round(u.cache_write_tokens / d),
  };
}

export class MemoryAgent {
  private provider: Provider | null = null;
  private providerInfo = { provider: '', model: '', baseUrlHost: '', baseUrl: '' };
  private readonly sessions = new Map<string, SessionState>();
  private readonly running = new Map<string, Promise<void>>();
  private lastError: AgentStatus['lastError'] = null;
  private paused: string | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly nap = new WakeableSleep();
  private loop: Promise<void> | null = null;
  private readonly breaker: OutageBreaker;
  /** Sessions offered by the queue that this agent could not claim, until when to leave them be. */
  private readonly stalled = new Map<string, number>();
  private lastPrune = 0;
  /** Sessions held back by the per-session token cap (status shows them). */
  private readonly capped = new Set<string>();

  constructor(private readonly o: MemoryAgentOptions) {
    this.breaker = new OutageBreaker({
      baseMs: o.retryBaseMs ?? 1000,
      maxMs: () => getInt(this.o.settings(), 'CLAUDE_MEM_OUTAGE_PROBE_MAX_MS'),
    });
  }

  /** Builds the provider from settings + the isolated env (credentials are read here). */
  private initProvider(): void {
    const settings = this.o.settings();
    this.providerInfo = describeProvider(settings, {});
    try {
      // Inside the try: an unreadable .env pauses the agent (capture keeps working), not the worker.
      const env = buildIsolatedEnv({ autodetect: getBool(settings, 'CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV') });
      this.providerInfo = describeProvider(settings, env);
      this.provider = (this.o.providerFactory ?? createProvider)(settings, env);
      this.providerInfo = this.provider.info;
      this.paused = null;
    } catch (err) {
      this.provider = null;
      this.pause(err);
    }
  }

  start(): void {
    this.initProvider();
    this.loop = this.run();
  }

  wake(): void {
    this.nap.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.running.values()]);
    await Promise.allSettled([...this.sessions.values()].map((s) => s.provider.close()));
    this.sessions.clear();
  }

  async status(): Promise<AgentStatus> {
    const settings = this.o.settings();
    const limit = getInt(settings, 'CLAUDE_MEM_DAILY_TOKEN_BUDGET');
    const spent = await this.o.store.queue.spentToday();
    return {
      ...this.providerInfo,
      lastError: this.lastError,
      outage: this.breaker.snapshot(),
      paused: this.paused ?? (limit > 0 && spent >= limit ? 'daily token budget spent' : null),
      budget: {
        dailyLimit: limit,
        spentToday: spent,
        exhausted: limit > 0 && spent >= limit,
        sessionLimit: getInt(settings, 'CLAUDE_MEM_SESSION_TOKEN_BUDGET'),
        cappedSessions: [...this.capped],
      },
    };
  }

  private pause(err: unknown): void {
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    this.paused = message;
    this.recordError(err);
    this.o.log.error('Memory agent paused: fix the configuration, then run `claude-mem worker restart`', { error: message });
    this.o.bus.emit('status', { paused: message });
  }

  private recordError(err: unknown): void {
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    const kind = err instanceof ProviderError ? err.kind : 'internal';
    this.lastError = { message, kind, at: new Date().toISOString() };
  }

  private async budgetExhausted(): Promise<boolean> {
    const limit = getInt(this.o.settings(), 'CLAUDE_MEM_DAILY_TOKEN_BUDGET');
    return limit > 0 && (await this.o.store.queue.spentToday()) >= limit;
  }

  /** A session that spent CLAUDE_MEM_SESSION_TOKEN_BUDGET waits (its events stay queued) until the cap is raised. */
  private async sessionCapped(contentSessionId: string): Promise<boolean> {
    const limit = getInt(this.o.settings(), 'CLAUDE_MEM_SESSION_TOKEN_BUDGET');
    const capped = limit > 0 && (await this.o.store.queue.sessionSpend(contentSessionId)) >= limit;
    if (capped && !this.capped.has(contentSessionId)) {
      this.o.log.warn('Session token cap reached: its events wait in the queue', { session: contentSessionId, limit });
    }
    if (capped) this.capped.add(contentSessionId);
    else this.capped.delete(contentSessionId);
    return capped;
  }

  private async run(): Promise<void> {
    await this.o.store.queue.expireClaims(this.o.workerId, 0);
    while (!this.stopped) {
      let sleepMs = IDLE_POLL_MS;
      try {
        this.reapIdleSessions();
        await this.pruneSeen();
        sleepMs = await this.schedule();
      } catch (err) {
        this.recordError(err);
        this.o.log.error('Memory agent loop error', { error: err });
      }
      await this.nap.sleep(sleepMs);
    }
  }

  /**
   * One pass: starts the runners that can make progress and returns how long to sleep. Every
   * acknowledged event wakes the loop, so a pass must be cheap when there is nothing to start,
   * and a pass that starts nothing must never lead straight to another.
   */
  private async schedule(): Promise<number> {
    if (!this.provider || this.paused) return IDLE_POLL_MS;
    const probeIn = this.breaker.msUntilProbe();
    if (probeIn !== null) {
      // Backend unavailable: one request (a probe) at a time, nothing else is sent.
      if (probeIn > 0 || this.running.size > 0) return probeIn || IDLE_POLL_MS;
      const [sessionId] = await this.readySessions();
      if (sessionId) this.startRunner(sessionId, true);
      return IDLE_POLL_MS;
    }
    // With every slot busy there is nothing to start, and skipping the scan keeps a deep queue
    // from costing O(queue) per incoming event.
    if (this.running.size >= MAX_CONCURRENT_SESSIONS || (await this.budgetExhausted())) return IDLE_POLL_MS;
    for (const sessionId of await this.readySessions()) {
      if (this.running.size >= MAX_CONCURRENT_SESSIONS) break;
      this.startRunner(sessionId, false);
    }
    const next = await this.o.store.queue.nextReadyAt();
    return next === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(10, next - Date.now()));
  }

  private async readySessions(): Promise<string[]> {
    const now = Date.now();
    for (const [id, until] of this.stalled) if (until <= now) this.stalled.delete(id);
    return (await this.o.store.queue.readySessions(now)).filter((id) => !this.running.has(id) && !this.stalled.has(id));
  }

  private startRunner(sessionId: string, probe: boolean): void {
    const p = this.drainSession(sessionId, probe)
      .catch((err: unknown) => {
        // A store failure outside any one event (claim, budget lookup).
        this.recordError(err);
        this.o.log.error('Memory agent session error', { session: sessionId, error: err });
        return { claimed: 0, done: 0 };
      })
      .then(({ claimed }) => {
        this.running.delete(sessionId);
        // Offered as ready, yet nothing could be claimed: do not offer it again for a while, and
        // do not wake — that pass would offer nothing new. Anything claimed changed the queue
        // (done, or rescheduled), and during an outage the probe may wait only for this slot.
        if (claimed === 0) this.stalled.set(sessionId, Date.now() + STALL_MS);
        if (claimed > 0 || this.breaker.open) this.wake();
      });
    this.running.set(sessionId, p);
  }


  /** Idempotency records are kept only as long as a replay of their event is possible. */
  private async pruneSeen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const pruned = await this.o.store.queue.pruneSeen(now - SEEN_RETENTION_MS);
    if (pruned) this.o.log.info('Pruned idempotency records past retention', { pruned });
  }

  private reapIdleSessions(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (!this.running.has(id) && now - s.lastUsed > IDLE_SESSION_MS) {
        void s.provider.close();
        this.sessions.delete(id);
      }
    }
  }

  /**
   * Processes one session's ready events in batches, in order, until none is ready or processing
   * must stop. Says how many events it claimed and completed. A probe sends one request only.
   */
  private async drainSession(contentSessionId: string, probe: boolean): Promise<{ claimed: number; done: number }> {
    let done = 0;
    let claimed = 0;
    while (!this.stopped && this.provider && !this.paused && (probe || !this.breaker.open)) {
      if ((await this.budgetExhausted()) || (await this.sessionCapped(contentSessionId))) break;
      const settings = this.o.settings();
      const maxEvents = Math.max(1, getInt(settings, 'CLAUDE_MEM_BATCH_MAX_EVENTS'));
      // One more than a batch holds, to see whether the prompt went on past it.
      const rows = await this.o.store.queue.claim(contentSessionId, this.o.workerId, maxEvents + 1);
      if (!rows.length) break;
      claimed += rows.length;
      const { batch, rest, dueAt } = formBatch(rows, { maxEvents, idleMs: getInt(settings, 'CLAUDE_MEM_BATCH_IDLE_MS'), now: Date.now() });
      if (rest.length) await this.o.store.queue.release(rest.map((e) => e.id), 0);
      if (dueAt !== null) {
        // The prompt may still be running: wait for more of its tool calls (or its end).
        await this.o.store.queue.release(batch.map((e) => e.id), dueAt);
        break;
      }
      let ok: boolean;
      try {
        ok = await this.processBatch(batch, probe);
      } catch (err) {
        await this.releaseAfterInternalError(batch, err);
        break;
      }
      if (!ok) break;
      done += batch.length;
      if (probe) {
        this.recover();
        break;
      }
    }
    return { claimed, done };
  }

  /** The backend answered a probe: resume every session. */
  private recover(): void {
    const was = this.breaker.close();
    if (!was) return;
    this.o.log.info('Backend answered again; memory agent resumes', { downMs: was.downMs, probes: was.probes });
    this.o.bus.emit('status', { outage: null });
  }

  /**
   * Recording an outcome failed (a store error, not the backend). Without this the events would stay
   * claimed by this worker until a restart; release them for a later try instead, without counting
   * an attempt — the events are not at fault.
   */
  private async releaseAfterInternalError(batch: PendingEventRow[], err: unknown): Promise<void> {
    this.recordError(err);
    const ids = batch.map((e) => e.id);
    this.o.log.error('Memory agent could not record the outcome of a batch; it will be retried', {
      events: ids.join(','),
      session: batch[0].content_session_id,
      error: err,
    });
    try {
      await this.o.store.queue.fail(ids, redactSecrets(err instanceof Error ? err.message : String(err)), {
        retryAt: Date.now() + MAX_RETRY_AFTER_MS,
        maxAttempts: Infinity,
        countAttempt: false,
      });
    } catch (again) {
      this.o.log.error('Memory agent could not release the events either', { events: ids.join(','), error: again });
    }
  }

  private async sessionState(event: PendingEventRow): Promise<SessionState> {
    let state = this.sessions.get(event.content_session_id);
    if (!state) {
      state = {
        provider: this.provider!.startSession({ contentSessionId: event.content_session_id, project: event.project }),
        intro: null,
        promptNumber: null,
        userPrompt: null,
        window: [],
        recorded: [],
        lastUsed: Date.now(),
      };
      this.sessions.set(event.content_session_id, state);
    }
    const promptNumber = (event.payload as { prompt_number?: number | null }).prompt_number ?? null;
    if (state.intro === null || promptNumber !== state.promptNumber) {
      const session = await this.o.store.sessions.getSession(event.content_session_id);
      const prompt = session ? await this.o.store.sessions.latestPrompt(session.id) : null;
      state.userPrompt = prompt?.prompt_text ?? null;
      state.promptNumber = promptNumber;
      state.recorded = [];
      state.window = [];
      state.intro = {
        role: 'user',
        content: buildSessionIntroTurn({ project: event.project, userPrompt: state.userPrompt ?? '', promptNumber }),
      };
    }
    state.lastUsed = Date.now();
    return state;
  }

  /** The user turn for a batch: its tool calls (fields capped so the whole batch stays bounded), and the summary request when the turn ended. */
  private batchTurn(batch: PendingEventRow[], state: SessionState, related: RelatedObservation[]): string {
    const settings = this.o.settings();
    const tools = batch.filter((e) => e.kind === 'tool').map((e) => e.payload as ToolEventPayload);
    const end = batch.find((e) => e.kind === 'summarize');
    const lastAssistantMessage = end ? (end.payload as SummarizePayload).last_assistant_message : '';
    if (!tools.length) return buildSummaryTurn({ lastAssistantMessage, userPrompt: state.userPrompt, recorded: state.recorded });
    return buildBatchTurn({
      events: tools,
      maxFieldChars: fieldCapFor(tools.length, getInt(settings, 'CLAUDE_MEM_FIELD_MAX_CHARS'), BATCH_MAX_CHARS),
      recorded: state.recorded,
      summary: end ? { lastAssistantMessage } : null,
      related,
    });
  }

  /** Sends one request for the batch; returns false when the session's processing should stop for now. */
  private async processBatch(batch: PendingEventRow[], probe: boolean): Promise<boolean> {
    const settings = this.o.settings();
    const first = batch[0];
    const state = await this.sessionState(first);
    // What memory already holds about these files: the model may declare one of them superseded.
    const related = await relatedObservations(this.o.store, batch).catch((err: unknown) => {
      this.o.log.debug('Related observations unavailable', { error: err });
      return [] as RelatedObservation[];
    });
    const userTurn: Turn = { role: 'user', content: this.batchTurn(batch, state, related) };
    // Bounded history: the intro, a fixed acknowledgement, the last N exchanges, the new batch.
    const turns: Turn[] = [state.intro!, { role: 'assistant', content: '<skip/>' }, ...state.window, userTurn];
    const ids = batch.map((e) => e.id);
    const started = Date.now();
    this.o.log.info('Starting SDK query', {
      provider: this.providerInfo.provider,
      model: this.providerInfo.model,
      baseUrlHost: this.providerInfo.baseUrlHost,
      session: first.content_session_id,
      events: ids.join(','),
      kinds: [...new Set(batch.map((e) => e.kind))].join(','),
      attempt: first.attempts + 1,
      ...(probe ? { probe: true } : {}),
    });
    // One controller per request, tied to stop(): nothing accumulates on a long-lived signal.
    const request = new AbortController();
    const onStop = () => request.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    try {
      const res = await state.provider.send({ system: buildSystemPrompt(), turns, signal: request.signal });
      await this.o.store.queue.recordUsage(res.usage, { project: first.project, contentSessionId: first.content_session_id, model: res.model });
      this.o.log.info('Response received', {
        provider: this.providerInfo.provider,
        model: res.model,
        session: first.content_session_id,
        events: ids.join(','),
        inputTokens: res.usage.input_tokens,
        outputTokens: res.usage.output_tokens,
        cacheRead: res.usage.cache_read_tokens,
        cacheWrite: res.usage.cache_write_tokens,
        ms: Date.now() - started,
        requestId: res.requestId,
      });
      // The model's words are input too: a key it repeats (from a tool output it was shown, or
      // invented by a prompt injection) is redacted before it is stored or sent back as history.
      const replyText = redactSecrets(res.text);
      await this.storeResult(batch, state, replyText, res.usage, res.model, related);
      const historyTurns = Math.max(0, getInt(settings, 'CLAUDE_MEM_AGENT_HISTORY_TURNS'));
      // (slice(-0) would keep everything: with no history, keep none.)
      state.window = historyTurns === 0 ? [] : [...state.window, userTurn, { role: 'assistant' as const, content: replyText.trim() || '<skip/>' }].slice(-historyTurns * 2);
      if (batch.some((e) => e.kind === 'summarize')) {
        state.window = [];
        state.recorded = [];
      }
      return true;
    } catch (err) {
      if (!this.stopped) {
        this.recordError(err);
        this.o.log.error(`SDK query failed: ${err instanceof Error ? err.message : String(err)}`, {
          provider: this.providerInfo.provider,
          session: first.content_session_id,
          events: ids.join(','),
          ...(probe ? { probe: true } : {}),
        });
      }
      return this.handleFailure(batch, err, probe);
    } finally {
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }

  private async handleFailure(batch: PendingEventRow[], err: unknown, probe: boolean): Promise<boolean> {
    const message = redactSecrets(err instanceof Error ? err.message : String(err ?? 'stopped'));
    const settings = this.o.settings();
    const ids = batch.map((e) => e.id);
    const release = () => this.o.store.queue.fail(ids, message, { retryAt: 0, maxAttempts: Infinity, countAttempt: false });
    if (this.stopped) {
      // Shutting down: release the events untouched for the next start.
      await release();
      return false;
    }
    if (isOutage(err)) {
      // The backend is unavailable: the events are not at fault. Release them uncounted and pause
      // the whole agent until a probe gets an answer.
      await release();
      const wasOpen = this.breaker.open;
      this.breaker.trip(message, { probe, retryAfterSec: err.details.retryAfter });
      if (!wasOpen) {
        this.o.log.error('Backend unavailable: memory agent paused; it probes with one request until the backend answers', {
          error: message,
          nextProbeInMs: this.breaker.msUntilProbe(),
        });
      }
      this.o.bus.emit('status', { outage: this.breaker.snapshot() });
      return false;
    }
    // Whatever it said, the backend answered.
    if (probe) this.recover();
    const pe = err instanceof ProviderError ? err : null;
    // Credentials, quota or a model that does not exist: no event can succeed until the user
    // fixes the configuration. Keep every event queued, count nothing, and pause.
    const configProblem =
      pe !== null && (pe.kind === 'auth' || pe.kind === 'config' || pe.kind === 'quota' || (pe.kind === 'invalid_request' && pe.details.status === 404));
    if (configProblem) {
      await release();
      this.pause(err);
      return false;
    }
    // The backend answered, and refused this batch (or the reply could not be used): charge it.
    // Charged events are retried one at a time (formBatch), which isolates the one at fault.
    const attempts = batch[0].attempts + 1;
    const base = this.o.retryBaseMs ?? 1000;
    const { deadLettered } = await this.o.store.queue.fail(ids, message, {
      retryAt: Date.now() + base * 5 * 2 ** Math.min(attempts, 8),
      maxAttempts: getInt(settings, 'CLAUDE_MEM_QUEUE_MAX_ATTEMPTS'),
      countAttempt: true,
    });
    if (deadLettered.length) {
      this.o.log.error('Event dead-lettered after repeated failures', { events: deadLettered.join(','), session: batch[0].content_session_id, error: message });
    }
    this.o.bus.emit('queue', { depth: await this.o.store.queue.depth(), deadLettered });
    return false;
  }

  /**
   * Retires what the new observations replace: the ids the model declared (among those it was
   * shown), then by rule (same project, title and files, older). Reversible from the viewer/API.
   */
  private async supersede(results: Array<{ id: number; inserted: boolean }>, declared: number[][]): Promise<void> {
    for (const [i, r] of results.entries()) {
      if (!r.inserted) continue;
      try {
        for (const older of declared[i] ?? []) {
          if (await this.o.store.sessions.supersede(older, r.id)) this.o.log.info('Observation superseded', { older, newer: r.id });
        }
        const same = await this.o.store.sessions.supersedeSame(r.id);
        if (same.length) this.o.log.info('Observation superseded (same title and files)', { older: same.join(','), newer: r.id });
      } catch (err) {
        // The observation is stored; a failed link only leaves the older one current.
        this.o.log.warn('Could not record a supersede', { newer: r.id, error: err });
      }
    }
  }

  private async storeResult(
    batch: PendingEventRow[],
    state: SessionState,
    text: string,
    usage: TokenUsage,
    model: string,
    related: RelatedObservation[] = [],
  ) {
    const first = batch[0];
    const parsed = parseAgentReply(text);
    for (const w of parsed.warnings) this.o.log.debug('Reply parser', { events: batch.map((e) => e.id).join(','), note: w });
    const tools = batch.filter((e) => e.kind === 'tool').map((e) => e.payload as ToolEventPayload);
    const observations: ObservationInput[] = [];
    /** Per stored observation: the shown ids it declared superseded. */
    const supersedes: number[][] = [];
    // The events an observation came from: what a forget tombstones. With several calls in the
    // batch the reply does not say which produced which, so each carries all of them.
    const sourceIds = batch.map((e) => e.tool_use_id).filter((id): id is string => typeof id === 'string' && id !== '');
    if (tools.length) {
      const cwd = tools[0].cwd;
      const root = cwd ? (resolveProject(cwd).root ?? cwd) : null;
      const shown = new Set(related.map((r) => r.id));
      const share = shareUsage(usage, parsed.observations.length);
      const agentIds = new Set(tools.map((t) => t.agent_id ?? null));
      const touched = tools.map((t) => filesTouched(t.tool_name, t.tool_input));
      const allTouched = { read: touched.flatMap((t) => t.read), modified: touched.flatMap((t) => t.modified) };
      for (const p of parsed.observations) {
        // One call: its files are the observation's. Several: only those the observation names.
        const files = tools.length === 1 ? mergeFiles(p, touched[0], tools[0].cwd) : { ...p, ...filesForObservation(p, allTouched, tools[0].cwd) };
        const { supersedes: declared, ...rest } = p;
        const merged = { ...rest, files_read: files.files_read, files_modified: files.files_modified };
        // Only ids the model was shown: an invented number must not retire someone else's memory.
        supersedes.push((declared ?? []).filter((id) => shown.has(id)));
        state.recorded.push(`[${merged.type}] ${merged.title}`);
        if (state.recorded.length > 200) state.recorded.splice(0, state.recorded.length - 100);
        observations.push({
          content_session_id: first.content_session_id,
          project: first.project,
          ...merged,
          prompt_number: tools[0].prompt_number ?? null,
          agent_id: agentIds.size === 1 ? (tools[0].agent_id ?? null) : null,
          model,
          tokens: share,
          source_ids: sourceIds,
          file_hashes: captureFileHashes([...merged.files_read, ...merged.files_modified], root, cwd),
        });
      }
    }
    const end = batch.find((e) => e.kind === 'summarize');
    const summary =
      end && parsed.summary
        ? {
            content_session_id: first.content_session_id,
            project: first.project,
            ...parsed.summary,
            prompt_number: (end.payload as SummarizePayload).prompt_number ?? null,
            model,
            tokens: usage,
          }
        : null;
    const result = await this.o.store.queue.complete(batch.map((e) => e.id), { observations, summary });
    const newIds = result.observations.filter((r) => r.inserted).map((r) => r.id);
    await this.supersede(result.observations, supersedes);
    if (newIds.length) {
      for (const o of await this.o.store.sessions.getObservations(newIds)) this.o.bus.emit('observation', o);
    }
    if (result.summary?.inserted) {
      const [s] = await this.o.store.sessions.listSummaries({ projects: [first.project], limit: 1 });
      if (s) this.o.bus.emit('summary', s);
    }
    this.o.bus.emit('queue', { depth: await this.o.store.queue.depth() });
    this.o.log.debug('Batch processed', {
      events: batch.map((e) => e.id).join(','),
      observations: newIds.length,
      duplicates: result.observations.length - newIds.length,
      summary: result.summary?.inserted ?? false,
      skipped: parsed.skipped,
      tokens: usageTotal(usage),
    });
  }
}
