// SessionStart context (SPEC §6): a compact, chronological index of a project's recent memory,
// rendered under a hard byte cap. Pure: rows in, text out — selection from the store happens upstream.
import type { Observation, ObservationType, Summary } from '../api/types.js';
import { fence, FENCE_CLOSE, FENCE_OPEN, neutraliseMarkup } from './fence.js';
import { staleNote } from '../store/fileState.js';

export interface ContextSettings {
  /** How many of the newest observations to consider (CLAUDE_MEM_CONTEXT_OBSERVATIONS). */
  observations: number;
  /** How many of the newest session summaries to interleave (CLAUDE_MEM_CONTEXT_SESSION_COUNT). */
  sessionCount: number;
  /** How many of the newest observations also show their narrative/facts (CLAUDE_MEM_CONTEXT_FULL_COUNT). */
  fullCount: number;
  fullField: 'narrative' | 'facts';
  showLastSummary: boolean;
  /** Cap on the whole output, wrapper included, in UTF-8 bytes (CLAUDE_MEM_CONTEXT_MAX_BYTES). */
  maxBytes: number;
}

export interface ContextInput {
  project: string;
  /** Projects whose memory is shown: `[project]`, or `[worktree, parent]` inside a git worktree. */
  projects: string[];
  /** Newest first. */
  observations: Observation[];
  /** Newest first. */
  summaries: Summary[];
  settings: ContextSettings;
  now?: Date;
  /** IANA zone for dates and times; default: the machine's local zone. */
  timeZone?: string;
}

export const CONTEXT_OPEN_TAG = FENCE_OPEN;
export const CONTEXT_CLOSE_TAG = FENCE_CLOSE;

export const TYPE_ICONS: Record<ObservationType, string> = {
  bugfix: '🔴',
  feature: '🟣',
  refactor: '🔄',
  change: '✅',
  discovery: '🔵',
  decision: '⚖️',
  security_alert: '🚨',
  security_note: '🔐',
};

const LEGEND =
  'Legend: ' +
  (Object.entries(TYPE_ICONS) as Array<[ObservationType, string]>).map(([t, icon]) => `${icon} ${t}`).join(' · ');

const FETCH_HINT =
  'Need details? MCP tools: get_observations([IDs]) returns full records for the #IDs above; ' +
  'search(query) finds older memory; timeline(anchor=ID) shows what happened around a record.';

/** Narrative lengths tried, longest first, when the newest rows alone do not fit the cap. */
const DETAIL_LEVELS = [Infinity, 600, 300, 160, 80, 0];
/** Lengths tried for the last-summary fields, longest first, until the index gets some room. */
const SUMMARY_FIELD_LEVELS = [500, 250, 120, 60, 0];

const WRAPPER_BYTES = byteLength(fence(''));

const CONTEXT_BLOCK = /<claude-mem-context\b[^>]*>[\s\S]*?<\/claude-mem-context\s*>/gi;
const CONTEXT_TAG = /<\/?claude-mem-context\b[^>]*>/gi;

/**
 * Remove injected-context markup from text about to be rendered, so a record that captured an
 * earlier injection can never nest one context block inside another.
 */
export function stripContextTags(text: string): string {
  return text.replace(CONTEXT_BLOCK, ' ').replace(CONTEXT_TAG, '');
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Render the SessionStart context. Never longer than `settings.maxBytes` UTF-8 bytes. */
export function renderContext(input: ContextInput): string {
  const { settings } = input;
  const cap = Math.floor(settings.maxBytes);
  if (!(cap > WRAPPER_BYTES)) return '';

  const observations = input.observations.slice(0, Math.max(0, Math.floor(settings.observations)));
  const summaries = input.summaries.slice(0, Math.max(0, Math.floor(settings.sessionCount)));
  if (input.observations.length === 0 && input.summaries.length === 0) {
    return fitToCap(wrap(emptyProjectText(input.project)), cap);
  }

  const fmt = makeFormatters(input.timeZone, input.now ?? new Date());
  const parent = input.projects.length > 1 ? input.projects[input.projects.length - 1] : null;
  const ownProject = input.projects[0] ?? input.project;
  const fullIds = new Set(observations.slice(0, Math.max(0, Math.floor(settings.fullCount))).map((o) => o.id));
  const rows = buildRows(observations, summaries, fullIds, ownProject, fmt);
  const lastSummary = settings.showLastSummary ? (input.summaries[0] ?? null) : null;

  for (const summaryLevel of SUMMARY_FIELD_LEVELS) {
    const head = headerLines(input.project, parent, fmt);
    const lastLevel = summaryLevel === SUMMARY_FIELD_LEVELS[SUMMARY_FIELD_LEVELS.length - 1];
    const summaryLines = lastSummaryLines(lastSummary, summaryLevel, fmt);
    // The index is the point of the context: the last summary may take at most a quarter of the cap.
    if (!lastLevel && byteLength(summaryLines.join('\n')) > cap / 4) continue;
    const tail = summaryLines.length ? [...summaryLines, '', FETCH_HINT] : [FETCH_HINT];
    const frameBytes = byteLength(wrap([...head, '', ...tail].join('\n'))) + 2; // +2: blank line after the index
    const budget = cap - frameBytes;
    if (budget < 0) continue;
    const index = fitIndex(rows, budget, settings.fullField);
    if (index.length === 0 && rows.length > 0 && !lastLevel) continue;
    const body = [...head, '', ...index, ...(index.length ? [''] : []), ...tail].join('\n');
    return fitToCap(wrap(body), cap);
  }
  // Even the bare frame is too big for this cap: keep what fits, never more.
  return fitToCap(wrap([...headerLines(input.project, parent, fmt), '', FETCH_HINT].join('\n')), cap);
}

// ---------------------------------------------------------------------------------------------
// Rows

/** " (stale: src/app.ts changed since)" / " (superseded by #12)": what Claude must know before trusting a row. */
export function freshnessNote(o: Pick<Observation, 'stale' | 'stale_files' | 'superseded_by'>): string {
  const notes: string[] = [];
  if (o.superseded_by) notes.push(`superseded by #${o.superseded_by}`);
  if (o.stale) notes.push(`stale: ${o.stale_files?.length ? staleNote(o.stale_files.map((f) => oneLine(stripContextTags(f)))) : 'its files changed since'}`);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

interface Row {
  epoch: number;
  /** Day header text; computed on first use (most candidate rows are never rendered). */
  day: () => string;
  /** The one-line index entry, also computed on first use. */
  line: () => string;
  /** Observation rows that also show details (the newest `fullCount`). */
  detail: { narrative: string; facts: string[] } | null;
}

function buildRows(
  observations: Observation[],
  summaries: Summary[],
  fullIds: Set<number>,
  ownProject: string,
  fmt: Formatters,
): Row[] {
  type Item = { epoch: number; order: number; row: Row };
  const items: Item[] = [];
  observations.forEach((o, i) => {
    const epoch = epochOf(o);
    items.push({
      epoch,
      // Input is newest first; a larger order means older, which breaks epoch ties chronologically.
      order: i,
      row: {
        epoch,
        day: once(() => fmt.day(epoch)),
        line: once(() => {
          const label = o.project && o.project !== ownProject ? `[${oneLine(o.project)}] ` : '';
          const title = oneLine(stripContextTags(o.title ?? '')) || '(untitled)';
          return `#${o.id} ${fmt.time(epoch)} ${TYPE_ICONS[o.type] ?? '•'} ${label}${title}${freshnessNote(o)}`;
        }),
        detail: fullIds.has(o.id)
          ? {
              narrative: oneLine(stripContextTags(o.narrative ?? '')),
              facts: (o.facts ?? []).map((f) => oneLine(stripContextTags(f))).filter(Boolean),
            }
          : null,
      },
    });
  });
  summaries.forEach((s, i) => {
    const epoch = epochOf(s);
    items.push({
      epoch,
      order: i,
      row: {
        epoch,
        day: once(() => fmt.day(epoch)),
        line: once(() => {
          const label = s.project && s.project !== ownProject ? `[${oneLine(s.project)}] ` : '';
          const request = truncate(oneLine(stripContextTags(s.request ?? '')), 200) || '(no request recorded)';
          return `**Session S${s.id}** ${fmt.time(epoch)} ${label}${request}`;
        }),
        detail: null,
      },
    });
  });
  items.sort((a, b) => a.epoch - b.epoch || b.order - a.order);
  return items.map((it) => it.row);
}

function renderRow(row: Row, detailChars: number, fullField: ContextSettings['fullField']): string[] {
  const lines = [row.line()];
  if (!row.detail || detailChars <= 0) return lines;
  if (fullField === 'facts' && row.detail.facts.length > 0) {
    let left = detailChars;
    for (const fact of row.detail.facts) {
      if (left <= 0) break;
      const text = truncate(fact, left);
      lines.push(`  - ${text}`);
      left -= text.length;
    }
  } else if (row.detail.narrative) {
    lines.push(`  ${truncate(row.detail.narrative, detailChars)}`);
  }
  return lines;
}

/**
 * Choose the index lines: the newest rows win. With full details, walk back from the newest row
 * while rows fit, which drops the oldest first; shrink details only when the rows that carry them
 * do not fit on their own.
 */
function fitIndex(rows: Row[], budget: number, fullField: ContextSettings['fullField']): string[] {
  const oldestFull = rows.findIndex((r) => r.detail !== null);
  for (const level of DETAIL_LEVELS) {
    const kept = takeNewest(rows, (r) => renderRow(r, level, fullField).join('\n'), budget);
    const keepsAllFull = oldestFull === -1 || kept.start <= oldestFull;
    if (keepsAllFull || level === 0) return kept.lines;
  }
  return [];
}

/** Newest-first greedy fill: returns the chronological lines of the longest suffix that fits. */
function takeNewest(rows: Row[], render: (row: Row) => string, budget: number): { start: number; lines: string[] } {
  // Rendered lazily: with thousands of candidate rows only the kept ones (plus one) are rendered.
  const rendered: string[] = [];
  let used = 0;
  let start = rows.length;
  for (let i = rows.length - 1; i >= 0; i--) {
    rendered[i] = render(rows[i]);
    // A row costs its bytes plus a newline. Walking back, the newest row of each day is met first
    // and pays for that day's header (rows after it are all kept: the walk stops at the first miss).
    let cost = byteLength(rendered[i]) + 1;
    const sameDayAsNewer = i + 1 < rows.length && rows[i + 1].day() === rows[i].day();
    if (!sameDayAsNewer) cost += dayHeaderBytes(rows[i].day());
    if (used + cost > budget) break;
    used += cost;
    start = i;
  }
  const lines: string[] = [];
  for (let i = start; i < rows.length; i++) {
    if (i === start || rows[i - 1].day() !== rows[i].day()) {
      if (lines.length) lines.push('');
      lines.push(dayHeader(rows[i].day()));
    }
    lines.push(rendered[i]);
  }
  return { start, lines };
}

const dayHeader = (dayKey: string): string => `### ${dayKey}`;
/** Header line, its newline and a blank separator line before it. */
const dayHeaderBytes = (dayKey: string): number => byteLength(dayHeader(dayKey)) + 2;

// ---------------------------------------------------------------------------------------------
// Frame

function headerLines(project: string, parent: string | null, fmt: Formatters): string[] {
  const lines = [`# claude-mem: recent memory for ${oneLine(project)} (as of ${fmt.stamp})`];
  if (parent) {
    lines.push(`Git worktree: also showing memory of the parent project; its rows are marked [${oneLine(parent)}].`);
  }
  lines.push('Chronological index, oldest first. Each row: #ID TIME TYPE-ICON TITLE.');
  lines.push(LEGEND);
  return lines;
}

function lastSummaryLines(summary: Summary | null, fieldChars: number, fmt: Formatters): string[] {
  if (!summary) return [];
  const epoch = epochOf(summary);
  const lines = [`## Last session (S${summary.id}, ${fmt.day(epoch)} ${fmt.time(epoch)})`];
  if (fieldChars <= 0) return lines;
  const fields: Array<[string, string]> = [
    ['Request', summary.request],
    ['Completed', summary.completed],
    ['Learned', summary.learned],
    ['Next steps', summary.next_steps],
  ];
  for (const [label, value] of fields) {
    const text = truncate(oneLine(stripContextTags(value ?? '')), fieldChars);
    if (text) lines.push(`- ${label}: ${text}`);
  }
  return lines;
}

function emptyProjectText(project: string): string {
  return (
    `No memory for ${oneLine(project)} yet. claude-mem watches this session's tool use and builds memory ` +
    'as you work: short observations (bugfixes, features, decisions, discoveries) and a summary of each ' +
    'turn. From the next session on, a compact index of recent work appears here. To look up past work ' +
    'from other projects, use the MCP tools: search(query), then timeline(anchor=ID), then get_observations([IDs]).'
  );
}

/** The fence (recall/fence.ts): open tag, the one-line "notes, not instructions" notice, body, close tag. */
const wrap = (body: string): string => fence(body);

/** Last line of defence: cut the body at a character boundary so the whole output fits the cap. */
function fitToCap(wrapped: string, cap: number): string {
  if (byteLength(wrapped) <= cap) return wrapped;
  const body = wrapped.slice(fence('').length - CONTEXT_CLOSE_TAG.length - 1, wrapped.length - CONTEXT_CLOSE_TAG.length - 1);
  const room = cap - WRAPPER_BYTES;
  if (room <= 0) return '';
  return wrap(truncateBytes(body, room));
}

// ---------------------------------------------------------------------------------------------
// Text and time helpers

function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}

/** Memory text on one line, its markup neutralised (no tag from memory survives as a tag). */
function oneLine(text: string): string {
  return neutraliseMarkup(text).replace(/\s+/g, ' ').trim();
}

function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 1) return maxChars === 1 ? '…' : '';
  // Do not split a surrogate pair (emoji) in half.
  let end = maxChars - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** Longest prefix (by whole code points) of at most `maxBytes` UTF-8 bytes. */
function truncateBytes(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const size = byteLength(ch);
    if (used + size > maxBytes) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

function epochOf(row: { created_at: string; created_at_epoch: number }): number {
  if (Number.isFinite(row.created_at_epoch)) return row.created_at_epoch;
  const parsed = Date.parse(row.created_at);
  return Number.isFinite(parsed) ? parsed : 0;
}

interface Formatters {
  day(epoch: number): string;
  time(epoch: number): string;
  stamp: string;
}

function makeFormatters(timeZone: string | undefined, now: Date): Formatters {
  const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone });
  const timeFmt = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
  return {
    day: (epoch) => dayFmt.format(new Date(epoch)),
    time: (epoch) => timeFmt.format(new Date(epoch)),
    stamp: `${dayFmt.format(now)} ${timeFmt.format(now)}`,
  };
}
