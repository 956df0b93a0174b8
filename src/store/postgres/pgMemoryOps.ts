// Forget, correct and supersede in the PostgreSQL store (same rules as sqlite/memoryOps.ts). The
// tsvector is a generated column, so the index follows the row; there is no vector table yet.
import type { Observation } from '../../api/types.js';
import { toObservation } from '../rows.js';
import { EMPTY_RECEIPT, FOREVER, tombstoneKeys, type ForgetReceipt, type ForgetTarget, type ObservationPatch } from '../forgetTypes.js';
import { withTx, type Pool, type Queryable } from './pgClient.js';
import { OBS_COLS } from './pgRows.js';

type Row = Record<string, unknown>;

function jsonList(v: unknown): string[] {
  try {
    const p = JSON.parse(String(v ?? '[]'));
    return Array.isArray(p) ? p.map(String) : [];
  } catch {
    return [];
  }
}

export async function tombstonedPg(q: Queryable, keys: string[]): Promise<boolean> {
  if (keys.length === 0) return false;
  const r = await q.query('SELECT 1 FROM tombstones WHERE key = ANY($1::text[]) LIMIT 1', [keys]);
  return (r.rowCount ?? 0) > 0;
}

export async function forgetPg(pool: Pool, t: ForgetTarget, dryRun: boolean): Promise<ForgetReceipt> {
  return withTx(pool, async (c) => {
    const obs = new Map<number, Row>();
    const sums = new Map<number, Row>();
    const prompts = new Map<number, Row>();
    const sessions = new Set<string>();
    const add = (m: Map<number, Row>, rows: Row[]) => rows.forEach((r) => m.set(Number(r.id), r));
    const OBS = 'SELECT id, content_session_id, content_hash, source_ids FROM observations';
    const SUM = 'SELECT id, content_session_id, content_hash FROM summaries';
    const PROMPT = 'SELECT p.id, p.prompt_number, s.content_session_id FROM user_prompts p JOIN sessions s ON s.id = p.session_id';
    const proj = t.project ?? null;
    // FOR UPDATE: a concurrent completion cannot slip a row in between counting and deleting.
    if (t.ids?.length) {
      add(obs, (await c.query(`${OBS} WHERE id = ANY($1::bigint[]) AND ($2::text IS NULL OR project = $2) FOR UPDATE`, [t.ids, proj])).rows);
    }
    if (t.summaryIds?.length) {
      add(sums, (await c.query(`${SUM} WHERE id = ANY($1::bigint[]) AND ($2::text IS NULL OR project = $2)`, [t.summaryIds, proj])).rows);
    }
    if (t.promptIds?.length) {
      add(prompts, (await c.query(`${PROMPT} WHERE p.id = ANY($1::bigint[]) AND ($2::text IS NULL OR s.project = $2)`, [t.promptIds, proj])).rows);
    }
    if (t.session) {
      sessions.add(t.session);
      add(obs, (await c.query(`${OBS} WHERE content_session_id = $1`, [t.session])).rows);
      add(sums, (await c.query(`${SUM} WHERE content_session_id = $1`, [t.session])).rows);
      add(prompts, (await c.query(`${PROMPT} WHERE s.content_session_id = $1`, [t.session])).rows);
    }
    if (t.project && t.all) {
      add(obs, (await c.query(`${OBS} WHERE project = $1`, [t.project])).rows);
      add(sums, (await c.query(`${SUM} WHERE project = $1`, [t.project])).rows);
      add(prompts, (await c.query(`${PROMPT} WHERE s.project = $1`, [t.project])).rows);
      const r = await c.query(
        'SELECT content_session_id FROM sessions WHERE project = $1 UNION SELECT content_session_id FROM pending_events WHERE project = $1',
        [t.project],
      );
      r.rows.forEach((row) => sessions.add(String(row.content_session_id)));
    }
    const o = [...obs.values()];
    const obsIds = o.map((r) => Number(r.id));
    const toolIds = [...new Set(o.flatMap((r) => jsonList(r.source_ids)))];
    const keys = new Set([
      ...toolIds.map(tombstoneKeys.tool),
      ...o.map((r) => tombstoneKeys.observation(String(r.content_session_id), String(r.content_hash))),
      ...[...sums.values()].map((r) => tombstoneKeys.summary(String(r.content_session_id), String(r.content_hash))),
      ...[...prompts.values()].map((r) => tombstoneKeys.prompt(String(r.content_session_id), Number(r.prompt_number))),
    ]);
    const receipt = EMPTY_RECEIPT(dryRun);
    receipt.observations = obsIds.length;
    receipt.summaries = sums.size;
    receipt.prompts = prompts.size;
    receipt.tombstones = keys.size;
    receipt.ids = { observations: obsIds, summaries: [...sums.keys()], prompts: [...prompts.keys()] };
    const eventWhere = 'WHERE tool_use_id = ANY($1::text[]) OR content_session_id = ANY($2::text[])';
    const eventParams = [toolIds, [...sessions]];
    for (const table of ['pending_events', 'dead_events']) {
      const r = await c.query(`SELECT COUNT(*) AS n FROM ${table} ${eventWhere}`, eventParams);
      receipt.queuedEvents += Number(r.rows[0].n);
    }
    if (dryRun) return receipt;
    const now = new Date().toISOString();
    if (keys.size) {
      await c.query('INSERT INTO tombstones (key, forgotten_at) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [[...keys], now]);
    }
    if (toolIds.length) {
      await c.query(
        `INSERT INTO seen_tool_uses (tool_use_id, seen_at) SELECT unnest($1::text[]), $2
         ON CONFLICT (tool_use_id) DO UPDATE SET seen_at = EXCLUDED.seen_at`,
        [toolIds, FOREVER],
      );
    }
    for (const table of ['pending_events', 'dead_events']) await c.query(`DELETE FROM ${table} ${eventWhere}`, eventParams);
    await c.query('UPDATE observations SET superseded_by = NULL WHERE superseded_by = ANY($1::bigint[])', [obsIds]);
    await c.query('DELETE FROM observations WHERE id = ANY($1::bigint[])', [obsIds]);
    await c.query('DELETE FROM summaries WHERE id = ANY($1::bigint[])', [receipt.ids.summaries]);
    await c.query('DELETE FROM user_prompts WHERE id = ANY($1::bigint[])', [receipt.ids.prompts]);
    return receipt;
  });
}

export async function editObservationPg(pool: Pool, id: number, patch: ObservationPatch): Promise<Observation | null> {
  const r = await pool.query(`SELECT ${OBS_COLS} FROM observations WHERE id = $1`, [id]);
  if (!r.rowCount) return null;
  const cur = toObservation(r.rows[0]);
  // content_hash stays (the record's identity): see the SQLite store.
  const u = await pool.query(
    `UPDATE observations SET title = $1, subtitle = $2, narrative = $3, facts = $4, concepts = $5, type = $6, edited_at = $7
     WHERE id = $8 RETURNING ${OBS_COLS}`,
    [
      patch.title ?? cur.title,
      patch.subtitle ?? cur.subtitle,
      patch.narrative ?? cur.narrative,
      JSON.stringify(patch.facts ?? cur.facts),
      JSON.stringify(patch.concepts ?? cur.concepts),
      patch.type ?? cur.type,
      new Date().toISOString(),
      id,
    ],
  );
  return u.rowCount ? toObservation(u.rows[0]) : null;
}

export async function supersedePg(pool: Pool, olderId: number, newerId: number | null): Promise<boolean> {
  const r = await pool.query(
    `UPDATE observations o SET superseded_by = $2 WHERE o.id = $1
     AND ($2::bigint IS NULL OR ($2 <> $1 AND EXISTS (SELECT 1 FROM observations n WHERE n.id = $2 AND n.project = o.project)))`,
    [olderId, newerId],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function supersedeSamePg(pool: Pool, newerId: number): Promise<number[]> {
  const r = await pool.query(
    `UPDATE observations o SET superseded_by = n.id FROM observations n
     WHERE n.id = $1 AND o.project = n.project AND o.title = n.title AND o.files_read = n.files_read
       AND o.files_modified = n.files_modified AND (n.files_read <> '[]' OR n.files_modified <> '[]')
       AND o.id <> n.id AND o.superseded_by IS NULL
       AND (o.created_at_epoch < n.created_at_epoch OR (o.created_at_epoch = n.created_at_epoch AND o.id < n.id))
     RETURNING o.id`,
    [newerId],
  );
  return r.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}
