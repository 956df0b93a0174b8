// Team mode: shared projects live in PostgreSQL, everything else stays in the local SQLite store.
// Writes go to the store that holds the session (decided once, when the session starts); reads
// merge both. Ids never collide: a PostgreSQL store numbers its rows from SHARED_ID_BASE, so an id
// alone says which store a row (or a queued event) lives in.
import { matchesGlob } from '../capture/privacy.js';
import { remoteKey } from '../config/project.js';
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
import { SHARED_ID_BASE } from './postgres/ids.js';
import { buildMatchExpression } from './queryText.js';
import { addReceipts, type ForgetTarget } from './forgetTypes.js';
import type {
  Completion,
  CompletionResult,
  EnqueueResult,
  ExportSet,
  ImportOutcome,
  ImportSet,
  InsertResult,
  ListOptions,
  ProjectInfo,
  QueueRepository,
  SearchRepository,
  SessionRepository,
  Store,
  StoreCounts,
  StoreInfo,
  TimelineResult,
  VectorRanker,
} from './Store.js';

/** Decides from a project name and its git remote key whether the project is shared. */
export type ShareRule = (project: string, projectKey: string | null) => boolean;

/**
 * CLAUDE_MEM_SHARED_PROJECTS: comma-separated globs tried against the project name and its remote
 * key (`github.com/acme/*`). Empty means every project is shared (the database URL alone opts in).
 */
export function shareRule(globsCsv: string): ShareRule {
  const globs = globsCsv
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  if (globs.length === 0) return () => true;
  return (project, key) => globs.some((g) => matchesGlob(g, project) || (key !== null && matchesGlob(g, key)));
}

export const isSharedId = (id: number): boolean => id >= SHARED_ID_BASE;

type Timed = { id: number; created_at_epoch: number };
const newestFirst = (a: Timed, b: Timed) => b.created_at_epoch - a.created_at_epoch || b.id - a.id;

/** Merges two lists already sorted by cmp and returns the requested page. */
function mergePage<T>(a: T[], b: T[], cmp: (x: T, y: T) => number, offset: number, limit: number): T[] {
  return [...a, ...b].sort(cmp).slice(offset, offset + limit);
}

/** Alternates two relevance rankings (their scores are not comparable), then pages. */
function interleave<T>(a: T[], b: T[], offset: number, limit: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out.slice(offset, offset + limit);
}

/** Splits items between the two stores, runs each part, and puts the results back in input order. */
async function splitRun<I, O>(
  items: I[],
  toShared: (item: I) => boolean,
  run: (part: I[], shared: boolean) => Promise<O[]>,
): Promise<O[]> {
  const idx = { local: [] as number[], shared: [] as number[] };
  items.forEach((it, i) => (toShared(it) ? idx.shared : idx.local).push(i));
  const [lo, sh] = await Promise.all([
    idx.local.length ? run(idx.local.map((i) => items[i]), false) : [],
    idx.shared.length ? run(idx.shared.map((i) => items[i]), true) : [],
  ]);
  const out: O[] = new Array(items.length);
  idx.local.forEach((i, k) => (out[i] = lo[k]));
  idx.shared.forEach((i, k) => (out[i] = sh[k]));
  return out;
}

export class RoutingStore implements Store {
  readonly sessions: SessionRepository;
  readonly queue: QueueRepository;
  readonly search: SearchRepository;
  /** content_session_id → lives in the shared store. */
  private readonly placement = new Map<string, boolean>();

  constructor(
    readonly local: Store,
    readonly shared: Store,
    private readonly isShared: ShareRule,
  ) {
    this.sessions = this.sessionRepo();
    this.queue = this.queueRepo();
    this.search = this.searchRepo();
  }

  info(): StoreInfo {
    const l = this.local.info();
    const s = this.shared.info();
    return {
      backend: 'routing',
      location: `shared projects: ${s.location}; others: ${l.location}`,
      vectors: {
        available: l.vectors.available,
        note: `local: ${l.vectors.note}; shared: ${s.vectors.available ? s.vectors.note : `${s.vectors.note} (vectors not used for shared projects yet)`}`,
      },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.local.close(), this.shared.close()]);
  }

  private pick(shared: boolean): Store {
    return shared ? this.shared : this.local;
  }

  /** Where a session lives: remembered, else looked up in both stores; null when unknown. */
  private async placed(contentSessionId: string, platform = 'claude-code'): Promise<boolean | null> {
    const known = this.placement.get(`${platform}\u0000${contentSessionId}`);
    if (known !== undefined) return known;
    if (await this.local.sessions.getSession(contentSessionId, platform)) return this.remember(contentSessionId, platform, false);
    if (await this.shared.sessions.getSession(contentSessionId, platform)) return this.remember(contentSessionId, platform, true);
    return null;
  }

  private remember(contentSessionId: string, platform: string, shared: boolean): boolean {
    if (this.placement.size > 10_000) this.placement.clear();
    this.placement.set(`${platform}\u0000${contentSessionId}`, shared);
    return shared;
  }

  /** A record's store: its session's, else the share rule on its project. */
  private async forRecord(contentSessionId: string, project: string, projectKey?: string | null): Promise<Store> {
    const placed = await this.placed(contentSessionId);
    return this.pick(placed ?? this.isShared(project, projectKey ?? null));
  }

  private sessionRepo(): SessionRepository {
    const both = [this.local.sessions, this.shared.sessions] as const;
    const byId = (id: number) => (isSharedId(id) ? this.shared.sessions : this.local.sessions);
    const keyOf = (row: object) => ((row as { project_key?: unknown }).project_key as string | null | undefined) ?? null;
    return {
      upsertSession: async (args): Promise<SessionRow> => {
        const platform = args.platform ?? 'claude-code';
        const shared =
          (await this.placed(args.contentSessionId, platform)) ?? this.isShared(args.project, args.cwd ? remoteKey(args.cwd) : null);
        this.remember(args.contentSessionId, platform, shared);
        return this.pick(shared).sessions.upsertSession(args);
      },
      getSession: async (contentSessionId, platform = 'claude-code') => {
        const placed = await this.placed(contentSessionId, platform);
        return placed === null ? null : this.pick(placed).sessions.getSession(contentSessionId, platform);
      },
      addPrompt: (sessionId, text, createdAt) => byId(sessionId).addPrompt(sessionId, text, createdAt),
      skipPrompt: (sessionId) => byId(sessionId).skipPrompt(sessionId),
      latestPrompt: (sessionId) => byId(sessionId).latestPrompt(sessionId),
      endSession: async (contentSessionId, platform = 'claude-code') => {
        const placed = await this.placed(contentSessionId, platform);
        return placed === null ? false : this.pick(placed).sessions.endSession(contentSessionId, platform);
      },
      insertObservation: async (o: ObservationInput): Promise<InsertResult> =>
        (await this.forRecord(o.content_session_id, o.project, keyOf(o))).sessions.insertObservation(o),
      insertSummary: async (s: SummaryInput): Promise<InsertResult> =>
        (await this.forRecord(s.content_session_id, s.project, keyOf(s))).sessions.insertSummary(s),
      importAll: async (set: ImportSet): Promise<ImportOutcome> => {
        // Imports follow the share rule on each record's project (sessions may not exist yet).
        const rule = (r: { project: string }) => this.isShared(r.project, keyOf(r));
        const part = async <K extends keyof ImportSet>(kind: K) =>
          splitRun((set[kind] ?? []) as NonNullable<ImportSet[K]>[number][], rule, async (items, shared) => {
            const out = await this.pick(shared).sessions.importAll({ [kind]: items } as ImportSet);
            return out[kind];
          });
        return { observations: await part('observations'), summaries: await part('summaries'), prompts: await part('prompts') };
      },
      listObservations: async (opts: ListOptions = {}) => {
        const limit = opts.limit ?? 50;
        const offset = opts.offset ?? 0;
        const [a, b] = await Promise.all(both.map((s) => s.listObservations({ ...opts, limit: offset + limit, offset: 0 })));
        return { observations: mergePage(a.observations, b.observations, newestFirst, offset, limit), total: a.total + b.total };
      },
      getObservations: async (ids) => {
        const found = await splitRun(ids, isSharedId, async (part, shared) => {
          const rows = await this.pick(shared).sessions.getObservations(part);
          const byIdMap = new Map(rows.map((r) => [r.id, r]));
          return part.map((id) => byIdMap.get(id));
        });
        return found.filter((o): o is Observation => o !== undefined);
      },
      listSummaries: async (opts: ListOptions = {}) => {
        const limit = opts.limit ?? 50;
        const offset = opts.offset ?? 0;
        const [a, b] = await Promise.all(both.map((s) => s.listSummaries({ ...opts, limit: offset + limit, offset: 0 })));
        return mergePage<Summary>(a, b, newestFirst, offset, limit);
      },
      listPrompts: async (opts: ListOptions = {}) => {
        const limit = opts.limit ?? 50;
        const offset = opts.offset ?? 0;
        const [a, b] = await Promise.all(both.map((s) => s.listPrompts({ ...opts, limit: offset + limit, offset: 0 })));
        const time = (p: PromptRow) => Date.parse(p.created_at);
        return mergePage(a, b, (x, y) => time(y) - time(x) || y.id - x.id, offset, limit);
      },
      listProjects: async () => {
        const merged = new Map<string, ProjectInfo>();
        for (const list of await Promise.all(both.map((s) => s.listProjects()))) {
          for (const p of list) {
            const seen = merged.get(p.name);
            if (!seen) merged.set(p.name, { ...p });
            else {
              seen.observations += p.observations;
              if (p.lastActivity && (!seen.lastActivity || p.lastActivity > seen.lastActivity)) seen.lastActivity = p.lastActivity;
            }
          }
        }
        return [...merged.values()].sort(
          (a, b) => (b.lastActivity ?? '').localeCompare(a.lastActivity ?? '') || a.name.localeCompare(b.name),
        );
      },
      timeline: (args): Promise<TimelineResult> => byId(args.anchorId).timeline(args),
      observationsForFile: async (filePath, projects, limit) => {
        const [a, b] = await Promise.all(both.map((s) => s.observationsForFile(filePath, projects, limit)));
        return mergePage(a, b, newestFirst, 0, limit);
      },
      exportAll: async (projects): Promise<ExportSet> => {
        const [a, b] = await Promise.all(both.map((s) => s.exportAll(projects)));
        return {
          observations: [...a.observations, ...b.observations],
          summaries: [...a.summaries, ...b.summaries],
          prompts: [...a.prompts, ...b.prompts],
        };
      },
      forget: async (target: ForgetTarget, opts) => {
        // Ids say their store; a session or a project may have records in both.
        const part = (shared: boolean): ForgetTarget => ({
          ...target,
          ids: target.ids?.filter((id) => isSharedId(id) === shared),
          summaryIds: target.summaryIds?.filter((id) => isSharedId(id) === shared),
          promptIds: target.promptIds?.filter((id) => isSharedId(id) === shared),
        });
        const [a, b] = await Promise.all([this.local.sessions.forget(part(false), opts), this.shared.sessions.forget(part(true), opts)]);
        return addReceipts(a, b);
      },
      editObservation: (id, patch) => byId(id).editObservation(id, patch),
      supersede: async (olderId, newerId) =>
        newerId !== null && isSharedId(olderId) !== isSharedId(newerId) ? false : byId(olderId).supersede(olderId, newerId),
      supersedeSame: (newerId) => byId(newerId).supersedeSame(newerId),
      counts: async (): Promise<StoreCounts> => {
        const [a, b] = await Promise.all(both.map((s) => s.counts()));
        return {
          sessions: a.sessions + b.sessions,
          prompts: a.prompts + b.prompts,
          observations: a.observations + b.observations,
          summaries: a.summaries + b.summaries,
        };
      },
    };
  }

  private queueRepo(): QueueRepository {
    const l = this.local.queue;
    const s = this.shared.queue;
    const byId = (id: number) => (isSharedId(id) ? s : l);
    return {
      enqueue: async (contentSessionId: string, project: string, event: QueuedEvent): Promise<EnqueueResult> =>
        (await this.forRecord(contentSessionId, project)).queue.enqueue(contentSessionId, project, event),
      readySessions: async (now?: number) => {
        const [a, b] = await Promise.all([l.readySessions(now), s.readySessions(now)]);
        return [...new Set([...a, ...b])];
      },
      nextReadyAt: async (now?: number) => {
        const times = (await Promise.all([l.nextReadyAt(now), s.nextReadyAt(now)])).filter((t): t is number => t !== null);
        return times.length ? Math.min(...times) : null;
      },
      claim: async (contentSessionId, workerId, limit, now): Promise<PendingEventRow[]> => {
        const placed = await this.placed(contentSessionId);
        if (placed !== null) return this.pick(placed).queue.claim(contentSessionId, workerId, limit, now);
        const local = await l.claim(contentSessionId, workerId, limit, now);
        return local.length ? local : s.claim(contentSessionId, workerId, limit, now);
      },
      complete: async (eventIds: number[], result: Completion): Promise<CompletionResult> =>
        eventIds.length ? byId(eventIds[0]).complete(eventIds, result) : { observations: [], summary: null },
      fail: async (eventIds, error, opts) => {
        const [a, b] = await Promise.all([
          l.fail(eventIds.filter((id) => !isSharedId(id)), error, opts),
          s.fail(eventIds.filter(isSharedId), error, opts),
        ]);
        return { deadLettered: [...a.deadLettered, ...b.deadLettered] };
      },
      expireClaims: async (currentWorkerId, leaseMs, now) =>
        (await l.expireClaims(currentWorkerId, leaseMs, now)) + (await s.expireClaims(currentWorkerId, leaseMs, now)),
      release: async (eventIds, retryAt) => {
        await Promise.all([l.release(eventIds.filter((id) => !isSharedId(id)), retryAt), s.release(eventIds.filter(isSharedId), retryAt)]);
      },
      pruneSeen: async (before) => (await l.pruneSeen(before)) + (await s.pruneSeen(before)),
      depth: async () => (await l.depth()) + (await s.depth()),
      pending: async (limit = 100) => {
        const [a, b] = await Promise.all([l.pending(limit), s.pending(limit)]);
        return [...a, ...b].sort((x, y) => x.created_at.localeCompare(y.created_at) || x.id - y.id).slice(0, limit);
      },
      deadLetters: async (limit = 100): Promise<DeadLetterRow[]> => {
        const [a, b] = await Promise.all([l.deadLetters(limit), s.deadLetters(limit)]);
        return [...a, ...b].sort((x, y) => y.dead_at.localeCompare(x.dead_at) || y.id - x.id).slice(0, limit);
      },
      deadCount: async () => (await l.deadCount()) + (await s.deadCount()),
      retryDead: (id) => byId(id).retryDead(id),
      // The daily token budget is this machine's: it stays in the local store.
      // What this machine's memory agent spent lives with this machine (the local store).
      recordUsage: (usage: TokenUsage, key, now?: number) => l.recordUsage(usage, key, now),
      spentToday: (now?: number) => l.spentToday(now),
      sessionSpend: (contentSessionId) => l.sessionSpend(contentSessionId),
      usage: (by, sinceDay) => l.usage(by, sinceDay),
    };
  }

  private searchRepo(): SearchRepository {
    const l = this.local.search;
    const s = this.shared.search;
    return {
      search: async (q: SearchQuery): Promise<SearchResults> => {
        const limit = Math.max(1, Math.min(q.limit ?? 20, 500));
        const offset = Math.max(0, q.offset ?? 0);
        const deep = { ...q, limit: Math.min(offset + limit, 500), offset: 0 };
        const [a, b] = await Promise.all([l.search(deep), s.search(deep)]);
        // Without a searchable word both stores list by date (as they do for an explicit date order).
        const byDate = q.orderBy === 'date_asc' || q.orderBy === 'date_desc' || buildMatchExpression(q.query ?? '') === null;
        const asc = q.orderBy === 'date_asc';
        const order = <T extends Timed>(x: T[], y: T[]) =>
          byDate ? mergePage(x, y, (m, n) => (asc ? -newestFirst(m, n) : newestFirst(m, n)), offset, limit) : interleave(x, y, offset, limit);
        const promptTime = (p: PromptRow) => ({ ...p, created_at_epoch: Date.parse(p.created_at) });
        return {
          observations: order(a.observations, b.observations),
          sessions: order(a.sessions, b.sessions),
          prompts: order(a.prompts.map(promptTime), b.prompts.map(promptTime)).map(({ created_at_epoch: _e, ...p }) => p),
        };
      },
      // Vectors are the local store's (sqlite-vec ids); shared projects search by keyword.
      setVectorRanker: (ranker: VectorRanker | null) => l.setVectorRanker(ranker),
      get hybrid() {
        return l.hybrid;
      },
    };
  }
}
