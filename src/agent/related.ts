// The few existing observations most related to a batch, shown to the memory agent with their ids
// so that it can say which one a new observation replaces: those about the same files first, then
// the closest keyword hits for those files' names. Superseded ones are left out.
import path from 'node:path';
import type { Observation, PendingEventRow, ToolEventPayload } from '../api/types.js';
import type { Store } from '../store/Store.js';
import { filesTouched } from './eventFormat.js';
import type { RelatedObservation } from './prompts.js';

const MAX_RELATED = 8;
const MAX_FILES = 6;

export async function relatedObservations(store: Store, batch: PendingEventRow[]): Promise<RelatedObservation[]> {
  const tools = batch.filter((e) => e.kind === 'tool').map((e) => e.payload as ToolEventPayload);
  if (!tools.length) return [];
  const project = batch[0].project;
  const files = [...new Set(tools.flatMap((t) => {
    const f = filesTouched(t.tool_name, t.tool_input);
    return [...f.modified, ...f.read].map((p) => (t.cwd && !path.isAbsolute(p) ? path.resolve(t.cwd, p) : p));
  }))].slice(0, MAX_FILES);
  if (!files.length) return [];
  const found = new Map<number, Observation>();
  for (const f of files) {
    for (const o of await store.sessions.observationsForFile(f, [project], 3)) if (!o.superseded_by) found.set(o.id, o);
    if (found.size >= MAX_RELATED) break;
  }
  if (found.size < MAX_RELATED) {
    const names = files.map((f) => path.basename(f).replace(/\.[^.]+$/, '')).filter((n) => n.length > 2);
    if (names.length) {
      const hits = await store.search.search({ query: names.join(' '), project, limit: 4, kinds: ['observations'] });
      // Only hits that name one of the files: a hit on a shared word alone ("module") is not about
      // this code, and would only grow the request.
      const lower = names.map((n) => n.toLowerCase());
      const namesOne = (o: Observation) => {
        const text = [o.title, o.subtitle, o.narrative, ...o.facts, ...o.files_read, ...o.files_modified].join('\n').toLowerCase();
        return lower.some((n) => text.includes(n));
      };
      for (const o of hits.observations) if (!o.superseded_by && found.size < MAX_RELATED && namesOne(o)) found.set(o.id, o);
    }
  }
  return [...found.values()].slice(0, MAX_RELATED).map((o) => ({
    id: o.id,
    type: o.type,
    title: o.title,
    files: [...o.files_modified, ...o.files_read],
  }));
}
