// Idempotent import and export of memory as JSON (the shape of POST /api/import).
import type { InsertResult } from './Store.js';
import type { Store } from './Store.js';
import type { ImportBody } from '../api/schemas.js';

export interface KindResult {
  imported: number;
  skipped: number;
  ids: number[];
}

function tally(results: InsertResult[]): KindResult {
  const imported = results.filter((r) => r.inserted).length;
  return { imported, skipped: results.length - imported, ids: results.map((r) => r.id) };
}

export async function importMemory(store: Store, body: ImportBody) {
  const out = await store.sessions.importAll(body);
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
