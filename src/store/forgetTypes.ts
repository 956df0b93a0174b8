// Shapes of forgetting, correcting and superseding memory, shared by both stores, the routes,
// the CLI and the MCP tool.
import type { ForgetReceipt } from '../api/types.js';
import { contentHash } from './rows.js';

// The wire shapes live with the others (api/types.ts); re-exported for the store modules.
export type { ForgetReceipt, ObservationPatch } from '../api/types.js';

/**
 * What to forget. Observations by id; or everything of one session; or everything of a project
 * (`all` must be set: a bare project is a filter, not a target). Summary and prompt ids come from
 * a query that matched them.
 */
export interface ForgetTarget {
  ids?: number[];
  summaryIds?: number[];
  promptIds?: number[];
  /** Restricts ids to this project; with `all`, the whole project. */
  project?: string;
  session?: string;
  all?: boolean;
}

export const EMPTY_RECEIPT = (dryRun: boolean): ForgetReceipt => ({
  dryRun,
  observations: 0,
  summaries: 0,
  prompts: 0,
  queuedEvents: 0,
  vectors: 0,
  tombstones: 0,
  ids: { observations: [], summaries: [], prompts: [] },
});

export function addReceipts(a: ForgetReceipt, b: ForgetReceipt): ForgetReceipt {
  return {
    dryRun: a.dryRun,
    observations: a.observations + b.observations,
    summaries: a.summaries + b.summaries,
    prompts: a.prompts + b.prompts,
    queuedEvents: a.queuedEvents + b.queuedEvents,
    vectors: a.vectors + b.vectors,
    tombstones: a.tombstones + b.tombstones,
    ids: {
      observations: [...a.ids.observations, ...b.ids.observations],
      summaries: [...a.ids.summaries, ...b.ids.summaries],
      prompts: [...a.ids.prompts, ...b.ids.prompts],
    },
    ...(a.note || b.note ? { note: [a.note, b.note].filter(Boolean).join('; ') } : {}),
  };
}

/** A tombstone key: an identity, never text (a tool_use_id, or a hash of a record's identity). */
export const tombstoneKeys = {
  tool: (toolUseId: string) => `tool:${toolUseId}`,
  /** The dedupe identity of a row: (session, content hash of its text) — hashed once more. */
  observation: (contentSessionId: string, rowHash: string) => `obs:${contentHash(contentSessionId, rowHash)}`,
  summary: (contentSessionId: string, rowHash: string) => `sum:${contentHash(contentSessionId, rowHash)}`,
  prompt: (contentSessionId: string, promptNumber: number) => `prompt:${contentHash(contentSessionId, String(promptNumber))}`,
};

/** seen_tool_uses.seen_at of a forgotten event: never pruned, so a replay stays a duplicate. */
export const FOREVER = 8_640_000_000_000_000;

/**
 * Search ranks superseded observations below current ones (a stable partition: each group keeps
 * its relevance order). Date-ordered listings keep their order.
 */
export function currentFirst<T extends { superseded_by?: number | null }>(rows: T[], orderBy?: string): T[] {
  if (orderBy === 'date_asc' || orderBy === 'date_desc' || !rows.some((r) => r.superseded_by)) return rows;
  return [...rows.filter((r) => !r.superseded_by), ...rows.filter((r) => r.superseded_by)];
}
