// Idempotent import and export of memory as JSON (the shape of POST /api/import).
import type { InsertResult } from '../store.js';
import type { Store } from '../store.js';
import type { ImportBody } from './schemas.js';

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
