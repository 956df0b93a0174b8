// Mapping between SQLite rows and domain types (JSON array columns, token columns).
import { createHash } from 'node:crypto';
import type { UsageRow } from './Store.js';
import type { Observation, PromptRow, Summary, TokenUsage } from '../api/types.js';
import { changedFiles, parseFileHashes, TRACKED_FILES } from './fileState.js';

type Raw = Record<string, unknown>;

function jsonArray(v: unknown): string[] {
  if (typeof v !== 'string') return [];
  try {
    const parsed = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

function tokens(r: Raw): TokenUsage | null {
  if (r.input_tokens == null && r.output_tokens == null) return null;
  return {
    input_tokens: Number(r.input_tokens ?? 0),
    output_tokens: Number(r.output_tokens ?? 0),
    cache_read_tokens: Number(r.cache_read_tokens ?? 0),
    cache_write_tokens: Number(r.cache_write_tokens ?? 0),
  };
}

/** Adds the sharing identity columns when the row has them (absent on rows recorded before). */
function withIdentity<T extends object>(row: T, r: Raw): T {
  if (r.author != null) Object.assign(row, { author: String(r.author) });
  if (r.project_key != null) Object.assign(row, { project_key: String(r.project_key) });
  return row;
}

export function toObservation(r: Raw): Observation {
  // Staleness is judged now, against the files on disk (cached by path, mtime and size).
  const hashes = parseFileHashes(r.file_hashes);
  const changed = changedFiles(hashes);
  const row = withIdentity<Observation>({
    id: Number(r.id),
    content_session_id: String(r.content_session_id),
    project: String(r.project),
    type: r.type as Observation['type'],
    title: String(r.title),
    subtitle: String(r.subtitle ?? ''),
    narrative: String(r.narrative ?? ''),
    facts: jsonArray(r.facts),
    concepts: jsonArray(r.concepts),
    files_read: jsonArray(r.files_read),
    files_modified: jsonArray(r.files_modified),
    prompt_number: r.prompt_number == null ? null : Number(r.prompt_number),
    agent_id: (r.agent_id as string | null) ?? null,
    model: (r.model as string | null) ?? null,
    tokens: tokens(r),
    created_at: String(r.created_at),
    created_at_epoch: Number(r.created_at_epoch),
    stale: changed.length > 0,
    ...(changed.length ? { stale_files: changed } : {}),
    superseded_by: r.superseded_by == null ? null : Number(r.superseded_by),
    edited_at: (r.edited_at as string | null) ?? null,
  }, r);
  if (hashes) Object.defineProperty(row, TRACKED_FILES, { value: Object.keys(hashes.files), enumerable: false });
  return row;
}

export function toSummary(r: Raw): Summary {
  return withIdentity<Summary>({
    id: Number(r.id),
    content_session_id: String(r.content_session_id),
    project: String(r.project),
    request: String(r.request ?? ''),
    investigated: String(r.investigated ?? ''),
    learned: String(r.learned ?? ''),
    completed: String(r.completed ?? ''),
    next_steps: String(r.next_steps ?? ''),
    notes: String(r.notes ?? ''),
    prompt_number: r.prompt_number == null ? null : Number(r.prompt_number),
    model: (r.model as string | null) ?? null,
    tokens: tokens(r),
    created_at: String(r.created_at),
    created_at_epoch: Number(r.created_at_epoch),
  }, r);
}

export function toPrompt(r: Raw): PromptRow {
  return {
    id: Number(r.id),
    session_id: Number(r.session_id),
    content_session_id: String(r.content_session_id),
    project: String(r.project),
    prompt_number: Number(r.prompt_number),
    prompt_text: String(r.prompt_text),
    created_at: String(r.created_at),
  };
}

/** Identity used for dedupe: the same content in the same session is one record. */
export function contentHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export function tokenColumns(t: TokenUsage | null | undefined) {
  return {
    input_tokens: t?.input_tokens ?? null,
    output_tokens: t?.output_tokens ?? null,
    cache_read_tokens: t?.cache_read_tokens ?? null,
    cache_write_tokens: t?.cache_write_tokens ?? null,
  };
}

/** Normalise an ISO string or epoch into both columns. */
export function timeColumns(iso?: string): { created_at: string; created_at_epoch: number } {
  const d = iso ? new Date(iso) : new Date();
  const valid = Number.isFinite(d.getTime()) ? d : new Date();
  return { created_at: valid.toISOString(), created_at_epoch: valid.getTime() };
}

/** The UTC day (YYYY-MM-DD) token spend is counted under, in both stores. */
export function utcDay(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Ledger column each usage grouping reads (a fixed map: never user text in SQL). */
export const USAGE_GROUP_COLUMN = { day: 'day', project: 'project', session: 'content_session_id', model: 'model' } as const;

export interface LedgerGroupRow {
  key: string;
  model: string;
  requests: number | string;
  input_tokens: number | string;
  output_tokens: number | string;
  cache_read_tokens: number | string;
  cache_write_tokens: number | string;
}

/** (key, model) sums → one row per key with its per-model parts, largest spend first. */
export function groupUsage(rows: LedgerGroupRow[]): UsageRow[] {
  const out = new Map<string, UsageRow>();
  for (const r of rows) {
    const part = {
      model: r.model,
      requests: Number(r.requests),
      input_tokens: Number(r.input_tokens),
      output_tokens: Number(r.output_tokens),
      cache_read_tokens: Number(r.cache_read_tokens),
      cache_write_tokens: Number(r.cache_write_tokens),
    };
    const g = out.get(r.key) ?? { key: r.key, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, byModel: [] };
    g.requests += part.requests;
    g.input_tokens += part.input_tokens;
    g.output_tokens += part.output_tokens;
    g.cache_read_tokens += part.cache_read_tokens;
    g.cache_write_tokens += part.cache_write_tokens;
    g.byModel.push(part);
    out.set(r.key, g);
  }
  const total = (u: TokenUsage) => u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
  return [...out.values()].sort((a, b) => total(b) - total(a) || a.key.localeCompare(b.key));
}
