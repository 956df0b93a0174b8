// Sessions, prompts, observations and summaries in PostgreSQL (same contract as the SQLite
// SessionStore). Project filters also match clones of the same repository under another name.
import type { StoreIdentity } from '../../config/identity.js';
import { remoteKey } from '../../config/project.js';
import type { Observation, ObservationInput, PromptRow, SessionRow, Summary, SummaryInput } from '../../api/types.js';
import { contentHash, timeColumns, toObservation, toPrompt, toSummary, tokenColumns } from '../rows.js';
import type {
  ExportSet,
  ImportOutcome,
  ImportSet,
  InsertResult,
  ListOptions,
  ProjectInfo,
  PromptImport,
  SessionRepository,
  StoreCounts,
  TimelineResult,
} from '../Store.js';
import { withTx, type Pool, type Queryable } from './pgClient.js';
import { expandProjects, givenIdentity, OBS_COLS, PROMPT_COLS, SUMMARY_COLS } from './pgRows.js';
import { tombstoneKeys, type ForgetReceipt, type ForgetTarget, type ObservationPatch } from '../forgetTypes.js';
import { editObservationPg, forgetPg, supersedePg, supersedeSamePg, tombstonedPg } from './pgMemoryOps.js';

const PROMPT_FROM = `FROM user_prompts p JOIN sessions s ON s.id = p.session_id`;

// Author and project key: given on the row (a copy from another store), else the session's, else ours.
const IDENTITY_SQL = (authorParam: string, keyParam: string, sessionParam: string, fallbackAuthor: string) =>
  `COALESCE(${authorParam}, (SELECT author FROM sessions WHERE content_session_id = ${sessionParam} ORDER BY id LIMIT 1), ${fallbackAuthor}),
   COALESCE(${keyParam}, (SELECT project_key FROM sessions WHERE content_session_id = ${sessionParam} ORDER BY id LIMIT 1))`;

export async function insertObservationPg(q: Queryable, o: ObservationInput, author: string): Promise<InsertResult> {
  const hash = contentHash(o.title, o.narrative);
  // Forgotten: by identity (import of an older export) or by a producing event (replay, retry).
  const keys = [tombstoneKeys.observation(o.content_session_id, hash), ...(o.source_ids ?? []).map(tombstoneKeys.tool)];
  if (await tombstonedPg(q, keys)) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(o.created_at);
  const tk = tokenColumns(o.tokens);
  const id = givenIdentity(o);
  const r = await q.query(
    `INSERT INTO observations (content_session_id, project, type, title, subtitle, narrative, facts, concepts,
       files_read, files_modified, prompt_number, agent_id, model, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, content_hash, created_at, created_at_epoch, author, project_key,
       source_ids, file_hashes, superseded_by, edited_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
       ${IDENTITY_SQL('$21::text', '$22::text', '$1', '$23::text')}, $24, $25, $26, $27)
     ON CONFLICT (content_session_id, content_hash) DO NOTHING RETURNING id`,
    [
      o.content_session_id,
      o.project,
      o.type,
      o.title,
      o.subtitle ?? '',
      o.narrative ?? '',
      JSON.stringify(o.facts ?? []),
      JSON.stringify(o.concepts ?? []),
      JSON.stringify(o.files_read ?? []),
      JSON.stringify(o.files_modified ?? []),
      o.prompt_number ?? null,
      o.agent_id ?? null,
      o.model ?? null,
      tk.input_tokens,
      tk.output_tokens,
      tk.cache_read_tokens,
      tk.cache_write_tokens,
      hash,
      t.created_at,
      t.created_at_epoch,
      id.author,
      id.project_key,
      author,
      JSON.stringify(o.source_ids ?? []),
      o.file_hashes ? JSON.stringify(o.file_hashes) : null,
      o.superseded_by ?? null,
      o.edited_at ?? null,
    ],
  );
  if (r.rowCount) return { id: Number(r.rows[0].id), inserted: true };
  const existing = await q.query('SELECT id FROM observations WHERE content_session_id = $1 AND content_hash = $2', [
    o.content_session_id,
    hash,
  ]);
  return { id: Number(existing.rows[0].id), inserted: false };
}

export async function insertSummaryPg(q: Queryable, s: SummaryInput, author: string): Promise<InsertResult> {
  const hash = contentHash(s.request, s.investigated, s.learned, s.completed, s.next_steps, s.notes);
  if (await tombstonedPg(q, [tombstoneKeys.summary(s.content_session_id, hash)])) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(s.created_at);
  const tk = tokenColumns(s.tokens);
  const id = givenIdentity(s);
  const r = await q.query(
    `INSERT INTO summaries (content_session_id, project, request, investigated, learned, completed, next_steps, notes,
       prompt_number, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, content_hash,
       created_at, created_at_epoch, author, project_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
       ${IDENTITY_SQL('$18::text', '$19::text', '$1', '$20::text')})
     ON CONFLICT (content_session_id, content_hash) DO NOTHING RETURNING id`,
    [
      s.content_session_id,
      s.project,
      s.request ?? '',
      s.investigated ?? '',
      s.learned ?? '',
      s.completed ?? '',
      s.next_steps ?? '',
      s.notes ?? '',
      s.prompt_number ?? null,
      s.model ?? null,
      tk.input_tokens,
      tk.output_tokens,
      tk.cache_read_tokens,
      tk.cache_write_tokens,
      hash,
      t.created_at,
      t.created_at_epoch,
      id.author,
      id.project_key,
      author,
    ],
  );
  if (r.rowCount) return { id: Number(r.rows[0].id), inserted: true };
  const existing = await q.query('SELECT id FROM summaries WHERE content_session_id = $1 AND content_hash = $2', [
    s.content_session_id,
    hash,
  ]);
  return { id: Number(existing.rows[0].id), inserted: false };
}

async function importPromptPg(q: Queryable, p: PromptImport, identity: StoreIdentity): Promise<InsertResult> {
  if (await tombstonedPg(q, [tombstoneKeys.prompt(p.content_session_id, p.prompt_number)])) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(p.created_at);
  await q.query(
    `INSERT INTO sessions (content_session_id, platform, project, cwd, status, started_at, owner, author)
     VALUES ($1, 'claude-code', $2, '', 'ended', $3, $4, $5) ON CONFLICT DO NOTHING`,
    [p.content_session_id, p.project, t.created_at, identity.owner, givenIdentity(p).author ?? identity.author],
  );
  const sid = Number(
    (await q.query(`SELECT id FROM sessions WHERE content_session_id = $1 AND platform = 'claude-code'`, [p.content_session_id]))
      .rows[0].id,
  );
  const r = await q.query(
    `INSERT INTO user_prompts (session_id, prompt_number, prompt_text, created_at, created_at_epoch)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, prompt_number) DO NOTHING RETURNING id`,
    [sid, p.prompt_number, p.prompt_text, t.created_at, t.created_at_epoch],
  );
  await q.query('UPDATE sessions SET prompt_counter = GREATEST(prompt_counter, $1) WHERE id = $2', [p.prompt_number, sid]);
  if (r.rowCount) return { id: Number(r.rows[0].id), inserted: true };
  const existing = await q.query('SELECT id FROM user_prompts WHERE session_id = $1 AND prompt_number = $2', [sid, p.prompt_number]);
  return { id: Number(existing.rows[0].id), inserted: false };
}

function toSession(r: Record<string, unknown>): SessionRow {
  return { ...(r as unknown as SessionRow), id: Number(r.id), prompt_counter: Number(r.prompt_counter) };
}

type Rows = Record<string, unknown>[];

export class PgSessionStore implements SessionRepository {
  constructor(
    private readonly pool: Pool,
    private readonly identity: StoreIdentity,
  ) {}

  async upsertSession(args: { contentSessionId: string; project: string; cwd: string; platform?: string }): Promise<SessionRow> {
    const platform = args.platform ?? 'claude-code';
    const r = await this.pool.query(
      `INSERT INTO sessions (content_session_id, platform, project, cwd, started_at, owner, author, project_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (content_session_id, platform) DO UPDATE SET status = 'active', ended_at = NULL
       RETURNING *`,
      [
        args.contentSessionId,
        platform,
        args.project,
        args.cwd,
        new Date().toISOString(),
        this.identity.owner,
        this.identity.author,
        args.cwd ? remoteKey(args.cwd) : null,
      ],
    );
    return toSession(r.rows[0]);
  }

  async getSession(contentSessionId: string, platform = 'claude-code'): Promise<SessionRow | null> {
    const r = await this.pool.query('SELECT * FROM sessions WHERE content_session_id = $1 AND platform = $2', [
      contentSessionId,
      platform,
    ]);
    return r.rowCount ? toSession(r.rows[0]) : null;
  }

  async addPrompt(sessionId: number, text: string, createdAt?: string): Promise<number> {
    return withTx(this.pool, async (c) => {
      const r = await c.query('UPDATE sessions SET prompt_counter = prompt_counter + 1 WHERE id = $1 RETURNING prompt_counter', [
        sessionId,
      ]);
      const n = r.rowCount ? Number(r.rows[0].prompt_counter) : 1;
      const t = timeColumns(createdAt);
      await c.query(
        'INSERT INTO user_prompts (session_id, prompt_number, prompt_text, created_at, created_at_epoch) VALUES ($1, $2, $3, $4, $5)',
        [sessionId, n, text, t.created_at, t.created_at_epoch],
      );
      return n;
    });
  }

  async skipPrompt(sessionId: number): Promise<void> {
    await this.pool.query('UPDATE sessions SET prompt_counter = prompt_counter + 1 WHERE id = $1', [sessionId]);
  }

  async latestPrompt(sessionId: number): Promise<PromptRow | null> {
    const r = await this.pool.query(
      `SELECT ${PROMPT_COLS} ${PROMPT_FROM} WHERE p.session_id = $1 ORDER BY p.prompt_number DESC LIMIT 1`,
      [sessionId],
    );
    return r.rowCount ? toPrompt(r.rows[0]) : null;
  }

  async endSession(contentSessionId: string, platform = 'claude-code'): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE sessions SET status = 'ended', ended_at = $1 WHERE content_session_id = $2 AND platform = $3`,
      [new Date().toISOString(), contentSessionId, platform],
    );
    return (r.rowCount ?? 0) > 0;
  }

  insertObservation(o: ObservationInput): Promise<InsertResult> {
    return insertObservationPg(this.pool, o, this.identity.author);
  }

  insertSummary(s: SummaryInput): Promise<InsertResult> {
    return insertSummaryPg(this.pool, s, this.identity.author);
  }

  async importAll(set: ImportSet): Promise<ImportOutcome> {
    return withTx(this.pool, async (c) => {
      const out: ImportOutcome = { observations: [], summaries: [], prompts: [] };
      for (const o of set.observations ?? []) out.observations.push(await insertObservationPg(c, o, this.identity.author));
      for (const s of set.summaries ?? []) out.summaries.push(await insertSummaryPg(c, s, this.identity.author));
      for (const p of set.prompts ?? []) out.prompts.push(await importPromptPg(c, p, this.identity));
      return out;
    });
  }

  async listObservations(opts: ListOptions = {}): Promise<{ observations: Observation[]; total: number }> {
    const projects = await expandProjects(this.pool, opts.projects);
    const where = projects ? 'WHERE project = ANY($1::text[])' : '';
    const params: unknown[] = projects ? [projects] : [];
    const rows = await this.pool.query(
      `SELECT ${OBS_COLS} FROM observations ${where} ORDER BY created_at_epoch DESC, id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit ?? 50, opts.offset ?? 0],
    );
    const total = await this.pool.query(`SELECT COUNT(*) AS n FROM observations ${where}`, params);
    return { observations: (rows.rows as Rows).map(toObservation), total: Number(total.rows[0].n) };
  }

  async getObservations(ids: number[]): Promise<Observation[]> {
    const wanted = ids.filter((id) => Number.isSafeInteger(id));
    if (wanted.length === 0) return [];
    const r = await this.pool.query(`SELECT ${OBS_COLS} FROM observations WHERE id = ANY($1::bigint[])`, [wanted]);
    const byId = new Map((r.rows as Rows).map((row) => [Number(row.id), toObservation(row)]));
    return ids.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
  }

  async listSummaries(opts: ListOptions = {}): Promise<Summary[]> {
    const projects = await expandProjects(this.pool, opts.projects);
    const where = projects ? 'WHERE project = ANY($1::text[])' : '';
    const params: unknown[] = projects ? [projects] : [];
    const r = await this.pool.query(
      `SELECT ${SUMMARY_COLS} FROM summaries ${where} ORDER BY created_at_epoch DESC, id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit ?? 50, opts.offset ?? 0],
    );
    return (r.rows as Rows).map(toSummary);
  }

  async listPrompts(opts: ListOptions = {}): Promise<PromptRow[]> {
    const projects = await expandProjects(this.pool, opts.projects);
    const where = projects ? 'WHERE s.project = ANY($1::text[])' : '';
    const params: unknown[] = projects ? [projects] : [];
    const r = await this.pool.query(
      `SELECT ${PROMPT_COLS} ${PROMPT_FROM} ${where} ORDER BY p.created_at_epoch DESC, p.id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit ?? 50, opts.offset ?? 0],
    );
    return (r.rows as Rows).map(toPrompt);
  }

  async listProjects(): Promise<ProjectInfo[]> {
    const r = await this.pool.query(
      `SELECT p.project AS name, COUNT(o.id) AS observations, MAX(o.created_at) AS "lastActivity"
       FROM (SELECT DISTINCT project FROM sessions UNION SELECT DISTINCT project FROM observations) p
       LEFT JOIN observations o ON o.project = p.project
       GROUP BY p.project ORDER BY "lastActivity" DESC NULLS LAST, p.project`,
    );
    return (r.rows as Rows).map((row) => ({
      name: String(row.name),
      observations: Number(row.observations),
      lastActivity: (row.lastActivity as string | null) ?? null,
    }));
  }

  async timeline(args: { anchorId: number; projects?: string[]; before: number; after: number }): Promise<TimelineResult> {
    const [anchor] = await this.getObservations([args.anchorId]);
    if (!anchor) return { anchor: null, observations: [], summaries: [], prompts: [] };
    const projects = (await expandProjects(this.pool, args.projects?.length ? args.projects : [anchor.project]))!;
    const e = anchor.created_at_epoch;
    const before = await this.pool.query(
      `SELECT ${OBS_COLS} FROM observations WHERE (created_at_epoch < $1 OR (created_at_epoch = $1 AND id < $2))
       AND project = ANY($3::text[]) ORDER BY created_at_epoch DESC, id DESC LIMIT $4`,
      [e, anchor.id, projects, args.before],
    );
    const after = await this.pool.query(
      `SELECT ${OBS_COLS} FROM observations WHERE (created_at_epoch > $1 OR (created_at_epoch = $1 AND id > $2))
       AND project = ANY($3::text[]) ORDER BY created_at_epoch ASC, id ASC LIMIT $4`,
      [e, anchor.id, projects, args.after],
    );
    const observations = [...(before.rows as Rows).reverse().map(toObservation), anchor, ...(after.rows as Rows).map(toObservation)];
    const from = observations[0].created_at_epoch;
    const to = observations[observations.length - 1].created_at_epoch;
    const summaries = await this.pool.query(
      `SELECT ${SUMMARY_COLS} FROM summaries WHERE created_at_epoch BETWEEN $1 AND $2 AND project = ANY($3::text[])
       ORDER BY created_at_epoch LIMIT 50`,
      [from, to, projects],
    );
    const prompts = await this.pool.query(
      `SELECT ${PROMPT_COLS} ${PROMPT_FROM} WHERE p.created_at_epoch BETWEEN $1 AND $2 AND s.project = ANY($3::text[])
       ORDER BY p.created_at_epoch LIMIT 50`,
      [from, to, projects],
    );
    return {
      anchor,
      observations,
      summaries: (summaries.rows as Rows).map(toSummary),
      prompts: (prompts.rows as Rows).map(toPrompt),
    };
  }

  async observationsForFile(filePath: string, projects: string[], limit: number): Promise<Observation[]> {
    const expanded = await expandProjects(this.pool, projects);
    const needle = JSON.stringify(filePath); // the exact quoted path inside the JSON array text
    const params: unknown[] = [needle, limit];
    let filter = '';
    if (expanded) {
      params.push(expanded);
      filter = ' AND project = ANY($3::text[])';
    }
    const r = await this.pool.query(
      `SELECT ${OBS_COLS} FROM observations WHERE (strpos(files_read, $1) > 0 OR strpos(files_modified, $1) > 0)${filter}
       ORDER BY created_at_epoch DESC, id DESC LIMIT $2`,
      params,
    );
    return (r.rows as Rows).map(toObservation);
  }

  async exportAll(projects?: string[]): Promise<ExportSet> {
    const expanded = await expandProjects(this.pool, projects);
    const params: unknown[] = expanded ? [expanded] : [];
    const where = (col: string) => (expanded ? `WHERE ${col} = ANY($1::text[])` : '');
    const o = await this.pool.query(`SELECT ${OBS_COLS} FROM observations ${where('project')} ORDER BY id`, params);
    const s = await this.pool.query(`SELECT ${SUMMARY_COLS} FROM summaries ${where('project')} ORDER BY id`, params);
    const p = await this.pool.query(`SELECT ${PROMPT_COLS} ${PROMPT_FROM} ${where('s.project')} ORDER BY p.id`, params);
    return {
      observations: (o.rows as Rows).map(toObservation),
      summaries: (s.rows as Rows).map(toSummary),
      prompts: (p.rows as Rows).map(toPrompt),
    };
  }

  forget(target: ForgetTarget, opts: { dryRun?: boolean } = {}): Promise<ForgetReceipt> {
    return forgetPg(this.pool, target, opts.dryRun ?? false);
  }

  editObservation(id: number, patch: ObservationPatch): Promise<Observation | null> {
    return editObservationPg(this.pool, id, patch);
  }

  supersede(olderId: number, newerId: number | null): Promise<boolean> {
    return supersedePg(this.pool, olderId, newerId);
  }

  supersedeSame(newerId: number): Promise<number[]> {
    return supersedeSamePg(this.pool, newerId);
  }

  async counts(): Promise<StoreCounts> {
    const r = await this.pool.query(
      `SELECT (SELECT COUNT(*) FROM sessions) AS sessions, (SELECT COUNT(*) FROM user_prompts) AS prompts,
         (SELECT COUNT(*) FROM observations) AS observations, (SELECT COUNT(*) FROM summaries) AS summaries`,
    );
    const row = r.rows[0];
    return {
      sessions: Number(row.sessions),
      prompts: Number(row.prompts),
      observations: Number(row.observations),
      summaries: Number(row.summaries),
    };
  }
}
