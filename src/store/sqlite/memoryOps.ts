// Forget, correct and supersede in the SQLite store. Forgetting removes a record everywhere it
// lives in the database file — its row, its full-text index entries (merged away, then zeroed by
// secure_delete), its vector, the queued events that carried its raw text — checkpoints the WAL
// so the text leaves that file too, and leaves tombstones (identities, never text) behind.
import type { Observation } from '../../api/types.js';
import { toObservation } from '../rows.js';
import { EMPTY_RECEIPT, FOREVER, tombstoneKeys, type ForgetReceipt, type ForgetTarget, type ObservationPatch } from '../forgetTypes.js';
import type { Db } from './Database.js';
import { deleteVectors } from './VectorIndex.js';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');

function jsonList(v: unknown): string[] {
  try {
    const p = JSON.parse(String(v ?? '[]'));
    return Array.isArray(p) ? p.map(String) : [];
  } catch {
    return [];
  }
}

/** True when any of these identities was forgotten. */
export function tombstoned(db: Db, keys: string[]): boolean {
  const stmt = db.prepare('SELECT 1 FROM tombstones WHERE key = ?');
  return keys.some((k) => stmt.get(k) !== undefined);
}

type Row = Record<string, unknown>;

interface Plan {
  observations: Row[];
  summaries: Row[];
  prompts: Row[];
  /** Sessions whose queued events all go (session or project forget). */
  sessions: string[];
}

function plan(db: Db, t: ForgetTarget): Plan {
  const obs = new Map<number, Row>();
  const sums = new Map<number, Row>();
  const prompts = new Map<number, Row>();
  const sessions = new Set<string>();
  const add = (m: Map<number, Row>, rows: Row[]) => rows.forEach((r) => m.set(Number(r.id), r));
  const OBS = 'SELECT id, content_session_id, content_hash, source_ids FROM observations';
  const SUM = 'SELECT id, content_session_id, content_hash FROM summaries';
  const PROMPT = `SELECT p.id, p.prompt_number, s.content_session_id FROM user_prompts p JOIN sessions s ON s.id = p.session_id`;
  const inProject = t.project ? ' AND project = ?' : '';
  const projectParam = t.project ? [t.project] : [];
  if (t.ids?.length) add(obs, db.prepare(`${OBS} WHERE id IN (${marks(t.ids.length)})${inProject}`).all(...t.ids, ...projectParam) as Row[]);
  if (t.summaryIds?.length) {
    add(sums, db.prepare(`${SUM} WHERE id IN (${marks(t.summaryIds.length)})${inProject}`).all(...t.summaryIds, ...projectParam) as Row[]);
  }
  if (t.promptIds?.length) {
    const pp = t.project ? ' AND s.project = ?' : '';
    add(prompts, db.prepare(`${PROMPT} WHERE p.id IN (${marks(t.promptIds.length)})${pp}`).all(...t.promptIds, ...projectParam) as Row[]);
  }
  if (t.session) {
    sessions.add(t.session);
    add(obs, db.prepare(`${OBS} WHERE content_session_id = ?`).all(t.session) as Row[]);
    add(sums, db.prepare(`${SUM} WHERE content_session_id = ?`).all(t.session) as Row[]);
    add(prompts, db.prepare(`${PROMPT} WHERE s.content_session_id = ?`).all(t.session) as Row[]);
  }
  if (t.project && t.all) {
    add(obs, db.prepare(`${OBS} WHERE project = ?`).all(t.project) as Row[]);
    add(sums, db.prepare(`${SUM} WHERE project = ?`).all(t.project) as Row[]);
    add(prompts, db.prepare(`${PROMPT} WHERE s.project = ?`).all(t.project) as Row[]);
    const ids = db
      .prepare('SELECT content_session_id FROM sessions WHERE project = ? UNION SELECT content_session_id FROM pending_events WHERE project = ?')
      .pluck()
      .all(t.project, t.project) as string[];
    ids.forEach((s) => sessions.add(s));
  }
  return { observations: [...obs.values()], summaries: [...sums.values()], prompts: [...prompts.values()], sessions: [...sessions] };
}

/** Removes (or, on a dry run, counts) what the target names. */
export function forgetSync(db: Db, target: ForgetTarget, dryRun: boolean): ForgetReceipt {
  const p = plan(db, target);
  const receipt = EMPTY_RECEIPT(dryRun);
  const obsIds = p.observations.map((r) => Number(r.id));
  const toolIds = [...new Set(p.observations.flatMap((r) => jsonList(r.source_ids)))];
  const keys = [
    ...toolIds.map(tombstoneKeys.tool),
    ...p.observations.map((r) => tombstoneKeys.observation(String(r.content_session_id), String(r.content_hash))),
    ...p.summaries.map((r) => tombstoneKeys.summary(String(r.content_session_id), String(r.content_hash))),
    ...p.prompts.map((r) => tombstoneKeys.prompt(String(r.content_session_id), Number(r.prompt_number))),
  ];
  const eventWhere = (table: string) => {
    const parts: string[] = [];
    const params: string[] = [];
    if (toolIds.length) {
      parts.push(`tool_use_id IN (${marks(toolIds.length)})`);
      params.push(...toolIds);
    }
    if (p.sessions.length) {
      parts.push(`content_session_id IN (${marks(p.sessions.length)})`);
      params.push(...p.sessions);
    }
    return parts.length ? { sql: `FROM ${table} WHERE ${parts.join(' OR ')}`, params } : null;
  };
  const events = ['pending_events', 'dead_events'].map(eventWhere);
  const countEvents = () =>
    events.reduce((n, e) => n + (e ? (db.prepare(`SELECT COUNT(*) ${e.sql}`).pluck().get(...e.params) as number) : 0), 0);

  receipt.observations = obsIds.length;
  receipt.summaries = p.summaries.length;
  receipt.prompts = p.prompts.length;
  receipt.ids = {
    observations: obsIds,
    summaries: p.summaries.map((r) => Number(r.id)),
    prompts: p.prompts.map((r) => Number(r.id)),
  };
  receipt.queuedEvents = countEvents();
  receipt.tombstones = new Set(keys).size;
  const vectorCount = () =>
    obsIds.length
      ? (db.prepare(`SELECT COUNT(*) FROM embedded_observations WHERE observation_id IN (${marks(obsIds.length)})`).pluck().get(...obsIds) as number)
      : 0;
  if (dryRun) {
    receipt.vectors = vectorCount();
    return receipt;
  }
  if (obsIds.length + p.summaries.length + p.prompts.length + receipt.queuedEvents === 0) return receipt;

  db.transaction(() => {
    const now = new Date().toISOString();
    const tomb = db.prepare('INSERT INTO tombstones (key, forgotten_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
    for (const k of new Set(keys)) tomb.run(k, now);
    // A replayed event stays a duplicate for ever (seen records are otherwise pruned after 45 days).
    const seen = db.prepare(
      'INSERT INTO seen_tool_uses (tool_use_id, seen_at) VALUES (?, ?) ON CONFLICT (tool_use_id) DO UPDATE SET seen_at = excluded.seen_at',
    );
    for (const id of toolIds) seen.run(id, FOREVER);
    for (const e of events) if (e) db.prepare(`DELETE ${e.sql}`).run(...e.params);
    receipt.vectors = deleteVectors(db, obsIds);
    const del = (sql: string, ids: number[]) => {
      const stmt = db.prepare(sql);
      for (const id of ids) stmt.run(id);
    };
    // A newer observation that is forgotten no longer hides the one it replaced.
    del('UPDATE observations SET superseded_by = NULL WHERE superseded_by = ?', obsIds);
    del('DELETE FROM observations WHERE id = ?', obsIds);
    del('DELETE FROM summaries WHERE id = ?', receipt.ids.summaries);
    del('DELETE FROM user_prompts WHERE id = ?', receipt.ids.prompts);
  })();
  if (!scrub(db, { observations: obsIds.length > 0, summaries: p.summaries.length > 0, prompts: p.prompts.length > 0 })) {
    receipt.note = 'another process is reading the database: its WAL file keeps the old pages until the next checkpoint';
  }
  return receipt;
}

/**
 * Makes deleted text leave the files: an FTS5 'delete' only appends a delete marker, so the index
 * segments still hold the terms until 'optimize' merges them away (the freed pages are zeroed by
 * secure_delete); the WAL still holds the old pages until a TRUNCATE checkpoint empties it.
 */
export function scrub(db: Db, touched: { observations: boolean; summaries: boolean; prompts: boolean }): boolean {
  if (touched.observations) db.exec(`INSERT INTO observations_fts (observations_fts) VALUES ('optimize')`);
  if (touched.summaries) db.exec(`INSERT INTO summaries_fts (summaries_fts) VALUES ('optimize')`);
  if (touched.prompts) db.exec(`INSERT INTO prompts_fts (prompts_fts) VALUES ('optimize')`);
  // Waits up to the busy timeout for readers; busy = 1 when one still holds an old snapshot.
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  return !r || r.busy === 0;
}

/** Applies a correction; the full-text index follows (trigger), the vector is rebuilt by the embedding worker. */
export function editObservationSync(db: Db, id: number, patch: ObservationPatch, searchTerms: (o: Observation) => string): Observation | null {
  const row = db.prepare('SELECT * FROM observations WHERE id = ?').get(id) as Row | undefined;
  if (!row) return null;
  const current = toObservation(row);
  const next = {
    title: patch.title ?? current.title,
    subtitle: patch.subtitle ?? current.subtitle,
    narrative: patch.narrative ?? current.narrative,
    facts: patch.facts ?? current.facts,
    concepts: patch.concepts ?? current.concepts,
    type: patch.type ?? current.type,
  };
  // content_hash stays: it is the record's identity, so re-importing an older export finds the
  // corrected row instead of bringing the uncorrected text back as a second one.
  db.transaction(() => {
    db.prepare(
      `UPDATE observations SET title = ?, subtitle = ?, narrative = ?, facts = ?, concepts = ?, type = ?, search_terms = ?, edited_at = ?
       WHERE id = ?`,
    ).run(
      next.title,
      next.subtitle,
      next.narrative,
      JSON.stringify(next.facts),
      JSON.stringify(next.concepts),
      next.type,
      searchTerms({ ...current, ...next }),
      new Date().toISOString(),
      id,
    );
    deleteVectors(db, [id]);
  })();
  return toObservation(db.prepare('SELECT * FROM observations WHERE id = ?').get(id) as Row);
}

/**
 * Marks `olderId` as replaced by `newerId` (null: current again). Refused (false) when either is
 * missing, they are the same, or they are in different projects.
 */
export function supersedeSync(db: Db, olderId: number, newerId: number | null): boolean {
  const older = db.prepare('SELECT id, project FROM observations WHERE id = ?').get(olderId) as Row | undefined;
  if (!older) return false;
  if (newerId !== null) {
    const newer = db.prepare('SELECT id, project FROM observations WHERE id = ?').get(newerId) as Row | undefined;
    if (!newer || newerId === olderId || newer.project !== older.project) return false;
  }
  return db.prepare('UPDATE observations SET superseded_by = ? WHERE id = ?').run(newerId, olderId).changes > 0;
}

/**
 * The rule-based supersede: older, still-current observations of the same project with the same
 * title and the same files are replaced by this newer one. Returns their ids.
 */
export function supersedeSameSync(db: Db, newerId: number): number[] {
  const n = db.prepare('SELECT * FROM observations WHERE id = ?').get(newerId) as Row | undefined;
  if (!n) return [];
  const olderIds = db
    .prepare(
      `SELECT id FROM observations WHERE project = ? AND title = ? AND files_read = ? AND files_modified = ?
       AND (files_read != '[]' OR files_modified != '[]') AND id != ? AND superseded_by IS NULL AND (created_at_epoch < ? OR (created_at_epoch = ? AND id < ?))`,
    )
    .pluck()
    .all(n.project, n.title, n.files_read, n.files_modified, newerId, n.created_at_epoch, n.created_at_epoch, newerId) as number[];
  const upd = db.prepare('UPDATE observations SET superseded_by = ? WHERE id = ?');
  db.transaction(() => olderIds.forEach((id) => upd.run(newerId, id)))();
  return olderIds;
}
