// The durable event queue. An event is acknowledged to the hook only after enqueue() has
// committed; it leaves the queue only in the same transaction that stores what it produced,
// or by moving to dead_events after too many failed attempts.
import type {
  DeadLetterRow,
  ObservationInput,
  PendingEventRow,
  QueuedEvent,
  SummaryInput,
  TokenUsage,
} from '../../api/types.js';
import { groupUsage, USAGE_GROUP_COLUMN, utcDay, type LedgerGroupRow } from '../rows.js';
import type { UsageGroup, UsageKey, UsageRow } from '../Store.js';
import type { Db } from './Database.js';
import { insertObservationSync, insertSummarySync, type InsertResult } from './SessionStore.js';

export interface EnqueueResult {
  id: number | null;
  /** The tool_use_id was seen before: nothing new was queued. */
  duplicate: boolean;
}

export interface Completion {
  observations?: ObservationInput[];
  summary?: SummaryInput | null;
}

export interface CompletionResult {
  observations: InsertResult[];
  summary: InsertResult | null;
}

function toPending(r: Record<string, unknown>): PendingEventRow {
  return {
    ...(r as unknown as PendingEventRow),
    payload: JSON.parse(String(r.payload)),
  };
}


export class EventQueue {
  constructor(readonly db: Db) {}

  private pendingBatch: Array<{
    args: [string, string, QueuedEvent];
    resolve: (r: EnqueueResult) => void;
    reject: (e: unknown) => void;
  }> | null = null;

  /**
   * Group commit: enqueues that arrive in the same event-loop turn share one transaction (one
   * fsync). Each caller is answered only after that commit, so an acknowledgement still means
   * the event is on disk.
   */
  enqueue(contentSessionId: string, project: string, event: QueuedEvent): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      if (!this.pendingBatch) {
        this.pendingBatch = [];
        setImmediate(() => this.flushBatch());
      }
      this.pendingBatch.push({ args: [contentSessionId, project, event], resolve, reject });
    });
  }

  private flushBatch(): void {
    const batch = this.pendingBatch ?? [];
    this.pendingBatch = null;
    try {
      const results = this.db.transaction(() => batch.map((b) => this.enqueueOne(...b.args)))();
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch {
      // One bad event must not fail its neighbours: retry each in its own transaction.
      for (const b of batch) {
        try {
          b.resolve(this.db.transaction(() => this.enqueueOne(...b.args))());
        } catch (err) {
          b.reject(err);
        }
      }
    }
  }

  private enqueueOne(contentSessionId: string, project: string, event: QueuedEvent): EnqueueResult {
    const toolUseId = event.kind === 'tool' ? event.payload.tool_use_id : null;
    if (toolUseId) {
      const seen = this.db
        .prepare('INSERT INTO seen_tool_uses (tool_use_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(toolUseId, Date.now());
      if (seen.changes === 0) return { id: null, duplicate: true };
    }
    // Ids come from AUTOINCREMENT (migration 5): never reused, so a dead-lettered event's id stays its own.
    const res = this.db
      .prepare(
        `INSERT INTO pending_events (content_session_id, project, kind, payload, tool_use_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(contentSessionId, project, event.kind, JSON.stringify(event.payload), toolUseId, new Date().toISOString());
    return { id: Number(res.lastInsertRowid), duplicate: false };
  }

  /**
   * Sessions whose head (oldest event) is unclaimed and due, oldest first. Only the head counts:
   * claim() never skips it, so a session whose head waits for a retry must not be offered — the
   * agent would wake, claim nothing and wake again.
   */
  async readySessions(now = Date.now()): Promise<string[]> {
    return this.db
      .prepare(
        `SELECT p.content_session_id FROM pending_events p
         JOIN (SELECT MIN(id) AS head FROM pending_events GROUP BY content_session_id) h ON p.id = h.head
         WHERE p.claimed_by IS NULL AND p.next_attempt_at <= ?
         ORDER BY p.id`,
      )
      .pluck()
      .all(now) as string[];
  }

  async nextReadyAt(now = Date.now()): Promise<number | null> {
    const t = this.db
      .prepare(
        `SELECT MIN(p.next_attempt_at) FROM pending_events p
         JOIN (SELECT MIN(id) AS head FROM pending_events GROUP BY content_session_id) h ON p.id = h.head
         WHERE p.claimed_by IS NULL AND p.next_attempt_at > ?`,
      )
      .pluck()
      .get(now) as number | null;
    return t ?? null;
  }

  /**
   * Session ids that do not read back as they were written (a lone surrogate stored by an older
   * version that did not validate ids) can never be claimed by their read-back value. Re-key those
   * rows to the value they read back as, so the events are processed instead of stranded.
   * Returns the number of rows re-keyed.
   */
  repairSessionKeys(): number {
    const rows = this.db.prepare('SELECT id, content_session_id AS k FROM pending_events').all() as { id: number; k: string }[];
    const matches = this.db.prepare('SELECT 1 FROM pending_events WHERE content_session_id = ? LIMIT 1').pluck();
    const rekey = this.db.prepare('UPDATE pending_events SET content_session_id = ? WHERE id = ?');
    const unmatched = new Set([...new Set(rows.map((r) => r.k))].filter((k) => matches.get(k) === undefined));
    const stranded = rows.filter((r) => unmatched.has(r.k));
    this.db.transaction(() => stranded.forEach((r) => rekey.run(r.k, r.id)))();
    return stranded.length;
  }

  /**
   * Claims up to `limit` of a session's oldest events, in order. Stops at the first event that
   * is not ready (waiting for a retry) so that a session's events are never processed out of order.
   */
  async claim(contentSessionId: string, workerId: string, limit: number, now = Date.now()): Promise<PendingEventRow[]> {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT * FROM pending_events WHERE content_session_id = ? ORDER BY id LIMIT ?`)
        .all(contentSessionId, limit) as Record<string, unknown>[];
      const ready: Record<string, unknown>[] = [];
      for (const r of rows) {
        if (r.claimed_by != null || Number(r.next_attempt_at) > now) break;
        ready.push(r);
      }
      const mark = this.db.prepare('UPDATE pending_events SET claimed_by = ?, claimed_at = ? WHERE id = ?');
      for (const r of ready) mark.run(workerId, now, r.id);
      return ready.map((r) => toPending({ ...r, claimed_by: workerId, claimed_at: now }));
    })();
  }

  /** Stores the results and deletes the processed events in one transaction. */
  async complete(eventIds: number[], result: Completion): Promise<CompletionResult> {
    return this.db.transaction((): CompletionResult => {
      const observations = (result.observations ?? []).map((o) => insertObservationSync(this.db, o));
      const summary = result.summary ? insertSummarySync(this.db, result.summary) : null;
      const del = this.db.prepare('DELETE FROM pending_events WHERE id = ?');
      for (const id of eventIds) del.run(id);
      return { observations, summary };
    })();
  }

  /**
   * A failed attempt: counts it, schedules the retry, and dead-letters events that reached
   * maxAttempts. With countAttempt=false (auth/config/budget: not the event's fault) the events
   * are only released.
   */
  async fail(
    eventIds: number[],
    error: string,
    opts: { retryAt: number; maxAttempts: number; countAttempt: boolean },
  ): Promise<{ deadLettered: number[] }> {
    return this.db.transaction(() => {
      const dead: number[] = [];
      for (const id of eventIds) {
        const row = this.db.prepare('SELECT * FROM pending_events WHERE id = ?').get(id) as
          | Record<string, unknown>
          | undefined;
        if (!row) continue;
        const attempts = Number(row.attempts) + (opts.countAttempt ? 1 : 0);
        if (opts.countAttempt && attempts >= opts.maxAttempts) {
          this.db
            .prepare(
              `INSERT INTO dead_events (id, content_session_id, project, kind, payload, tool_use_id, attempts, last_error, created_at, dead_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              row.id,
              row.content_session_id,
              row.project,
              row.kind,
              row.payload,
              row.tool_use_id,
              attempts,
              error,
              row.created_at,
              new Date().toISOString(),
            );
          this.db.prepare('DELETE FROM pending_events WHERE id = ?').run(id);
          dead.push(id);
        } else {
          this.db
            .prepare(
              `UPDATE pending_events SET attempts = ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_at = NULL
               WHERE id = ?`,
            )
            .run(attempts, error, opts.retryAt, id);
        }
      }
      return { deadLettered: dead };
    })();
  }

  /** Releases claims not held by `currentWorkerId` or older than the lease (dead workers). */
  async expireClaims(currentWorkerId: string, leaseMs: number, now = Date.now()): Promise<number> {
    return this.db
      .prepare(
        `UPDATE pending_events SET claimed_by = NULL, claimed_at = NULL
         WHERE claimed_by IS NOT NULL AND (claimed_by != ? OR claimed_at < ?)`,
      )
      .run(currentWorkerId, now - leaseMs).changes;
  }

  async release(eventIds: number[], retryAt: number): Promise<void> {
    const stmt = this.db.prepare('UPDATE pending_events SET claimed_by = NULL, claimed_at = NULL, next_attempt_at = ? WHERE id = ?');
    this.db.transaction(() => eventIds.forEach((id) => stmt.run(retryAt, id)))();
  }

  async pruneSeen(before: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM seen_tool_uses WHERE seen_at < ?
         AND NOT EXISTS (SELECT 1 FROM pending_events p WHERE p.tool_use_id = seen_tool_uses.tool_use_id)`,
      )
      .run(before).changes;
  }

  async depth(): Promise<number> {
    return this.db.prepare('SELECT COUNT(*) FROM pending_events').pluck().get() as number;
  }

  async pending(limit = 100): Promise<Omit<PendingEventRow, 'payload'>[]> {
    return this.db
      .prepare(
        `SELECT id, content_session_id, project, kind, tool_use_id, attempts, next_attempt_at, claimed_by, claimed_at,
           last_error, created_at FROM pending_events ORDER BY id LIMIT ?`,
      )
      .all(limit) as Omit<PendingEventRow, 'payload'>[];
  }

  async deadLetters(limit = 100): Promise<DeadLetterRow[]> {
    return this.db
      .prepare(
        `SELECT id, content_session_id, project, kind, tool_use_id, attempts, last_error, created_at, dead_at
         FROM dead_events ORDER BY dead_at DESC, id DESC LIMIT ?`,
      )
      .all(limit) as DeadLetterRow[];
  }

  async deadCount(): Promise<number> {
    return this.db.prepare('SELECT COUNT(*) FROM dead_events').pluck().get() as number;
  }

  /** Moves a dead-lettered event back to the queue with a fresh attempt budget. */
  async retryDead(id: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM dead_events WHERE id = ?').get(id) as
        | Record<string, unknown>
        | undefined;
      if (!row) return false;
      this.db
        .prepare(
          `INSERT INTO pending_events (id, content_session_id, project, kind, payload, tool_use_id, attempts, last_error, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        )
        .run(row.id, row.content_session_id, row.project, row.kind, row.payload, row.tool_use_id, row.last_error, row.created_at);
      this.db.prepare('DELETE FROM dead_events WHERE id = ?').run(id);
      return true;
    })();
  }

  async recordUsage(usage: TokenUsage, key: UsageKey, now = Date.now()): Promise<void> {
    const day = utcDay(now);
    const u = [usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens];
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO usage_ledger (day, project, content_session_id, model, requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
           VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
           ON CONFLICT (day, project, content_session_id, model) DO UPDATE SET requests = requests + 1,
             input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
             cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
             cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`,
        )
        .run(day, key.project, key.contentSessionId, key.model, ...u);
      this.db
        .prepare(
        `INSERT INTO token_usage (day, requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
         VALUES (?, 1, ?, ?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET requests = requests + 1,
           input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
           cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
           cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`,
        )
        .run(day, ...u);
    })();
  }

  async sessionSpend(contentSessionId: string): Promise<number> {
    return this.db
      .prepare(
        `SELECT COALESCE(SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0) FROM usage_ledger
         WHERE content_session_id = ?`,
      )
      .pluck()
      .get(contentSessionId) as number;
  }

  async usage(by: UsageGroup, sinceDay: string): Promise<UsageRow[]> {
    const rows = this.db
      .prepare(
        `SELECT ${USAGE_GROUP_COLUMN[by]} AS key, model, SUM(requests) AS requests, SUM(input_tokens) AS input_tokens,
           SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens
         FROM usage_ledger WHERE day >= ? GROUP BY key, model`,
      )
      .all(sinceDay) as LedgerGroupRow[];
    return groupUsage(rows);
  }

  /** Tokens spent today (UTC): input + output + cache writes + cache reads. */
  async spentToday(now = Date.now()): Promise<number> {
    const r = this.db
      .prepare(
        `SELECT input_tokens + output_tokens + cache_read_tokens + cache_write_tokens FROM token_usage WHERE day = ?`,
      )
      .pluck()
      .get(utcDay(now)) as number | undefined;
    return r ?? 0;
  }
}
