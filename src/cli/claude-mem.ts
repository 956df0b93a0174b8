// The claude-mem CLI: thin commands over the worker's HTTP API and the local config files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describeCredentialSources, envValueWarnings, RECOGNISED_ENV_KEYS, saveClaudeMemEnv } from '../config/EnvManager.js';
import { tailLog } from '../config/logger.js';
import { dataDir, envFilePath, settingsPath, workerErrorLogPath, workerLogPath } from '../config/paths.js';
import { loadSettings } from '../config/SettingsManager.js';
import type { ExportResponse, ImportResponse, QueueResponse, SearchResponse } from '../api/types.js';
import { WorkerHttpError, WorkerUnreachableError } from '../api/workerClient.js';
import type { UsageStats } from '../api/types.js';
import { HOOK_MODES, install, isInstalled, uninstall, type HookMode } from './install.js';
import { follow, health, startWorker, stopWorker, workerBaseUrl, workerClient } from './workerControl.js';
import { runDoctor } from './doctor.js';
import { describeOutage, describeWorkerError, formatSearchTable, providerFixHint } from './format.js';
import { formatEval, lastEvalPath, readLastEval, runEval } from './eval.js';
import { formatUsageStats } from './stats.js';
import { progressBar } from './progress.js';
import { runReindex } from './reindex.js';
import { registerMemoryCommands } from './forget.js';
import { registerOpenCommand } from './open.js';

declare const __CLAUDE_MEM_VERSION__: string;
const VERSION = typeof __CLAUDE_MEM_VERSION__ === 'string' ? __CLAUDE_MEM_VERSION__ : '0.0.0-dev';

const here = path.dirname(fileURLToPath(import.meta.url));
const workerScript = path.resolve(here, '../worker/worker-main.js');
/** The package root: `claude-mem install` points the generated plugin (data dir) at its dist/. */
const pluginRoot = path.resolve(here, '../..');

function fail(message: string): never {
  console.error(`claude-mem: ${message}`);
  process.exit(1);
}

/**
 * A worker request through the one client (api/workerClient.ts). Errors are told in the user's
 * words: `options` maps the request fields the worker names in a 400 to the command's options
 * ({ limit: '--limit' }); no route or status leaks.
 */
async function api<T>(method: string, route: string, body?: unknown, options: Record<string, string> = {}, timeoutMs?: number): Promise<T> {
  try {
    return await workerClient().request<T>(method, route, { body, timeoutMs });
  } catch (err) {
    fail(workerFailure(err, options));
  }
}

/** A failed worker request as a sentence for the user. */
function workerFailure(err: unknown, options: Record<string, string> = {}): string {
  if (err instanceof WorkerUnreachableError) {
    return err.reason === 'request timed out'
      ? `the worker at ${err.baseUrl} did not answer in time. See \`claude-mem worker logs\`.`
      : `the worker is not running at ${err.baseUrl}. Start it with \`claude-mem worker start\`.`;
  }
  if (err instanceof WorkerHttpError) {
    // A body that is not our JSON error (a proxy's page): its text, never the route.
    const message = typeof err.body === 'string' && err.body ? err.body : err.message;
    return describeWorkerError(err.status, message, options);
  }
  return err instanceof Error ? err.message : String(err);
}

/** settings.json problems the worker is living with (it fell back to defaults for them). */
function printSettingsProblems(): void {
  const { errors } = loadSettings({ createIfMissing: false });
  if (!errors.length) return;
  console.log(`Settings:  ${errors.length} problem${errors.length === 1 ? '' : 's'} (\`claude-mem doctor\` checks them all)`);
  for (const e of errors) console.log(`           ${e.message}`);
}

async function ensureWorker(): Promise<void> {
  if (!(await health())) await startWorker(workerScript);
}

const program = new Command();
program
  .name('claude-mem')
  .description('Persistent memory for Claude Code')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError();

const worker = program.command('worker').description('manage the background worker');

worker
  .command('start')
  .description('start the worker in the background (no-op if it runs)')
  .action(async () => {
    const r = await startWorker(workerScript).catch((e: Error) => fail(e.message));
    console.log(r.alreadyRunning ? `Worker already running (pid ${r.pid}) at ${workerBaseUrl()}` : `Worker started (pid ${r.pid}) at ${workerBaseUrl()}`);
  });

worker
  .command('stop')
  .description('stop the worker (SIGTERM, then SIGKILL after 5 s); removes stale pid/lock files')
  .action(async () => {
    const r = await stopWorker().catch((e: Error) => fail(e.message));
    const forced = r.forced ? `; it did not exit within ${r.graceMs / 1000} s of SIGTERM, so it was killed` : '';
    console.log(r.stopped ? `Worker stopped (pid ${r.pid}${forced})` : 'Worker was not running');
    if (r.removed.length) console.log(`Removed stale ${r.removed.join(' and ')}`);
  });

worker
  .command('restart')
  .description('restart the worker (a hung one is killed); waits until the new one answers health')
  .action(async () => {
    const before = await stopWorker().catch((e: Error) => fail(e.message));
    const r = await startWorker(workerScript).catch((e: Error) => fail(e.message));
    const forced = before.forced ? ` (the old worker did not exit within ${before.graceMs / 1000} s and was killed)` : '';
    console.log(`Worker restarted: pid ${before.pid ?? '-'} → ${r.pid} at ${workerBaseUrl()}${forced}`);
  });

worker
  .command('status')
  .description('health, queue and provider status')
  .option('--json', 'print the health JSON')
  .action(async (opts: { json?: boolean }) => {
    const h = await health(2000);
    if (!h) {
      if (opts.json) console.log(JSON.stringify({ status: 'stopped' }));
      else {
        console.log(`Worker: not running (expected at ${workerBaseUrl()})`);
        printSettingsProblems();
      }
      process.exitCode = 3;
      return;
    }
    if (opts.json) return console.log(JSON.stringify(h, null, 2));
    const queue = await api<QueueResponse>('GET', '/api/queue');
    console.log(`Worker:    running, pid ${h.pid}, v${h.version}, up ${h.uptimeSeconds}s at ${workerBaseUrl()}`);
    printSettingsProblems();
    console.log(`Provider:  ${h.provider} · model ${h.model} · ${h.baseUrl || h.baseUrlHost || '-'}`);
    console.log(`Queue:     ${h.queueDepth} pending, ${h.deadLetters} dead-lettered`);
    const b = h.budget;
    console.log(`Budget:    ${b.dailyLimit > 0 ? `${b.spentToday}/${b.dailyLimit} tokens today${b.exhausted ? ' — EXHAUSTED, events wait until tomorrow (UTC)' : ''}` : `unlimited (${b.spentToday} tokens today)`}`);
    if (h.paused) console.log(`Paused:    ${h.paused}`);
    if (h.outage) {
      console.log(`Outage:    ${describeOutage(h.outage)}`);
      console.log(`           last error: ${h.outage.lastError}`);
    }
    const v = h.embeddings;
    if (v && v.mode !== 'none') {
      console.log(`Vectors:   ${v.mode} · ${v.model ?? '-'} · ${v.indexed}/${v.total} indexed · ${v.state}${v.lastError ? ` — ${v.lastError.message}` : ''}`);
    }
    if (h.lastError) {
      if (h.lastError.message !== h.paused) console.log(`Last error (${h.lastError.at}): ${h.lastError.message}`);
      const hint = providerFixHint({ provider: h.provider, model: h.model, baseUrl: h.baseUrl, message: h.lastError.message });
      if (hint) console.log(`Fix:       ${hint}`);
    }
    for (const d of queue.deadLetters.slice(0, 10)) console.log(`  dead #${d.id} ${d.kind} after ${d.attempts} attempts: ${d.last_error ?? ''}`);
  });

worker
  .command('logs')
  .description('print the last lines of worker.log')
  .option('-n, --lines <n>', 'number of lines', '50')
  .option('-f, --follow', 'keep printing new lines')
  .option('-e, --errors', 'worker-error.log instead')
  .action((opts: { lines: string; follow?: boolean; errors?: boolean }) => {
    const file = opts.errors ? workerErrorLogPath() : workerLogPath();
    const n = Number(opts.lines);
    if (!Number.isInteger(n) || n < 1) fail('--lines must be a positive integer');
    for (const line of tailLog(file, n)) console.log(line);
    if (opts.follow) follow(file, (l) => console.log(l));
  });

program
  .command('install')
  .description(`register claude-mem's hooks and MCP server with Claude Code (plugin in the data dir, settings.json)`)
  .option('--hooks <mode>', 'auto (from `claude --version`); mcp (http hooks record, the MCP server answers), http (answers from a process), or command (a process per event, for old Claude Code)', 'auto')
  .option('--claude-bin <path>', 'the Claude Code executable whose version decides the hook type', 'claude')
  .action((opts: { hooks: string; claudeBin: string }) => {
    if (opts.hooks !== 'auto' && !HOOK_MODES.includes(opts.hooks as HookMode)) fail(`--hooks must be auto, ${HOOK_MODES.join(', ')} (got ${JSON.stringify(opts.hooks)})`);
    const r = install({ packageRoot: pluginRoot, hooks: opts.hooks as 'auto' | HookMode, claudeBin: opts.claudeBin });
    console.log(r.changed ? `Registered the claude-mem plugin (${r.pluginDir}) in ${r.settingsFile}${r.backup ? ` (backup: ${r.backup})` : ''}` : `Already registered in ${r.settingsFile}`);
    console.log(`Hooks: ${r.hooks.mode} (${r.hooks.why}).`);
    console.log('Start a new Claude Code session to load the hooks and the mem-search MCP server.');
  });

program
  .command('uninstall')
  .description('remove the registration from Claude Code settings (memory data is kept)')
  .action(() => {
    const r = uninstall();
    console.log(r.changed ? `Removed claude-mem from ${r.settingsFile}${r.backup ? ` (backup: ${r.backup})` : ''}` : 'claude-mem was not registered');
    console.log(`Your memory is still in ${dataDir()}.`);
  });

const env = program.command('env').description(`manage credentials in ${envFilePath()}`);
env
  .command('set <key> <value>')
  .description(`set a credential (${RECOGNISED_ENV_KEYS.join(', ')}); an empty value removes it`)
  .action((key: string, value: string) => {
    try {
      saveClaudeMemEnv({ [key]: value });
    } catch (e) {
      fail((e as Error).message);
    }
    for (const w of envValueWarnings(key, value)) console.error(`claude-mem: warning: ${w}`);
    console.log(`${value ? 'Saved' : 'Removed'} ${key} in ${envFilePath()} (mode 0600). Run \`claude-mem worker restart\` to apply.`);
  });
env
  .command('list')
  .description('which credentials are set and where from (never the values)')
  .action(() => {
    const { settings } = loadSettings({ createIfMissing: false });
    const r = describeCredentialSources({ autodetect: settings.CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV === 'true' });
    for (const c of r.credentials) console.log(`${c.key.padEnd(22)} ${c.set ? `set (${c.source})` : 'not set'}`);
    if (r.blockedInShell.length) console.log(`Ignored from the shell (isolation): ${r.blockedInShell.join(', ')}`);
  });

program
  .command('doctor')
  .description('check the data dir, settings, credentials, the provider (one tiny request), the worker and hook registration')
  .option('--offline', 'do not send the test request to the provider')
  .action(async (opts: { offline?: boolean }) => {
    const ok = await runDoctor({ pluginRoot, installed: isInstalled(pluginRoot), offline: opts.offline === true });
    process.exitCode = ok ? 0 : 1;
  });

program
  .command('eval')
  .description('check that search finds your own observations (queries from their titles and facts); warns when it got worse')
  .option('--sample <n>', 'how many of the newest observations to check', '200')
  .option('--json', 'print JSON')
  .action(async (opts: { sample: string; json?: boolean }) => {
    const sample = Number(opts.sample);
    if (!Number.isInteger(sample) || sample < 1 || sample > 1000) fail('--sample must be a whole number from 1 to 1000');
    await ensureWorker();
    const result = await runEval((route) => api(`GET`, route), { sample, version: VERSION });
    const file = lastEvalPath(dataDir());
    const { text, dropped } = formatEval(result, readLastEval(file));
    console.log(opts.json ? JSON.stringify({ ...result, dropped }, null, 2) : text);
    if (result.queries) fs.writeFileSync(file, JSON.stringify(result, null, 2), { mode: 0o600 });
  });

program
  .command('stats')
  .description('tokens and estimated cost of the memory agent, by day, project, session or model')
  .option('--by <group>', 'day, project, session or model', 'day')
  .option('--days <n>', 'how many UTC days back, today included', '30')
  .option('--json', 'print JSON')
  .action(async (opts: { by: string; days: string; json?: boolean }) => {
    await ensureWorker();
    const params = new URLSearchParams({ by: opts.by, days: opts.days });
    const res = await api<UsageStats>('GET', `/api/stats?${params}`, undefined, { by: '--by', days: '--days' });
    console.log(opts.json ? JSON.stringify(res, null, 2) : formatUsageStats(res));
  });

program
  .command('search <query>')
  .description('search memory')
  .option('-p, --project <name>', 'only this project')
  .option('-t, --type <types>', 'comma-separated observation types')
  .option('-l, --limit <n>', 'max results', '20')
  .option('--json', 'print JSON')
  .action(async (query: string, opts: { project?: string; type?: string; limit: string; json?: boolean }) => {
    await ensureWorker();
    const params = new URLSearchParams({ query, limit: opts.limit });
    if (opts.project) params.set('project', opts.project);
    if (opts.type) params.set('type', opts.type);
    const res = await api<SearchResponse>('GET', `/api/search?${params}`, undefined, {
      query: 'the query',
      limit: '--limit',
      type: '--type',
      project: '--project',
    });
    console.log(opts.json ? JSON.stringify(res, null, 2) : formatSearchTable(res));
  });

program
  .command('export')
  .description('print all memory (or one project) as JSON')
  .option('-p, --project <name>', 'only this project')
  .option('-o, --output <file>', 'write to a file instead of stdout')
  .action(async (opts: { project?: string; output?: string }) => {
    await ensureWorker();
    const data = await api<ExportResponse>('GET', `/api/export${opts.project ? `?project=${encodeURIComponent(opts.project)}` : ''}`, undefined, { project: '--project' }, 120_000);
    const text = JSON.stringify(data, null, 2) + '\n';
    if (opts.output) fs.writeFileSync(opts.output, text);
    else process.stdout.write(text);
  });

program
  .command('import <file>')
  .description('import memory from an export file (idempotent)')
  .action(async (file: string) => {
    let data: { observations?: unknown[]; summaries?: unknown[]; prompts?: unknown[] };
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`${file}: ${(e as Error).message}`);
    }
    await ensureWorker();
    const kinds = ['observations', 'summaries', 'prompts'] as const;
    const total = kinds.reduce((n, k) => n + (data[k]?.length ?? 0), 0);
    const bar = progressBar(total, 'importing');
    const sum = { imported: 0, skipped: 0 };
    const BATCH = 500;
    for (const kind of kinds) {
      const rows = data[kind] ?? [];
      for (let i = 0; i < rows.length; i += BATCH) {
        const chunk = rows.slice(i, i + BATCH);
        let out: ImportResponse;
        try {
          out = await workerClient().request<ImportResponse>('POST', '/api/import', { body: { [kind]: chunk }, timeoutMs: 120_000 });
        } catch (err) {
          bar.done();
          if (!(err instanceof WorkerHttpError)) fail(workerFailure(err));
          // Validation paths are relative to the chunk: point at the record in the file.
          const msg = err.message.replace(new RegExp(`${kind}\\.(\\d+)`, 'g'), (_m, n) => `${kind}[${i + Number(n)}]`);
          fail(`${file}: ${msg}`);
        }
        sum.imported += out[kind].imported;
        sum.skipped += out[kind].skipped;
        bar.tick(chunk.length);
      }
    }
    bar.done();
    console.log(`Imported ${sum.imported} records, skipped ${sum.skipped} already present.`);
  });

program
  .command('migrate')
  .description('copy the local SQLite store into PostgreSQL (--to) or back (--from); idempotent')
  .option('--to <url>', 'postgres://… to copy the local store into')
  .option('--from <url>', 'postgres://… to copy into the local store')
  .action(async (opts: { to?: string; from?: string }) => {
    // Loaded on demand: only this command needs the PostgreSQL driver.
    const { runMigrate } = await import('./migrate.js');
    const { summary } = await runMigrate(opts).catch((e: Error) => fail(e.message));
    console.log(summary);
  });

program
  .command('backfill')
  .description('import past Claude Code sessions from their transcripts (estimate of tokens and cost first)')
  .option('--project <name>', 'only this project')
  .option('--since <date>', 'only sessions active since this date (YYYY-MM-DD or ISO time)')
  .option('--dry-run', 'show what would be imported and the estimate; import nothing')
  .option('--yes', 'do not ask before spending tokens')
  .action(async (opts: { project?: string; since?: string; dryRun?: boolean; yes?: boolean }) => {
    const { runBackfill } = await import('./backfill.js');
    await runBackfill(opts, async () => {
      await ensureWorker();
      return workerBaseUrl();
    }).catch((e: unknown) => fail(workerFailure(e)));
  });

program
  .command('reindex')
  .description('embed every observation for vector search (CLAUDE_MEM_EMBEDDINGS), with a progress bar')
  .option('--reset', 'drop the stored vectors first: needed after changing the embedding model')
  .action(async (opts: { reset?: boolean }) => {
    await ensureWorker();
    const s = await runReindex({ client: workerClient(), reset: opts.reset === true }).catch((e: unknown) => fail(workerFailure(e)));
    console.log(`Vector index: ${s.indexed}/${s.total} observations embedded with ${s.model} (${s.dimension ?? '?'} dimensions).`);
  });

const oneLine = (s: string | null, n = 160) => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

const queueCmd = program.command('queue').description('events waiting for the memory agent, and dead letters (events that failed every attempt)');
queueCmd
  .command('list', { isDefault: true })
  .description('pending events and dead letters with their last error (the default)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const q = await api<QueueResponse>('GET', '/api/queue');
    if (opts.json) return console.log(JSON.stringify(q, null, 2));
    console.log(`${q.depth} pending, ${q.deadLetters.length}${q.deadLetters.length === 100 ? '+' : ''} dead-lettered`);
    if (q.pending.length) {
      console.log('\nPending:');
      for (const p of q.pending) {
        console.log(`  #${p.id} ${p.kind} · ${p.project} · ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${p.last_error ? ` · last error: ${oneLine(p.last_error)}` : ''}`);
      }
      if (q.depth > q.pending.length) console.log(`  … and ${q.depth - q.pending.length} more`);
    }
    if (q.deadLetters.length) {
      console.log('\nDead letters (retry one with `claude-mem queue retry <id>`, all with `claude-mem queue retry --all`):');
      for (const d of q.deadLetters) {
        console.log(`  #${d.id} ${d.kind} · ${d.project} · dead since ${d.dead_at} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`);
        console.log(`      ${oneLine(d.last_error) || '(no error recorded)'}`);
      }
    }
  });

queueCmd
  .command('retry [id]')
  .description('put a dead-lettered event (or --all of them) back in the queue')
  .option('--all', 'retry every dead letter')
  .action(async (id: string | undefined, opts: { all?: boolean }) => {
    if ((opts.all === true) === (id !== undefined)) fail('give one dead-letter id (see `claude-mem queue`) or --all, not both or neither');
    if (id !== undefined) {
      if (!/^[1-9][0-9]{0,15}$/.test(id)) fail(`"${id}" is not a dead-letter id: use the number shown by \`claude-mem queue\` (e.g. \`claude-mem queue retry 7\`)`);
      try {
        await workerClient().request('POST', `/api/queue/dead/${id}/retry`);
      } catch (err) {
        if (err instanceof WorkerHttpError && err.status === 404) fail(`there is no dead letter #${id} (any more): \`claude-mem queue\` lists them`);
        fail(workerFailure(err));
      }
      return console.log(`Dead letter #${id} is queued again.`);
    }
    // The route lists at most 100 at a time: retry page by page, each id once (a retried event
    // that fails again comes back, and must not be retried in a loop).
    const retried = new Set<number>();
    for (;;) {
      const fresh = (await api<QueueResponse>('GET', '/api/queue')).deadLetters.filter((d) => !retried.has(d.id));
      if (!fresh.length) break;
      for (const d of fresh) {
        retried.add(d.id);
        try {
          await workerClient().request('POST', `/api/queue/dead/${d.id}/retry`);
        } catch (err) {
          if (err instanceof WorkerUnreachableError) fail(`the worker stopped answering after ${retried.size - 1} retries`);
          // 404: retried meanwhile by someone else (the viewer): nothing left to do for it.
          if (!(err instanceof WorkerHttpError && err.status === 404)) fail(workerFailure(err));
        }
      }
    }
    console.log(retried.size ? `Queued ${retried.size} dead-lettered event${retried.size === 1 ? '' : 's'} again.` : 'No dead letters to retry.');
  });

registerMemoryCommands(program, { api, ensureWorker, fail });
registerOpenCommand(program, { api, ensureWorker });

program
  .command('paths')
  .description('print where claude-mem keeps its files')
  .action(() => {
    console.log(`data dir:  ${dataDir()}\nsettings:  ${settingsPath()}\n.env:      ${envFilePath()}\nlogs:      ${workerLogPath()}`);
  });

// No command at all: the help, as a successful answer (not commander's usage error).
if (process.argv.length <= 2) {
  program.outputHelp();
  process.exit(0);
}
program.parseAsync().catch((e: Error) => fail(e.message));
