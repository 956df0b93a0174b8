// Sessions, prompts, observations and summaries. Public methods are async so that another
// backend (PostgreSQL, team mode) can implement the same surface; the SQLite work is sync.
import type {
  Observation,
  ObservationInput,
  PromptRow,
  ProjectInfo,
  SessionRow,
  Summary,
  SummaryInput,
} from '../../api/types.js';
import type { Db } from './Database.js';
import { identifierParts } from '../queryText.js';
import type { StoreIdentity } from '../../config/identity.js';
import { remoteKey } from '../../config/project.js';
import { contentHash, timeColumns, toObservation, toPrompt, toSummary, tokenColumns } from '../rows.js';
import { tombstoneKeys, type ForgetReceipt, type ForgetTarget, type ObservationPatch } from '../forgetTypes.js';
import { editObservationSync, forgetSync, supersedeSameSync, supersedeSync, tombstoned } from './memoryOps.js';

export interface InsertResult {
  id: number;
  inserted: boolean;
  /** Not stored: the record (or the event that produced it) was forgotten. id is 0. */
  forgotten?: boolean;
}

export interface ListOptions {
  projects?: string[];
  limit?: number;
  offset?: number;
}

// ---- sync helpers, shared with EventQueue's completion transaction ----

// Author and project key of a row: given explicitly (a copy from another store), else the session's.
const IDENTITY_VALUES = `COALESCE(@author, (SELECT author FROM sessions WHERE content_session_id = @content_session_id ORDER BY id LIMIT 1)),
         COALESCE(@project_key, (SELECT project_key FROM sessions WHERE content_session_id = @content_session_id ORDER BY id LIMIT 1))`;

function identityParams(row: object): { author: string | null; project_key: string | null } {
  const r = row as { author?: unknown; project_key?: unknown };
  return {
    author: typeof r.author === 'string' ? r.author : null,
    project_key: typeof r.project_key === 'string' ? r.project_key : null,
  };
}

type SearchableFields = Pick<ObservationInput, 'title' | 'subtitle' | 'narrative' | 'facts' | 'files_read' | 'files_modified'>;

/** The camelCase parts of the identifiers an observation names, file names included ("queue" finds EventQueue.ts). */
function observationSearchTerms(o: SearchableFields): string {
  const fields = [o.title, o.subtitle ?? '', o.narrative ?? '', ...(o.facts ?? []), ...(o.files_read ?? []), ...(o.files_modified ?? [])];
  return identifierParts(fields.join('\n'));
}

/** Fills search_terms for rows stored before the column existed or that need it again (migrations 4, 11). */
export function backfillSearchTerms(db: Db): number {
  const rows = db
    .prepare('SELECT id, title, subtitle, narrative, facts, files_read, files_modified FROM observations WHERE search_terms IS NULL')
    .all() as Array<{ id: number; title: string; subtitle: string; narrative: string; facts: string; files_read: string; files_modified: string }>;
  const update = db.prepare('UPDATE observations SET search_terms = ? WHERE id = ?');
  const list = (json: string) => JSON.parse(json) as string[];
  db.transaction(() => {
    for (const r of rows) {
      const terms = observationSearchTerms({ ...r, facts: list(r.facts), files_read: list(r.files_read), files_modified: list(r.files_modified) });
      update.run(terms, r.id);
    }
  })();
  return rows.length;
}

export function insertObservationSync(db: Db, o: ObservationInput): InsertResult {
  const hash = contentHash(o.title, o.narrative);
  // Forgotten: by its identity (an import of an older export), or by an event that produced it (a replay or retry).
  const keys = [tombstoneKeys.observation(o.content_session_id, hash), ...(o.source_ids ?? []).map(tombstoneKeys.tool)];
  if (tombstoned(db, keys)) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(o.created_at);
  const res = db
    .prepare(
      `INSERT INTO observations (content_session_id, project, type, title, subtitle, narrative,
         facts, concepts, files_read, files_modified, prompt_number, agent_id, model,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, content_hash, created_at, created_at_epoch,
         author, project_key, search_terms, source_ids, file_hashes, superseded_by, edited_at)
       VALUES (@content_session_id, @project, @type, @title, @subtitle, @narrative, @facts, @concepts,
         @files_read, @files_modified, @prompt_number, @agent_id, @model,
         @input_tokens, @output_tokens, @cache_read_tokens, @cache_write_tokens, @hash, @created_at, @created_at_epoch,
         ${IDENTITY_VALUES}, @search_terms, @source_ids, @file_hashes, @superseded_by, @edited_at)
       ON CONFLICT (content_session_id, content_hash) DO NOTHING`,
    )
    .run({
      source_ids: JSON.stringify(o.source_ids ?? []),
      file_hashes: o.file_hashes ? JSON.stringify(o.file_hashes) : null,
      superseded_by: o.superseded_by ?? null,
      edited_at: o.edited_at ?? null,
      content_session_id: o.content_session_id,
      project: o.project,
      type: o.type,
      title: o.title,
      subtitle: o.subtitle ?? '',
      narrative: o.narrative ?? '',
      facts: JSON.stringify(o.facts ?? []),
      concepts: JSON.stringify(o.concepts ?? []),
      files_read: JSON.stringify(o.files_read ?? []),
      files_modified: JSON.stringify(o.files_modified ?? []),
      prompt_number: o.prompt_number ?? null,
      agent_id: o.agent_id ?? null,
      model: o.model ?? null,
      ...tokenColumns(o.tokens),
      search_terms: observationSearchTerms(o),
      hash,
      ...t,
      ...identityParams(o),
    });
  if (res.changes > 0) return { id: Number(res.lastInsertRowid), inserted: true };
  const existing = db
    .prepare('SELECT id FROM observations WHERE content_session_id = ? AND content_hash = ?')
    .pluck()
    .get(o.content_session_id, hash) as number;
  return { id: existing, inserted: false };
}

export function insertSummarySync(db: Db, s: SummaryInput): InsertResult {
  const hash = contentHash(s.request, s.investigated, s.learned, s.completed, s.next_steps, s.notes);
  if (tombstoned(db, [tombstoneKeys.summary(s.content_session_id, hash)])) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(s.created_at);
  const res = db
    .prepare(
      `INSERT INTO summaries (content_session_id, project, request, investigated, learned, completed,
         next_steps, notes, prompt_number, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
         content_hash, created_at, created_at_epoch, author, project_key)
       VALUES (@content_session_id, @project, @request, @investigated, @learned, @completed, @next_steps, @notes,
         @prompt_number, @model, @input_tokens, @output_tokens, @cache_read_tokens, @cache_write_tokens,
         @hash, @created_at, @created_at_epoch, ${IDENTITY_VALUES})
       ON CONFLICT (content_session_id, content_hash) DO NOTHING`,
    )
    .run({
      content_session_id: s.content_session_id,
      project: s.project,
      request: s.request ?? '',
      investigated: s.investigated ?? '',
      learned: s.learned ?? '',
      completed: s.completed ?? '',
      next_steps: s.next_steps ?? '',
      notes: s.notes ?? '',
      prompt_number: s.prompt_number ?? null,
      model: s.model ?? null,
      ...tokenColumns(s.tokens),
      hash,
      ...t,
      ...identityParams(s),
    });
  if (res.changes > 0) return { id: Number(res.lastInsertRowid), inserted: true };
  const existing = db
    .prepare('SELECT id FROM summaries WHERE content_session_id = ? AND content_hash = ?')
    .pluck()
    .get(s.content_session_id, hash) as number;
  return { id: existing, inserted: false };
}

export interface PromptImport {
  content_session_id: string;
  project: string;
  prompt_number: number;
  prompt_text: string;
  created_at?: string;
}

/** Import path for prompts: creates the session if needed; idempotent on (session, number). */
function importPromptSync(db: Db, p: PromptImport): InsertResult {
  if (tombstoned(db, [tombstoneKeys.prompt(p.content_session_id, p.prompt_number)])) return { id: 0, inserted: false, forgotten: true };
  const t = timeColumns(p.created_at);
  db.prepare(
    `INSERT INTO sessions (content_session_id, platform, project, cwd, status, started_at)
     VALUES (?, 'claude-code', ?, '', 'ended', ?) ON CONFLICT DO NOTHING`,
  ).run(p.content_session_id, p.project, t.created_at);
  const sessionId = db
    .prepare(`SELECT id FROM sessions WHERE content_session_id = ? AND platform = 'claude-code'`)
    .pluck()
    .get(p.content_session_id) as number;
  const res = db
    .prepare(
      `INSERT INTO user_prompts (session_id, prompt_number, prompt_text, created_at, created_at_epoch)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, prompt_number) DO NOTHING`,
    )
    .run(sessionId, p.prompt_number, p.prompt_text, t.created_at, t.created_at_epoch);
  db.prepare('UPDATE sessions SET prompt_counter = MAX(prompt_counter, ?) WHERE id = ?').run(p.prompt_number, sessionId);
  if (res.changes > 0) return { id: Number(res.lastInsertRowid), inserted: true };
  const id = db
    .prepare('SELECT id FROM user_prompts WHERE session_id = ? AND prompt_number = ?')
    .pluck()
    .get(sessionId, p.prompt_number) as number;
  return { id, inserted: false };
}

export interface ImportSet {
  observations?: ObservationInput[];
  summaries?: SummaryInput[];
  prompts?: PromptImport[];
}

export interface ImportOutcome {
  observations: InsertResult[];
  summaries: InsertResult[];
  prompts: InsertResult[];
}

function projectClause(projects: string[] | undefined, column = 'project'): { sql: string; params: string[] } {
  if (!projects || projects.length === 0) return { sql: '', params: [] };
  return { sql: ` AND ${column} IN (${projects.map(() => '?').join(',')})`, params: projects };
}

const PROMPT_SELECT = `SELECT p.*, s.content_session_id, s.project FROM user_prompts p JOIN sessions s ON s.id = p.session_id`;

export class SessionStore {
  constructor(
    readonly db: Db,
    private readonly identity: StoreIdentity | null = null,
  ) {}

  async upsertSession(args: {
    contentSessionId: string;
    project: string;
    cwd: string;
    platform?: string;
  }): Promise<SessionRow> {
    const platform = args.platform ?? 'claude-code';
    this.db
      .prepare(
        `INSERT INTO sessions (content_session_id, platform, project, cwd, started_at, author, project_key)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (content_session_id, platform) DO UPDATE SET status = 'active', ended_at = NULL`,
      )
      .run(
        args.contentSessionId,
        platform,
        args.project,
        args.cwd,
        new Date().toISOString(),
        this.identity?.author ?? null,
        args.cwd ? remoteKey(args.cwd) : null,
      );
    return (await this.getSession(args.contentSessionId, platform))!;
  }

  async getSession(contentSessionId: string, platform = 'claude-code'): Promise<SessionRow | null> {
    return (
      (this.db
        .prepare('SELECT * FROM sessions WHERE content_session_id = ? AND platform = ?')
        .get(contentSessionId, platform) as SessionRow | undefined) ?? null
    );
  }

  /** Records a prompt with the next number for its session; returns that number. */
  async addPrompt(sessionId: number, text: string, createdAt?: string): Promise<number> {
    return this.db.transaction(() => {
      const n =
        (this.db
          .prepare('UPDATE sessions SET prompt_counter = prompt_counter + 1 WHERE id = ? RETURNING prompt_counter')
          .pluck()
          .get(sessionId) as number) ?? 1;
      const t = timeColumns(createdAt);
      this.db
        .prepare(
          'INSERT INTO user_prompts (session_id, prompt_number, prompt_text, created_at, created_at_epoch) VALUES (?, ?, ?, ?, ?)',
        )
        .run(sessionId, n, text, t.created_at, t.created_at_epoch);
      return n;
    })();
  }

  /** Counts a turn without storing its prompt (an entirely private prompt). */
  async skipPrompt(sessionId: number): Promise<void> {
    this.db.prepare('UPDATE sessions SET prompt_counter = prompt_counter + 1 WHERE id = ?').run(sessionId);
  }

  async latestPrompt(sessionId: number): Promise<PromptRow | null> {
    const r = this.db
      .prepare(`${PROMPT_SELECT} WHERE p.session_id = ? ORDER BY p.prompt_number DESC LIMIT 1`)
      .get(sessionId) as Record<string, unknown> | undefined;
    return r ? toPrompt(r) : null;
  }

  async endSession(contentSessionId: string, platform = 'claude-code'): Promise<boolean> {
    const res = this.db
      .prepare(
        `UPDATE sessions SET status = 'ended', ended_at = ? WHERE content_session_id = ? AND platform = ?`,
      )
      .run(new Date().toISOString(), contentSessionId, platform);
    return res.changes > 0;
  }

  async insertObservation(o: ObservationInput): Promise<InsertResult> {
    return insertObservationSync(this.db, o);
  }

  async insertSummary(s: SummaryInput): Promise<InsertResult> {
    return insertSummarySync(this.db, s);
  }

  /** Imports records in one transaction: all land or none. Re-importing inserts nothing. */
  async importAll(set: ImportSet): Promise<ImportOutcome> {
    return this.db.transaction(
      (): ImportOutcome => ({
        observations: (set.observations ?? []).map((o) => insertObservationSync(this.db, o)),
        summaries: (set.summaries ?? []).map((x) => insertSummarySync(this.db, x)),
        prompts: (set.prompts ?? []).map((p) => importPromptSync(this.db, p)),
      }),
    )();
  }

  async listObservations(opts: ListOptions = {}): Promise<{ observations: Observation[]; total: number }> {
    const pc = projectClause(opts.projects);
    const rows = this.db
      .prepare(
        `SELECT * FROM observations WHERE 1=1${pc.sql} ORDER BY created_at_epoch DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...pc.params, opts.limit ?? 50, opts.offset ?? 0) as Record<string, unknown>[];
    const total = this.db
      .prepare(`SELECT COUNT(*) FROM observations WHERE 1=1${pc.sql}`)
      .pluck()
      .get(...pc.params) as number;
    return { observations: rows.map(toObservation), total };
  }

  async getObservations(ids: number[]): Promise<Observation[]> {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM observations WHERE id IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as Record<string, unknown>[];
    const byId = new Map(rows.map((r) => [Number(r.id), toObservation(r)]));
    return ids.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
  }

  async listSummaries(opts: ListOptions = {}): Promise<Summary[]> {
    const pc = projectClause(opts.projects);
    const rows = this.db
      .prepare(
        `SELECT * FROM summaries WHERE 1=1${pc.sql} ORDER BY created_at_epoch DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...pc.params, opts.limit ?? 50, opts.offset ?? 0) as Record<string, unknown>[];
    return rows.map(toSummary);
  }

  async listPrompts(opts: ListOptions = {}): Promise<PromptRow[]> {
    const pc = projectClause(opts.projects, 's.project');
    const rows = this.db
      .prepare(`${PROMPT_SELECT} WHERE 1=1${pc.sql} ORDER BY p.created_at_epoch DESC, p.id DESC LIMIT ? OFFSET ?`)
      .all(...pc.params, opts.limit ?? 50, opts.offset ?? 0) as Record<string, unknown>[];
    return rows.map(toPrompt);
  }

  async listProjects(): Promise<ProjectInfo[]> {
    const rows = this.db
      .prepare(
        `SELECT project AS name, COUNT(o.id) AS observations, MAX(o.created_at) AS lastActivity
         FROM (SELECT DISTINCT project FROM sessions UNION SELECT DISTINCT project FROM observations) p
         LEFT JOIN observations o USING (project)
         GROUP BY project ORDER BY lastActivity DESC NULLS LAST, project`,
      )
      .all() as ProjectInfo[];
    return rows;
  }

  /** Records around an observation, chronologically: observations, summaries and prompts. */
  async timeline(args: {
    anchorId: number;
    projects?: string[];
    before: number;
    after: number;
  }): Promise<{ anchor: Observation | null; observations: Observation[]; summaries: Summary[]; prompts: PromptRow[] }> {
    const [anchor] = await this.getObservations([args.anchorId]);
    if (!anchor) return { anchor: null, observations: [], summaries: [], prompts: [] };
    const projects = args.projects?.length ? args.projects : [anchor.project];
    const pc = projectClause(projects);
    const beforeRows = this.db
      .prepare(
        `SELECT * FROM observations WHERE (created_at_epoch < ? OR (created_at_epoch = ? AND id < ?))${pc.sql}
         ORDER BY created_at_epoch DESC, id DESC LIMIT ?`,
      )
      .all(anchor.created_at_epoch, anchor.created_at_epoch, anchor.id, ...pc.params, args.before) as Record<
      string,
      unknown
    >[];
    const afterRows = this.db
      .prepare(
        `SELECT * FROM observations WHERE (created_at_epoch > ? OR (created_at_epoch = ? AND id > ?))${pc.sql}
         ORDER BY created_at_epoch ASC, id ASC LIMIT ?`,
      )
      .all(anchor.created_at_epoch, anchor.created_at_epoch, anchor.id, ...pc.params, args.after) as Record<
      string,
      unknown
    >[];
    const observations = [...beforeRows.reverse().map(toObservation), anchor, ...afterRows.map(toObservation)];
    const from = observations[0].created_at_epoch;
    const to = observations[observations.length - 1].created_at_epoch;
    const summaries = (
      this.db
        .prepare(
          `SELECT * FROM summaries WHERE created_at_epoch BETWEEN ? AND ?${pc.sql} ORDER BY created_at_epoch LIMIT 50`,
        )
        .all(from, to, ...pc.params) as Record<string, unknown>[]
    ).map(toSummary);
    const ppc = projectClause(projects, 's.project');
    const prompts = (
      this.db
        .prepare(`${PROMPT_SELECT} WHERE p.created_at_epoch BETWEEN ? AND ?${ppc.sql} ORDER BY p.created_at_epoch LIMIT 50`)
        .all(from, to, ...ppc.params) as Record<string, unknown>[]
    ).map(toPrompt);
    return { anchor, observations, summaries, prompts };
  }

  /** Observations that read or modified a file, newest first (for PreToolUse Read context). */
  async observationsForFile(filePath: string, projects: string[], limit: number): Promise<Observation[]> {
    const pc = projectClause(projects);
    const needle = JSON.stringify(filePath); // matches the exact quoted path inside the JSON array
    const rows = this.db
      .prepare(
        `SELECT * FROM observations WHERE (instr(files_read, ?) > 0 OR instr(files_modified, ?) > 0)${pc.sql}
         ORDER BY created_at_epoch DESC, id DESC LIMIT ?`,
      )
      .all(needle, needle, ...pc.params, limit) as Record<string, unknown>[];
    return rows.map(toObservation);
  }

  async exportAll(projects?: string[]): Promise<{
    observations: Observation[];
    summaries: Summary[];
    prompts: PromptRow[];
  }> {
    const pc = projectClause(projects);
    const ppc = projectClause(projects, 's.project');
    return {
      observations: (
        this.db.prepare(`SELECT * FROM observations WHERE 1=1${pc.sql} ORDER BY id`).all(...pc.params) as Record<
          string,
          unknown
        >[]
      ).map(toObservation),
      summaries: (
        this.db.prepare(`SELECT * FROM summaries WHERE 1=1${pc.sql} ORDER BY id`).all(...pc.params) as Record<
          string,
          unknown
        >[]
      ).map(toSummary),
      prompts: (
        this.db.prepare(`${PROMPT_SELECT} WHERE 1=1${ppc.sql} ORDER BY p.id`).all(...ppc.params) as Record<
          string,
          unknown
        >[]
      ).map(toPrompt),
    };
  }

  /** Forgets what the target names (see memoryOps); a dry run only counts. */
  async forget(target: ForgetTarget, opts: { dryRun?: boolean } = {}): Promise<ForgetReceipt> {
    return forgetSync(this.db, target, opts.dryRun ?? false);
  }

  async editObservation(id: number, patch: ObservationPatch): Promise<Observation | null> {
    return editObservationSync(this.db, id, patch, observationSearchTerms);
  }

  async supersede(olderId: number, newerId: number | null): Promise<boolean> {
    return supersedeSync(this.db, olderId, newerId);
  }

  async supersedeSame(newerId: number): Promise<number[]> {
    return supersedeSameSync(this.db, newerId);
  }

  async counts(): Promise<{ sessions: number; prompts: number; observations: number; summaries: number }> {
    const c = (t: string) => this.db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
    return {
      sessions: c('sessions'),
      prompts: c('user_prompts'),
      observations: c('observations'),
      summaries: c('summaries'),
    };
  }
}
