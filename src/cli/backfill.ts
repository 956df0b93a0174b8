// `claude-mem backfill`: import past Claude Code sessions from their transcripts
// (<config dir>/projects/<project>/<session>.jsonl) so memory is useful on the first day.
// First a local, read-only pass estimates what the memory agent will be asked to read and what
// that costs; nothing is spent until the user agrees (or passed --yes). Then each transcript is
// handed to the worker (POST /api/transcripts/import), which reads it through the same capture path
// as the hooks: privacy applies, and what is already in memory is not queued again.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { claudeConfigDir } from '../config/paths.js';
import { resolveProject } from '../config/project.js';
import { loadSettings, type Settings } from '../config/SettingsManager.js';
import { parseDateBound } from '../lib/dateRange.js';
import { isExcludedProject, shouldSkipTool } from '../capture/privacy.js';
import { isOwnToolCall } from '../capture/ownTools.js';
import { readTranscript } from '../capture/transcript.js';
import { TranscriptState } from '../capture/transcriptState.js';
import { costOf, priceTable } from '../agent/pricing.js';
import { createWorkerClient, WorkerHttpError, WorkerUnreachableError } from '../api/workerClient.js';

export interface BackfillOptions {
  project?: string;
  since?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export interface Candidate {
  file: string;
  project: string;
  /** Where the import will start (bytes already read by capture are not estimated again). */
  offset: number;
  size: number;
}

export interface Estimate {
  sessions: number;
  prompts: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  model: string;
  /** USD, or null when the model has no price (CLAUDE_MEM_MODEL_PRICES). */
  usd: number | null;
}

/**
 * Token estimate, per tool call the memory agent will see: its input and output rendered up to
 * CLAUDE_MEM_FIELD_MAX_CHARS each (as the agent's prompt does), plus ~600 characters of framing,
 * at ~4 characters per token; plus the batch's instructions (~1,200 tokens per batch of
 * CLAUDE_MEM_BATCH_MAX_EVENTS). Output: ~150 tokens (one observation) per tool call. The batched
 * bench measured ~200–230 input tokens per small tool call, which this reproduces.
 */
export const CHARS_PER_TOKEN = 4;
const FRAMING_CHARS = 600;
const INSTRUCTION_TOKENS_PER_BATCH = 1200;
const OUTPUT_TOKENS_PER_CALL = 150;

const jsonChars = (v: unknown): number => {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') return v.length;
  try {
    return JSON.stringify(v).length;
  } catch {
    return 0;
  }
};

/** The project a transcript belongs to: from the first line that names a cwd. */
async function transcriptProject(file: string): Promise<{ cwd: string; project: string } | null> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
    for (const line of buf.subarray(0, bytesRead).toString('utf8').split('\n')) {
      const m = /"cwd":"((?:[^"\\]|\\.)*)"/.exec(line);
      if (m) {
        const cwd = JSON.parse(`"${m[1]}"`) as string;
        return { cwd, project: resolveProject(cwd).project };
      }
    }
  } finally {
    await fd.close();
  }
  return null;
}

/** Transcripts to import: filtered by project and date, minus those already read to the end. */
export async function findCandidates(opts: BackfillOptions, settings: Settings, state: TranscriptState): Promise<Candidate[]> {
  const root = path.join(claudeConfigDir(), 'projects');
  let since: number | null = null;
  if (opts.since) {
    const bound = parseDateBound(opts.since, 'start');
    if (bound === null) throw new Error(`--since: ${JSON.stringify(opts.since)} is not a date; use YYYY-MM-DD or an ISO timestamp`);
    since = bound;
  }
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    throw new Error(`no Claude Code transcripts at ${root} (set CLAUDE_CONFIG_DIR if Claude Code keeps its config elsewhere)`);
  }
  const out: Candidate[] = [];
  for (const dir of dirs.sort()) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
      const file = fs.realpathSync(path.join(root, dir, name));
      const st = fs.statSync(file);
      if (!st.isFile() || st.size === 0) continue;
      if (since !== null && st.mtimeMs < since) continue;
      const offset = state.get(file)?.offset ?? 0;
      if (offset >= st.size) continue; // already in memory
      const where = await transcriptProject(file);
      if (!where) continue;
      if (opts.project && where.project !== opts.project) continue;
      if (isExcludedProject(where.cwd, settings.CLAUDE_MEM_EXCLUDED_PROJECTS)) continue;
      out.push({ file, project: where.project, offset, size: st.size });
    }
  }
  return out;
}

/** Reads the candidates locally (nothing is stored) and estimates tokens and cost. */
export async function estimate(candidates: Candidate[], settings: Settings, onFile: () => void = () => undefined): Promise<Estimate> {
  const field = Number(settings.CLAUDE_MEM_FIELD_MAX_CHARS) || 4000;
  const batch = Math.max(1, Number(settings.CLAUDE_MEM_BATCH_MAX_EVENTS) || 20);
  let prompts = 0;
  let toolCalls = 0;
  let chars = 0;
  for (const c of candidates) {
    await readTranscript(c.file, c.offset, (e) => {
      if (e.kind === 'prompt') {
        prompts++;
        return;
      }
      if (e.privateTurn || shouldSkipTool(e.toolName, settings.CLAUDE_MEM_SKIP_TOOLS) || isOwnToolCall(e.toolName, e.toolInput)) return;
      toolCalls++;
      chars += Math.min(jsonChars(e.toolInput), field) + Math.min(jsonChars(e.error ?? e.toolResponse), field) + FRAMING_CHARS;
    });
    onFile();
  }
  const inputTokens = Math.ceil(chars / CHARS_PER_TOKEN) + Math.ceil(toolCalls / batch) * INSTRUCTION_TOKENS_PER_BATCH;
  const outputTokens = toolCalls * OUTPUT_TOKENS_PER_CALL;
  const model = settings.CLAUDE_MEM_MODEL;
  let usd: number | null = null;
  try {
    usd = costOf({ input_tokens: inputTokens, output_tokens: outputTokens, cache_read_tokens: 0, cache_write_tokens: 0 }, model, priceTable(settings.CLAUDE_MEM_MODEL_PRICES ?? ''));
  } catch {
    usd = null; // a bad price table is reported by `claude-mem stats` / doctor
  }
  return { sessions: candidates.length, prompts, toolCalls, inputTokens, outputTokens, model, usd };
}

export function describeEstimate(e: Estimate): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const cost = e.usd === null ? `cost unknown (${e.model} has no price; set CLAUDE_MEM_MODEL_PRICES)` : `≈ $${e.usd.toFixed(e.usd < 1 ? 3 : 2)} with ${e.model}`;
  return [
    `${n(e.sessions)} session(s) to import: ${n(e.prompts)} prompt(s), ${n(e.toolCalls)} tool call(s) for the memory agent.`,
    `Estimated memory-agent usage: ≈ ${n(e.inputTokens)} input + ${n(e.outputTokens)} output tokens, ${cost}.`,
    `(estimate: tool input and output up to CLAUDE_MEM_FIELD_MAX_CHARS each, ~${CHARS_PER_TOKEN} characters per token, plus instructions per batch and ~${OUTPUT_TOKENS_PER_CALL} output tokens per call)`,
  ].join('\n');
}

/** Progress on stderr: a bar on a terminal, a line per ~10% otherwise (logs, CI). */
export function progress(total: number, label: string) {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  let lastPct = -1;
  return {
    tick(note = '') {
      done++;
      if (tty) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${note}`.padEnd(100).slice(0, 100));
      } else {
        const pct = Math.floor((done / total) * 10) * 10;
        if (pct !== lastPct || done === total) {
          lastPct = pct;
          process.stderr.write(`${label}: ${done}/${total} (${Math.round((done / total) * 100)}%)\n`);
        }
      }
    },
    done() {
      if (tty && total > 0) process.stderr.write('\n');
    },
  };
}

export interface ImportTotals {
  sessions: number;
  prompts: number;
  tools: number;
  duplicates: number;
  skipped: number;
  malformed: number;
  failed: Array<{ file: string; error: string }>;
}

/** Hands each transcript to the worker, in order, with progress. */
export async function importAll(baseUrl: string, candidates: Candidate[]): Promise<ImportTotals> {
  const totals: ImportTotals = { sessions: 0, prompts: 0, tools: 0, duplicates: 0, skipped: 0, malformed: 0, failed: [] };
  // The worker client sends the worker token, and only to a listener that proved it holds it.
  const client = createWorkerClient({ baseUrl, timeoutMs: 10 * 60_000 });
  const bar = progress(candidates.length, 'backfill');
  for (const c of candidates) {
    let body: { prompts?: number; tools?: number; duplicates?: number; skipped?: number; malformed?: number };
    try {
      body = await client.request('POST', '/api/transcripts/import', { body: { transcript_path: c.file } });
    } catch (err) {
      if (err instanceof WorkerHttpError && err.status !== 401 && err.status !== 403) {
        totals.failed.push({ file: c.file, error: err.message });
        bar.tick(c.project);
        continue;
      }
      if (err instanceof WorkerUnreachableError) {
        throw new Error(`the worker at ${baseUrl} stopped answering (${err.reason}); run backfill again to continue where it stopped`);
      }
      throw err; // an impostor on the port, or a refused token: no other transcript would fare better
    }
    totals.sessions++;
    totals.prompts += body.prompts ?? 0;
    totals.tools += body.tools ?? 0;
    totals.duplicates += body.duplicates ?? 0;
    totals.skipped += body.skipped ?? 0;
    totals.malformed += body.malformed ?? 0;
    bar.tick(c.project);
  }
  bar.done();
  return totals;
}

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error('not asking without a terminal: pass --yes to import, or --dry-run to only see the estimate');
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** The whole command. `ensureWorker` starts the worker if needed and returns its base URL. */
export async function runBackfill(opts: BackfillOptions, ensureWorker: () => Promise<string>): Promise<void> {
  const { settings } = loadSettings({ createIfMissing: false });
  const state = new TranscriptState();
  const candidates = await findCandidates(opts, settings, state);
  if (candidates.length === 0) {
    console.log(`Nothing to import: every transcript${opts.project ? ` of ${opts.project}` : ''}${opts.since ? ` since ${opts.since}` : ''} is already in memory.`);
    return;
  }
  const scan = progress(candidates.length, 'estimating');
  const est = await estimate(candidates, settings, () => scan.tick());
  scan.done();
  console.log(describeEstimate(est));
  if (opts.dryRun) {
    console.log('Dry run: nothing imported.');
    return;
  }
  if (!opts.yes && !(await confirm('Import these sessions?'))) {
    console.log('Nothing imported.');
    return;
  }
  const baseUrl = await ensureWorker();
  const t = await importAll(baseUrl, candidates);
  console.log(
    `Imported ${t.sessions} session(s): ${t.prompts} prompt(s) and ${t.tools} tool call(s) queued for the memory agent; ${t.duplicates} already in memory, ${t.skipped} skipped by privacy settings${t.malformed ? `, ${t.malformed} unreadable line(s) skipped` : ''}.`,
  );
  for (const f of t.failed) console.error(`claude-mem: ${f.file}: ${f.error}`);
  if (t.failed.length) process.exitCode = 1;
}
