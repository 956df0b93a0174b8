// The timeline around one observation: what came just before and after it (observations, turn
// summaries, prompts) in time order. The anchor is an observation id, or the best keyword hit.
import type { TimelineItem, TimelineResponse } from '../api/types.js';
import type { Store } from '../store/Store.js';

export type TimelineResult = TimelineResponse | { missingAnchor: number };

export async function timeline(
  store: Store,
  q: { anchor?: number; query?: string; projects?: string[]; before: number; after: number },
): Promise<TimelineResult> {
  let anchor = q.anchor;
  if (anchor === undefined) {
    const best = await store.search.search({ query: q.query ?? '', project: q.projects, limit: 1, kinds: ['observations'] });
    if (best.observations.length === 0) return { anchor: null, items: [] };
    anchor = best.observations[0].id;
  }
  const t = await store.sessions.timeline({ anchorId: anchor, projects: q.projects, before: q.before, after: q.after });
  if (!t.anchor) return { missingAnchor: anchor };
  const items: TimelineItem[] = [
    ...t.observations.map((o) => ({ kind: 'observation' as const, ...o })),
    ...t.summaries.map((s) => ({ kind: 'summary' as const, ...s })),
    ...t.prompts.map((p) => ({ kind: 'prompt' as const, ...p, created_at_epoch: Date.parse(p.created_at) })),
  ].sort((a, b) => a.created_at_epoch - b.created_at_epoch);
  return { anchor, items };
}
