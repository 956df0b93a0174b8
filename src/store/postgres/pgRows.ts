// Column lists and shared SQL fragments for the PostgreSQL store. Rows map to domain types with
// the SQLite store's mappers (same column names, JSON text arrays).
import type { Queryable } from './pgClient.js';

/** Every observation column except the tsvector (never sent over the wire). */
export const OBS_COLS = `id, content_session_id, project, type, title, subtitle, narrative, facts, concepts, files_read,
  files_modified, prompt_number, agent_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
  content_hash, created_at, created_at_epoch, author, project_key, file_hashes, superseded_by, edited_at`;

export const SUMMARY_COLS = `id, content_session_id, project, request, investigated, learned, completed, next_steps, notes,
  prompt_number, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, content_hash, created_at,
  created_at_epoch, author, project_key`;

/** Prompt rows with their session's id and project (alias p for prompts, s for sessions). */
export const PROMPT_COLS = `p.id, p.session_id, p.prompt_number, p.prompt_text, p.created_at, p.created_at_epoch,
  s.content_session_id, s.project`;

/**
 * Project names that are the same repository as the given ones: sessions with the same git
 * remote key under another directory name (a clone named differently on another machine).
 * Undefined (no filter) stays undefined.
 */
export async function expandProjects(q: Queryable, projects: string[] | undefined): Promise<string[] | undefined> {
  if (!projects || projects.length === 0) return undefined;
  const r = await q.query(
    `SELECT DISTINCT project FROM sessions WHERE project_key IN (
       SELECT project_key FROM sessions WHERE project = ANY($1::text[]) AND project_key IS NOT NULL)`,
    [projects],
  );
  return [...new Set([...projects, ...r.rows.map((row) => String(row.project))])];
}

/** Identity columns given on a row copied from another store, if any. */
export function givenIdentity(row: object): { author: string | null; project_key: string | null } {
  const r = row as { author?: unknown; project_key?: unknown };
  return {
    author: typeof r.author === 'string' ? r.author : null,
    project_key: typeof r.project_key === 'string' ? r.project_key : null,
  };
}
