// How the memory agent groups a session's queued events into one request. A batch is the oldest
// events of one prompt, in order: it never mixes prompts (so never sessions), ends at the turn's
// summary, holds at most `maxEvents`, and waits for more only while the prompt may still be running
// (its newest event is younger than `idleMs` and nothing after it has arrived). Pure: no I/O.
import path from 'node:path';
import type { PendingEventRow, SummarizePayload, ToolEventPayload } from '../api/types.js';
import type { FilesTouched } from './eventFormat.js';
import type { ParsedObservation } from './parser.js';

export interface BatchRule {
  maxEvents: number;
  idleMs: number;
  now: number;
}

export interface FormedBatch {
  /** The events to send together, oldest first. */
  batch: PendingEventRow[];
  /** Claimed events that belong to a later batch: give them back untouched. */
  rest: PendingEventRow[];
  /** Null: send now. Otherwise the batch may still grow: give it back until then (epoch ms). */
  dueAt: number | null;
}

const promptOf = (e: PendingEventRow): number | null =>
  (e.payload as ToolEventPayload | SummarizePayload).prompt_number ?? null;

/** `rows` are a session's claimed head events, oldest first (claim at least maxEvents + 1 to see past the batch). */
export function formBatch(rows: PendingEventRow[], rule: BatchRule): FormedBatch {
  if (rows.length === 0) return { batch: [], rest: [], dueAt: null };
  const first = rows[0];
  // An event that already failed once is retried alone, so one event the backend refuses cannot
  // take its neighbours to the dead-letter queue with it.
  const max = first.attempts > 0 ? 1 : Math.max(1, rule.maxEvents);
  const batch: PendingEventRow[] = [];
  for (const row of rows) {
    if (batch.length >= max || promptOf(row) !== promptOf(first) || row.attempts > 0 !== first.attempts > 0) break;
    batch.push(row);
    if (row.kind === 'summarize') break;
  }
  const rest = rows.slice(batch.length);
  const closed = batch[batch.length - 1].kind === 'summarize' || batch.length >= max || rest.length > 0;
  if (closed) return { batch, rest, dueAt: null };
  const newest = Math.max(...batch.map((e) => Date.parse(e.created_at) || 0));
  const dueAt = newest + rule.idleMs;
  return { batch, rest, dueAt: dueAt > rule.now ? dueAt : null };
}

/** Per-field character cap for a batch of `n` tool calls: the whole batch stays within `totalChars`. */
export function fieldCapFor(n: number, fieldMaxChars: number, totalChars: number): number {
  return Math.max(400, Math.min(fieldMaxChars, Math.floor(totalChars / Math.max(1, n) / 2)));
}

/**
 * Files for an observation recorded from several tool calls: the ones the model listed (resolved
 * against the session's cwd), plus each file a tool call in the batch touched that the observation
 * names by path or file name. Attaching every touched file to every observation would make them
 * all "about" everything.
 */
export function filesForObservation(obs: ParsedObservation, touched: FilesTouched, cwd?: string): Pick<ParsedObservation, 'files_read' | 'files_modified'> {
  const resolve = (p: string): string => (cwd && path.isAbsolute(cwd) && !path.isAbsolute(p) ? path.resolve(cwd, p) : p);
  const text = [obs.title, obs.subtitle, obs.narrative, ...obs.facts].join('\n');
  const named = (file: string) => text.includes(file) || text.includes(path.basename(file));
  const dedupe = (xs: string[]) => [...new Set(xs)];
  return {
    files_read: dedupe([...obs.files_read.map(resolve), ...touched.read.filter(named)]),
    files_modified: dedupe([...obs.files_modified.map(resolve), ...touched.modified.filter(named)]),
  };
}
