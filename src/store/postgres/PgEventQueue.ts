// The durable event queue in PostgreSQL, shared by several workers. Each worker only sees the
// events it accepted itself (owner), claims them with FOR UPDATE SKIP LOCKED under a lease, and
// completes an event only while it still holds the claim: a claim that expired and was taken
// over by a restarted worker is not completed twice.
import type { DeadLetterRow, PendingEventRow, QueuedEvent, TokenUsage } from '../../api/types.js';
import { groupUsage, USAGE_GROUP_COLUMN, utcDay, type LedgerGroupRow } from '../rows.js';
import type { UsageGroup, UsageKey, UsageRow } from '../Store.js';
import type { StoreIdentity } from '../../config/identity.js';
import type { Completion, CompletionResult, EnqueueResult, QueueRepository } from '../Store.js';
import { withTx, type Pool } from './pgClient.js';
import { insertObservationPg, insertSummaryPg } from './PgSessionStore.js';

/** A claim older than this is free again (its worker died mid-event). */
export const DEFAULT_LEASE_MS = 10 * 60_000;

function toPending(r: Record<string, unknown>): PendingEventRow {
  const { owner: _owner, ...rest } = r;
  return {
    ...(rest as unknown as PendingEventRow),
    id: Number(r.id),
    attempts: Number(r.attempts),
    next_attempt_at: Number(r.next_attempt_at),
    claimed_at: r.claimed_at == null ? null : Number(r.claimed_at),
    payload: JSON.parse(String(r.payload)),
  };
}

export class PgEventQueue implements QueueRepository {
  /** Claims this process holds: event id → claimed_at, checked again at completion. */
  private readonly held = new Map<number, { by: string; at: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly identity: StoreIdentity,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  private get owner(): string {
    return this.identity.owner;
  }

  async enqueue(contentSessionId: string, project: string, event: QueuedEvent): Promise<EnqueueResult> {
    const toolUseId = event.kind === 'tool' ? event.payload.tool_use_id : null;
    return withTx(this.pool, async (c) => {
      if (toolUseId) {
        const seen = await c.query('INSERT INTO seen_tool_uses (tool_use_id, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          toolUseId,
          Date.now(),
        ]);
        if (seen.rowCount === 0) return { id: null, duplicate: true };
      }
      const r = await c.query(
        `INSERT INTO pending_events (content_session_id, project, owner, kind, payload, tool_use_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [contentSessionId, project, this.owner, event.kind, JSON.stringify(event.payload), toolUseId, new Date().toISOString()],
      );
      return { id: Number(r.rows[0].id), duplicate: false };
    });
  }

  /** Sessions whose head (oldest own event) is unclaimed (or its lease expired) and due; see the SQLite queue. */
  async readySessions(now = Date.now()): Promise<string[]> {
    const r = await this.pool.query(
      `SELECT p.content_session_id FROM pending_events p
       JOIN (SELECT MIN(id) AS head FROM pending_events WHERE owner = $1 GROUP BY content_session_id) h ON p.id = h.head
       WHERE (p.claimed_by IS NULL OR p.claimed_at < $2) AND p.next_attempt_at <= $3
       ORDER BY p.id`,
      [this.owner, now - this.leaseMs, now],
    );
    return r.rows.map((row) => String(row.content_session_id));
  }

  async nextReadyAt(now = Date.now()): Promise<number | null> {
    const r = await this.pool.query(
      `SELECT MIN(p.next_attempt_at) AS t FROM pending_events p
       JOIN (SELECT MIN(id) AS head FROM pending_events WHERE owner = $1 GROUP BY content_session_id) h ON p.id = h.head
       WHERE (p.claimed_by IS NULL OR p.claimed_at < $2) AND p.next_attempt_at > $3`,
      [this.owner, now - this.leaseMs, now],
    );
    const t = r.rows[0]?.t;
    return t == null ? null : Number(t);
  }

  /**
   * Claims up to `limit` of a session's oldest events, in order, stopping at the first one that is
   * not ready. Rows locked by a concurrent claimer are skipped (SKIP LOCKED); since that could skip
   * the head of the session, the locked rows are only taken while they match the session's true
   * head, so events are never claimed out of order or twice.
   */
  async claim(contentSessionId: string, workerId: string, limit: number, now = Date.now()): Promise<PendingEventRow[]> {
    return withTx(this.pool, async (c) => {
      const locked = await c.query(
        `SELECT * FROM pending_events WHERE content_session_id = $1 AND owner = $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [contentSessionId, this.owner, limit],
      );
      const head = await c.query(
        `SELECT id FROM pending_events WHERE content_session_id = $1 AND owner = $2 ORDER BY id LIMIT $3`,
        [contentSessionId, this.owner, limit],
      );
      const ready: Record<string, unknown>[] = [];
      for (let i = 0; i < locked.rows.length; i++) {
        const r = locked.rows[i] as Record<string, unknown>;
        if (Number(head.rows[i]?.id) !== Number(r.id)) break;
        const claimedLive = r.claimed_by != null && Number(r.claimed_at) >= now - this.leaseMs;
        if (claimedLive || Number(r.next_attempt_at) > now) break;
        ready.push(r);
      }
      if (ready.length === 0) return [];
      const ids = ready.map((r) => Number(r.id));
      await c.query('UPDATE pending_events SET claimed_by = $1, claimed_at = $2 WHERE id = ANY($3::bigint[])', [workerId, now, ids]);
      for (const id of ids) this.held.set(id, { by: workerId, at: now });
      return ready.map((r) => toPending({ ...r, claimed_by: workerId, claimed_at: now }));
    });
  }

  /**
   * Stores the results and deletes the events in one transaction. When this process claimed an
   * event but the claim is gone (lease expired and another claim took it), nothing is stored:
   * the current claimer will.
   */
  async complete(eventIds: number[], result: Completion): Promise<CompletionResult> {
    try {
      return await withTx(this.pool, async (c) => {
        const rows = await c.query('SELECT id, claimed_by, claimed_at FROM pending_events WHERE id = ANY($1::bigint[]) FOR UPDATE', [
          eventIds,
        ]);
        const current = new Map(rows.rows.map((r) => [Number(r.id), r]));
        for (const id of eventIds) {
          const mine = this.held.get(id);
          if (!mine) continue;
          const row = current.get(id);
          if (!row || row.claimed_by !== mine.by || Number(row.claimed_at) !== mine.at) {
            return { observations: [], summary: null };
          }
        }
        const observations = [];
        for (const o of result.observations ?? []) observations.push(await insertObservationPg(c, o, this.identity.author));
        const summary = result.summary ? await insertSummaryPg(c, result.summary, this.identity.author) : null;
        await c.query('DELETE FROM pending_events WHERE id = ANY($1::bigint[])', [eventIds]);
        return { observations, summary };
      });
    } finally {
      for (const id of eventIds) this.held.delete(id);
    }
  }

  async fail(
    eventIds: number[],
    error: string,
    opts: { retryAt: number; maxAttempts: number; countAttempt: boolean },
  ): Promise<{ deadLettered: number[] }> {
    for (const id of eventIds) this.held.delete(id);
    return withTx(this.pool, async (c) => {
      const dead: number[] = [];
      for (const id of eventIds) {
        const r = await c.query('SELECT * FROM pending_events WHERE id = $1 FOR UPDATE', [id]);
        const row = r.rows[0] as Record<string, unknown> | undefined;
        if (!row) continue;
        const attempts = Number(row.attempts) + (opts.countAttempt ? 1 : 0);
        if (opts.countAttempt && attempts >= opts.maxAttempts) {
          await c.query(
            `INSERT INTO dead_events (id, content_session_id, project, owner, kind, payload, tool_use_id, attempts, last_error, created_at, dead_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
            [row.id, row.content_session_id, row.project, row.owner, row.kind, row.payload, row.tool_use_id, attempts, error, row.created_at, new Date().toISOString()],
          );
          await c.query('DELETE FROM pending_events WHERE id = $1', [id]);
          dead.push(id);
        } else {
          await c.query(
            `UPDATE pending_events SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_by = NULL, claimed_at = NULL
             WHERE id = $4`,
            [attempts, error, Number.isFinite(opts.retryAt) ? opts.retryAt : 0, id],
          );
        }
      }
      return { deadLettered: dead };
    });
  }

  /**
   * Releases this owner's claims held by another worker id (an earlier run of this worker, which
   * is gone: one worker per data dir) or older than the lease. Other owners' claims are untouched.
   */
  async expireClaims(currentWorkerId: string, leaseMs: number, now = Date.now()): Promise<number> {
    const r = await this.pool.query(
      `UPDATE pending_events SET claimed_by = NULL, claimed_at = NULL
       WHERE owner = $1 AND claimed_by IS NOT NULL AND (claimed_by <> $2 OR claimed_at < $3)`,
      [this.owner, currentWorkerId, now - leaseMs],
    );
    return r.rowCount ?? 0;
  }

  async release(eventIds: number[], retryAt: number): Promise<void> {
    if (!eventIds.length) return;
    for (const id of eventIds) this.held.delete(id);
    await this.pool.query(
      'UPDATE pending_events SET claimed_by = NULL, claimed_at = NULL, next_attempt_at = $1 WHERE id = ANY($2::bigint[])',
      [retryAt, eventIds],
    );
  }

  async pruneSeen(before: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM seen_tool_uses s WHERE s.seen_at < $1
       AND NOT EXISTS (SELECT 1 FROM pending_events p WHERE p.tool_use_id = s.tool_use_id)`,
      [before],
    );
    return r.rowCount ?? 0;
  }

  async depth(): Promise<number> {
    const r = await this.pool.query('SELECT COUNT(*) AS n FROM pending_events WHERE owner = $1', [this.owner]);
    return Number(r.rows[0].n);
  }

  async pending(limit = 100): Promise<Omit<PendingEventRow, 'payload'>[]> {
    const r = await this.pool.query(
      `SELECT id, content_session_id, project, kind, tool_use_id, attempts, next_attempt_at, claimed_by, claimed_at,
         last_error, created_at FROM pending_events WHERE owner = $1 ORDER BY id LIMIT $2`,
      [this.owner, limit],
    );
    return r.rows as Omit<PendingEventRow, 'payload'>[];
  }

  async deadLetters(limit = 100): Promise<DeadLetterRow[]> {
    const r = await this.pool.query(
      `SELECT id, content_session_id, project, kind, tool_use_id, attempts, last_error, created_at, dead_at
       FROM dead_events WHERE owner = $1 ORDER BY dead_at DESC, id DESC LIMIT $2`,
      [this.owner, limit],
    );
    return r.rows as DeadLetterRow[];
  }

  async deadCount(): Promise<number> {
    const r = await this.pool.query('SELECT COUNT(*) AS n FROM dead_events WHERE owner = $1', [this.owner]);
    return Number(r.rows[0].n);
  }

  async retryDead(id: number): Promise<boolean> {
    return withTx(this.pool, async (c) => {
      const r = await c.query('DELETE FROM dead_events WHERE id = $1 AND owner = $2 RETURNING *', [id, this.owner]);
      const row = r.rows[0] as Record<string, unknown> | undefined;
      if (!row) return false;
      await c.query(
        `INSERT INTO pending_events (id, content_session_id, project, owner, kind, payload, tool_use_id, attempts, last_error, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`,
        [row.id, row.content_session_id, row.project, row.owner, row.kind, row.payload, row.tool_use_id, row.last_error, row.created_at],
      );
      return true;
    });
  }

  async recordUsage(usage: TokenUsage, key: UsageKey, now = Date.now()): Promise<void> {
    const u = [usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens];
    await this.pool.query(
      `INSERT INTO usage_ledger (owner, day, project, content_session_id, model, requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9)
       ON CONFLICT (owner, day, project, content_session_id, model) DO UPDATE SET requests = usage_ledger.requests + 1,
         input_tokens = usage_ledger.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_ledger.output_tokens + EXCLUDED.output_tokens,
         cache_read_tokens = usage_ledger.cache_read_tokens + EXCLUDED.cache_read_tokens,
         cache_write_tokens = usage_ledger.cache_write_tokens + EXCLUDED.cache_write_tokens`,
      [this.owner, utcDay(now), key.project, key.contentSessionId, key.model, ...u],
    );
    await this.pool.query(
      `INSERT INTO token_usage (owner, day, requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
       VALUES ($1, $2, 1, $3, $4, $5, $6)
       ON CONFLICT (owner, day) DO UPDATE SET requests = token_usage.requests + 1,
         input_tokens = token_usage.input_tokens + EXCLUDED.input_tokens,
         output_tokens = token_usage.output_tokens + EXCLUDED.output_tokens,
         cache_read_tokens = token_usage.cache_read_tokens + EXCLUDED.cache_read_tokens,
         cache_write_tokens = token_usage.cache_write_tokens + EXCLUDED.cache_write_tokens`,
      [this.owner, utcDay(now), usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens],
    );
  }

  async spentToday(now = Date.now()): Promise<number> {
    const r = await this.pool.query(
      `SELECT input_tokens + output_tokens + cache_read_tokens + cache_write_tokens AS n FROM token_usage WHERE owner = $1 AND day = $2`,
      [this.owner, utcDay(now)],
    );
    return r.rowCount ? Number(r.rows[0].n) : 0;
  }

  async sessionSpend(contentSessionId: string): Promise<number> {
    const r = await this.pool.query(
      `SELECT COALESCE(SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0) AS n FROM usage_ledger
       WHERE owner = $1 AND content_session_id = $2`,
      [this.owner, contentSessionId],
    );
    return Number(r.rows[0].n);
  }

  async usage(by: UsageGroup, sinceDay: string): Promise<UsageRow[]> {
    const r = await this.pool.query(
      `SELECT ${USAGE_GROUP_COLUMN[by]} AS key, model, SUM(requests) AS requests, SUM(input_tokens) AS input_tokens,
         SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens
       FROM usage_ledger WHERE owner = $1 AND day >= $2 GROUP BY key, model`,
      [this.owner, sinceDay],
    );
    return groupUsage(r.rows as LedgerGroupRow[]);
  }
}
