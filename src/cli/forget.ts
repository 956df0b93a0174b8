// `claude-mem forget`, `edit` and `supersede`: thin commands over the worker's memory routes
// (worker/routes/memory.ts). A forget can always be previewed with --dry-run; after it, a receipt
// says how many records of each kind went.
import type { Command } from 'commander';
import type { ForgetReceipt, Observation } from '../api/types.js';

export interface CliContext {
  api: <T>(method: string, route: string, body?: unknown, options?: Record<string, string>, timeoutMs?: number) => Promise<T>;
  ensureWorker: () => Promise<unknown>;
  fail: (message: string) => never;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Positive integer ids as typed, or a message naming the bad one. */
export function parseIds(raw: string[]): number[] | string {
  const ids: number[] = [];
  for (const r of raw) {
    for (const part of r.split(',').map((s) => s.trim().replace(/^#/, '')).filter(Boolean)) {
      if (!/^[1-9][0-9]{0,15}$/.test(part) || !Number.isSafeInteger(Number(part))) {
        return `"${part}" is not an observation id; give the numbers as listed (e.g. claude-mem forget 12 15)`;
      }
      ids.push(Number(part));
    }
  }
  return ids;
}

export function formatReceipt(r: ForgetReceipt, titles: Map<number, string> = new Map()): string {
  const kinds = `${plural(r.observations, 'observation')}, ${plural(r.summaries, 'summary', 'summaries')}, ${plural(r.prompts, 'prompt')}`;
  const extras = `${plural(r.queuedEvents, 'queued event')}, ${plural(r.vectors, 'vector')}`;
  if (r.dryRun) {
    const total = r.observations + r.summaries + r.prompts + r.queuedEvents;
    if (total === 0) return 'Nothing matches: nothing would be forgotten.';
    const lines = [`Would forget ${kinds} (and ${extras}):`];
    for (const id of r.ids.observations) lines.push(`  #${id}${titles.has(id) ? `  ${titles.get(id)}` : ''}`);
    if (r.ids.summaries.length) lines.push(`  summaries: ${r.ids.summaries.map((id) => `S${id}`).join(', ')}`);
    if (r.ids.prompts.length) lines.push(`  prompts: ${r.ids.prompts.map((id) => `P${id}`).join(', ')}`);
    lines.push('Nothing was changed. Run the same command without --dry-run to forget them.');
    return lines.join('\n');
  }
  if (r.observations + r.summaries + r.prompts + r.queuedEvents === 0) return 'Nothing matched: nothing was forgotten.';
  return [
    `Forgot ${kinds}; removed ${extras}.`,
    `${plural(r.tombstones, 'tombstone')} (ids and hashes, no text) keep them from coming back through import, replay or retry.`,
    ...(r.note ? [`Note: ${r.note}.`] : []),
  ].join('\n');
}

export function registerMemoryCommands(program: Command, ctx: CliContext): void {
  program
    .command('forget [ids...]')
    .description('forget observations for real: by id, --query, --session, or --project P --all (try --dry-run first)')
    .option('-q, --query <text>', 'forget the records that match this search (observations, summaries, prompts)')
    .option('-p, --project <name>', 'only within this project; with --all, the whole project')
    .option('-s, --session <id>', "everything of one session (Claude Code's session id)")
    .option('--all', 'with --project: everything of that project')
    .option('--dry-run', 'list what would be forgotten; change nothing')
    .option('--json', 'print the receipt as JSON')
    .action(async (rawIds: string[], opts: { query?: string; project?: string; session?: string; all?: boolean; dryRun?: boolean; json?: boolean }) => {
      const ids = parseIds(rawIds);
      if (typeof ids === 'string') ctx.fail(ids);
      if (!ids.length && !opts.query && !opts.session && !opts.all) {
        ctx.fail('name what to forget: ids (claude-mem forget 12 15), --query Q, --session S, or --project P --all');
      }
      if (opts.all && !opts.project) ctx.fail('--all needs --project P (the project to forget entirely)');
      await ctx.ensureWorker();
      const body = {
        ...(ids.length ? { ids } : {}),
        ...(opts.query ? { query: opts.query } : {}),
        ...(opts.project ? { project: opts.project } : {}),
        ...(opts.session ? { session: opts.session } : {}),
        ...(opts.all ? { all: true } : {}),
        dryRun: opts.dryRun === true,
      };
      const receipt = await ctx.api<ForgetReceipt>('POST', '/api/forget', body, {
        ids: 'the ids',
        query: '--query',
        project: '--project',
        session: '--session',
        all: '--all',
      }, 120_000);
      if (opts.json) {
        console.log(JSON.stringify(receipt, null, 2));
        return;
      }
      const titles = new Map<number, string>();
      if (receipt.dryRun && receipt.ids.observations.length) {
        const shown = receipt.ids.observations.slice(0, 500);
        const { observations } = await ctx.api<{ observations: Observation[] }>('POST', '/api/observations/batch', { ids: shown });
        for (const o of observations) titles.set(o.id, `[${o.type}] ${o.title}`);
      }
      console.log(formatReceipt(receipt, titles));
    });

  program
    .command('edit <id>')
    .description('correct an observation (re-indexed at once; edited_at is recorded)')
    .option('--title <text>', 'new title')
    .option('--subtitle <text>', 'new subtitle')
    .option('--narrative <text>', 'new narrative')
    .option('--fact <text>', 'a fact (repeat for several); replaces the facts', (v: string, prev: string[] = []) => [...prev, v])
    .option('--concepts <list>', 'comma-separated concepts; replaces them')
    .option('--type <type>', 'new type (bugfix, feature, refactor, change, discovery, decision, security_alert, security_note)')
    .option('--json', 'print the corrected observation as JSON')
    .action(async (rawId: string, opts: { title?: string; subtitle?: string; narrative?: string; fact?: string[]; concepts?: string; type?: string; json?: boolean }) => {
      const ids = parseIds([rawId]);
      if (typeof ids === 'string' || ids.length !== 1) ctx.fail(typeof ids === 'string' ? ids : 'give one observation id');
      const patch = {
        ...(opts.title !== undefined ? { title: opts.title } : {}),
        ...(opts.subtitle !== undefined ? { subtitle: opts.subtitle } : {}),
        ...(opts.narrative !== undefined ? { narrative: opts.narrative } : {}),
        ...(opts.fact ? { facts: opts.fact } : {}),
        ...(opts.concepts !== undefined ? { concepts: opts.concepts.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
        ...(opts.type !== undefined ? { type: opts.type } : {}),
      };
      if (Object.keys(patch).length === 0) ctx.fail('nothing to change: give --title, --subtitle, --narrative, --fact, --concepts or --type');
      await ctx.ensureWorker();
      const row = await ctx.api<Observation>('PATCH', `/api/observations/${ids[0]}`, patch, {
        title: '--title',
        subtitle: '--subtitle',
        narrative: '--narrative',
        facts: '--fact',
        concepts: '--concepts',
        type: '--type',
      });
      console.log(opts.json ? JSON.stringify(row, null, 2) : `Corrected #${row.id} [${row.type}] ${row.title} (edited ${row.edited_at}).`);
    });

  program
    .command('supersede <id>')
    .description('mark an observation as replaced by a newer one (--by N), or current again (--undo)')
    .option('--by <id>', 'the newer observation that replaces it')
    .option('--undo', 'make it current again')
    .action(async (rawId: string, opts: { by?: string; undo?: boolean }) => {
      const ids = parseIds([rawId, ...(opts.by ? [opts.by] : [])]);
      if (typeof ids === 'string') ctx.fail(ids);
      if (!opts.undo === !opts.by) ctx.fail('give either --by <newer id> or --undo');
      await ctx.ensureWorker();
      const row = await ctx.api<Observation>('POST', `/api/observations/${ids[0]}/supersede`, { by: opts.undo ? null : ids[1] }, { by: '--by' });
      console.log(row.superseded_by ? `#${row.id} is superseded by #${row.superseded_by}.` : `#${row.id} is current again.`);
    });
}
