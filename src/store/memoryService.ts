// The one forget rule shared by HTTP, the CLI (through HTTP) and the MCP tool: what a request names,
// resolved to records, then removed by the store (or, on a dry run, listed).
import type { Store } from './Store.js';
import type { ForgetReceipt, ForgetTarget } from './forgetTypes.js';

export interface ForgetRequest {
  ids?: number[];
  query?: string;
  project?: string;
  session?: string;
  all?: boolean;
  dryRun?: boolean;
}

/** A request that names nothing to forget, or names it ambiguously. */
export class ForgetRequestError extends Error {
  readonly status = 400;
}

/** Lower-case words of a query, without a plural or verb ending (so "widgets" also finds "widget"). */
function queryStems(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.map((w) => w.replace(/(ing|ed|es|s)$/, '')).map((w, i) => (w.length >= 3 ? w : words[i]));
}

/**
 * Search ranks a hit's session neighbours with it; a forget must take only the records that
 * contain every word of the query.
 */
function mentions(text: string, stems: string[]): boolean {
  const t = text.toLowerCase();
  // Each word must start a word of the text ("42" is not in "142"); stems are letters and digits only.
  return stems.every((s) => new RegExp(`(?:^|[^\\p{L}\\p{N}_])${s}`, 'u').test(t));
}

/** How many search hits a query forget may take at once (a dry run shows them first). */
export const QUERY_FORGET_LIMIT = 500;

export function checkForgetRequest(r: ForgetRequest): void {
  const named = [r.ids?.length ? 'ids' : null, r.query ? 'query' : null, r.session ? 'session' : null, r.all ? 'all' : null].filter(Boolean);
  if (named.length === 0) {
    throw new ForgetRequestError(
      r.project
        ? 'project alone names nothing to forget: add all: true (--all) for the whole project, or ids / a query within it'
        : 'name what to forget: ids, a query, a session, or a project with all: true (--project P --all)',
    );
  }
  if (r.all && !r.project) throw new ForgetRequestError('all: true needs a project (--project P --all)');
  if (r.all && named.length > 1) throw new ForgetRequestError('all: true forgets the whole project; send it without ids, query or session');
}

export async function forgetMemory(store: Store, r: ForgetRequest): Promise<ForgetReceipt & { query?: string }> {
  checkForgetRequest(r);
  const target: ForgetTarget = { ids: r.ids, project: r.project, session: r.session, all: r.all };
  if (r.query) {
    const hits = await store.search.search({ query: r.query, project: r.project, limit: QUERY_FORGET_LIMIT });
    // With a session, the query is searched within it (not "the session, and the query's hits").
    const stems = queryStems(r.query);
    const inScope = (row: { content_session_id: string }, text: string) =>
      (!r.session || row.content_session_id === r.session) && mentions(text, stems);
    target.session = undefined;
    const obsText = (o: (typeof hits.observations)[number]) =>
      [o.title, o.subtitle, o.narrative, ...o.facts, ...o.concepts, ...o.files_read, ...o.files_modified].join('\n');
    target.ids = [...(r.ids ?? []), ...hits.observations.filter((o) => inScope(o, obsText(o))).map((o) => o.id)];
    target.summaryIds = hits.sessions
      .filter((s) => inScope(s, [s.request, s.investigated, s.learned, s.completed, s.next_steps, s.notes].join('\n')))
      .map((s) => s.id);
    target.promptIds = hits.prompts.filter((p) => inScope(p, p.prompt_text)).map((p) => p.id);
  }
  const receipt = await store.sessions.forget(target, { dryRun: r.dryRun ?? false });
  return r.query ? { ...receipt, query: r.query } : receipt;
}
