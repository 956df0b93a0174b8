// Idempotent import and export of memory as JSON (the shape of POST /api/import).
import type { InsertResult } from './Store.js';
import type { Store } from './Store.js';
import type { ImportBody } from '../api/schemas.js';

export interface KindResult {
  imported: number;
  skipped: number;
  /** Of the skipped: records that were forgotten here (tombstoned), so not brought back. */
  forgotten: number;
  ids: number[];
}

function tally(results: InsertResult[]): KindResult {
  const imported = results.filter((r) => r.inserted).length;
  const forgotten = results.filter((r) => r.forgotten).length;
  return { imported, skipped: results.length - imported, forgotten, ids: results.map((r) => r.id) };
}

export async function importMemory(store: Store, body: ImportBody) {
  // Supersede links name the export's ids: stored without them, then re-linked to the rows they became.
  const observations = (body.observations ?? []).map(({ id: _id, superseded_by: _s, stale: _st, ...o }) => o);
  const out = await store.sessions.importAll({ ...body, observations });
  const newId = new Map<number, number>();
  (body.observations ?? []).forEach((o, i) => {
    const r = out.observations[i];
    if (o.id !== undefined && r && !r.forgotten) newId.set(o.id, r.id);
  });
  for (const [i, o] of (body.observations ?? []).entries()) {
    const older = out.observations[i];
    const newer = o.superseded_by != null ? newId.get(o.superseded_by) : undefined;
    if (older && !older.forgotten && newer !== undefined) await store.sessions.supersede(older.id, newer);
  }
  return { observations: tally(out.observations), summaries: tally(out.summaries), prompts: tally(out.prompts) };
}

export async function exportMemory(store: Store, projects?: string[]) {
  const data = await store.sessions.exportAll(projects);
  return { version: 1, exported_at: new Date().toISOString(), ...data };
}

/** Above this many imported observations an import is not replayed to live viewers (they reload). */
const LIVE_IMPORT_LIMIT = 200;

/**
 * Ids of the observations an import inserted, oldest first, for live viewers — none for a bulk
 * restore. Rows inserted by this import got the highest ids; skipped rows point at older ones.
 */
export function liveImportedIds(result: Awaited<ReturnType<typeof importMemory>>): number[] {
  const imported = result.observations.imported;
  if (imported === 0 || imported > LIVE_IMPORT_LIMIT) return [];
  return [...new Set(result.observations.ids)].sort((a, b) => b - a).slice(0, imported).reverse();
}
