// Tolerant parsing of the memory agent's replies (SPEC §7).
//
// The reply is XML-*like*, not XML: it comes wrapped in prose or code fences, holds unescaped `<`
// and `&` in code snippets, and may be cut off by max_tokens. A strict XML parser would reject most
// of that, so this is a small scanner instead: it looks for the known tags only (case-insensitive),
// uses indexOf (no backtracking regexes), and each search moves forward, so time is linear in the
// reply's length even for hostile input.
import path from 'node:path';
import { CONCEPTS, OBSERVATION_TYPES, type ObservationType } from '../api/types.js';
import { type FilesTouched } from './eventFormat.js';
import { capText } from '../lib/text.js';

export interface ParsedObservation {
  type: ObservationType;
  title: string;
  subtitle: string;
  narrative: string;
  facts: string[];
  concepts: string[];
  files_read: string[];
  files_modified: string[];
  /** Ids of existing observations this one replaces (`<supersedes>ID</supersedes>`); absent when none. */
  supersedes?: number[];
}

export interface ParsedSummary {
  request: string;
  investigated: string;
  learned: string;
  completed: string;
  next_steps: string;
  notes: string;
}

export interface ParsedReply {
  observations: ParsedObservation[];
  summary: ParsedSummary | null;
  /** Nothing to store (empty reply, `<skip/>`, prose, or only unusable blocks). Not an error. */
  skipped: boolean;
  /** What was repaired or dropped, for the log. */
  warnings: string[];
}

export const PARSE_LIMITS = {
  // A batch holds up to CLAUDE_MEM_BATCH_MAX_EVENTS tool calls (default 20); a few per call at most.
  observations: 60,
  title: 200,
  subtitle: 500,
  narrative: 4000,
  facts: 20,
  fact: 500,
  files: 100,
  file: 1000,
  summaryField: 4000,
} as const;

// ---------------------------------------------------------------------------------------------
// Scanning

interface Element {
  /** Raw inner text (original case). */
  content: string;
  /** False when the closing tag was never found (truncated reply or sloppy output). */
  closed: boolean;
}

/**
 * The text with ASCII letters lower-cased. Unlike String#toLowerCase it keeps every index where it
 * was (some non-ASCII letters change length when lower-cased), so positions map back to `text`.
 */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

const isNameEnd = (ch: string | undefined): boolean =>
  ch === undefined || ch === '>' || ch === '/' || ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r';

/** Position of the next `<name` (not `<names`) at or after `from`, or -1. */
function findOpen(lower: string, name: string, from: number): number {
  const needle = '<' + name;
  for (let i = lower.indexOf(needle, from); i !== -1; i = lower.indexOf(needle, i + 1)) {
    if (isNameEnd(lower[i + needle.length])) return i;
  }
  return -1;
}

/** Position of the next `</name` (not `</names`) at or after `from`, or -1. */
function findClose(lower: string, name: string, from: number): number {
  const needle = '</' + name;
  for (let i = lower.indexOf(needle, from); i !== -1; i = lower.indexOf(needle, i + 1)) {
    if (isNameEnd(lower[i + needle.length])) return i;
  }
  return -1;
}

/** Index just past the `>` ending the tag that starts at `tagStart`, and whether it was `/>`. */
function tagEnd(lower: string, tagStart: number, limit: number): { end: number; selfClosing: boolean } | null {
  const gt = lower.indexOf('>', tagStart);
  if (gt === -1 || gt >= limit) return null;
  return { end: gt + 1, selfClosing: lower[gt - 1] === '/' };
}

/**
 * Every `<name>…</name>` in order. An element without a closer ends where the next one opens (or at
 * the end of the text). The next closer's position is cached and only searched for again once the
 * scan has passed it, so thousands of unclosed openers stay linear.
 */
function scanAll(text: string, lower: string, name: string): Element[] {
  const out: Element[] = [];
  let pos = 0;
  let nextClose = -2; // -2: not searched yet; -1: none left
  while (pos < text.length) {
    const open = findOpen(lower, name, pos);
    if (open === -1) break;
    const tag = tagEnd(lower, open, text.length);
    if (!tag) break; // `<name` cut off before its `>`
    if (tag.selfClosing) {
      out.push({ content: '', closed: true });
      pos = tag.end;
      continue;
    }
    if (nextClose !== -1 && nextClose < tag.end) nextClose = findClose(lower, name, tag.end);
    const nextOpen = findOpen(lower, name, tag.end);
    if (nextClose !== -1 && (nextOpen === -1 || nextClose < nextOpen)) {
      out.push({ content: text.slice(tag.end, nextClose), closed: true });
      const gt = lower.indexOf('>', nextClose);
      pos = gt === -1 ? text.length : gt + 1;
    } else {
      const end = nextOpen === -1 ? text.length : nextOpen;
      out.push({ content: text.slice(tag.end, end), closed: false });
      pos = end;
    }
  }
  return out;
}

/** The first `<name>` among `names` (aliases) in a block, or null. */
function firstField(block: string, lower: string, names: readonly string[], stopTags: readonly string[]): Element | null {
  for (const name of names) {
    const open = findOpen(lower, name, 0);
    if (open === -1) continue;
    const tag = tagEnd(lower, open, block.length);
    if (!tag) return { content: '', closed: false };
    if (tag.selfClosing) return { content: '', closed: true };
    const close = findClose(lower, name, tag.end);
    if (close !== -1) return { content: block.slice(tag.end, close), closed: true };
    // No closer: the content runs to the next sibling tag (sloppy output) or the block's end.
    return { content: block.slice(tag.end, nextTagOf(lower, stopTags, tag.end)), closed: false };
  }
  return null;
}

/** Index of the first `<x` or `</x` at or after `from` where x is one of `names`; else the end. */
function nextTagOf(lower: string, names: readonly string[], from: number): number {
  for (let i = lower.indexOf('<', from); i !== -1; i = lower.indexOf('<', i + 1)) {
    const start = lower[i + 1] === '/' ? i + 2 : i + 1;
    for (const name of names) {
      if (lower.startsWith(name, start) && isNameEnd(lower[start + name.length])) return i;
    }
  }
  return lower.length;
}

// ---------------------------------------------------------------------------------------------
// Text

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/gi, (whole, body: string) => {
    const b = body.toLowerCase();
    if (b[0] !== '#') return NAMED_ENTITIES[b] ?? whole;
    const code = b[1] === 'x' ? parseInt(b.slice(2), 16) : parseInt(b.slice(1), 10);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : '\uFFFD';
  });
}

/** Decode entities outside `<![CDATA[…]]>` sections; keep CDATA content verbatim. */
function decodeText(raw: string): string {
  let out = '';
  let pos = 0;
  while (pos < raw.length) {
    const start = raw.indexOf('<![CDATA[', pos);
    if (start === -1) break;
    const end = raw.indexOf(']]>', start + 9);
    out += decodeEntities(raw.slice(pos, start));
    if (end === -1) {
      out += raw.slice(start + 9); // truncated CDATA: keep what arrived
      pos = raw.length;
    } else {
      out += raw.slice(start + 9, end);
      pos = end + 3;
    }
  }
  return (out + decodeEntities(raw.slice(pos))).trim();
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * Items of a list field: its `<item>` children, or, when the model wrote plain text instead, one
 * item per line (bullets stripped; `splitCommas` also splits on commas).
 */
function listItems(content: string, item: string, splitCommas: boolean, complete: boolean): string[] {
  const lower = asciiLower(content);
  const elements = scanAll(content, lower, item);
  // Plain text cut off by a truncated reply may end mid-line: only trust it when complete.
  const raw =
    elements.length > 0
      ? elements.filter((e) => e.closed).map((e) => e.content)
      : !complete
        ? []
        : content.split(splitCommas ? /[\n,]/ : /\n/).map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, ''));
  return raw.map((r) => oneLine(decodeText(r))).filter((r) => r !== '');
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

// ---------------------------------------------------------------------------------------------
// Observations

/** Direct children of <observation>: where a field left unclosed by the model ends. */
const OBSERVATION_FIELDS = [
  'type', 'title', 'subtitle', 'narrative', 'facts', 'concepts',
  'files_read', 'files-read', 'files_modified', 'files-modified', 'supersedes',
] as const;

const TYPE_SET: ReadonlySet<string> = new Set(OBSERVATION_TYPES);
const CONCEPT_SET: ReadonlySet<string> = new Set(CONCEPTS);
/** Near-misses models produce, mapped to the allowed type. */
const TYPE_ALIASES: Record<string, ObservationType> = {
  bug: 'bugfix',
  fix: 'bugfix',
  bug_fix: 'bugfix',
  feat: 'feature',
  refactoring: 'refactor',
  security: 'security_note',
};

function normalizeType(raw: string): { type: ObservationType; known: boolean } {
  const t = oneLine(raw).toLowerCase().replace(/[\s-]+/g, '_');
  if (TYPE_SET.has(t)) return { type: t as ObservationType, known: true };
  const alias = Object.hasOwn(TYPE_ALIASES, t) ? TYPE_ALIASES[t] : undefined;
  return alias ? { type: alias, known: true } : { type: 'discovery', known: false };
}

function parseObservation(blockEl: Element, index: number, warn: (msg: string) => void): ParsedObservation | null {
  const block = blockEl.content;
  const lower = asciiLower(block);
  const field = (...names: string[]): Element | null => firstField(block, lower, names, OBSERVATION_FIELDS);
  // An unclosed field inside a closed block is sloppiness: keep it (it ends at the next field). In an
  // unclosed block it is where the reply was cut off: incomplete, leave it out.
  const complete = (el: Element | null): el is Element => el !== null && (el.closed || blockEl.closed);
  const text = (el: Element | null): string => (complete(el) ? decodeText(el.content) : '');

  const title = capText(oneLine(text(field('title'))), PARSE_LIMITS.title);
  if (!title) {
    warn(`observation ${index + 1}: dropped, it has no title`);
    return null;
  }
  const label = `observation "${capText(title, 60)}"`;

  const typeEl = field('type');
  let type: ObservationType = 'discovery';
  if (complete(typeEl)) {
    const t = normalizeType(decodeText(typeEl.content));
    type = t.type;
    if (!t.known) warn(`${label}: unknown type "${capText(oneLine(decodeText(typeEl.content)), 40)}", stored as discovery`);
  } else {
    warn(`${label}: no type, stored as discovery`);
  }

  // Lists: the wrapper's items if present, else bare <item> children anywhere in the block.
  const list = (wrapper: string, item: string, splitCommas: boolean): string[] => {
    const el = field(wrapper);
    if (el) return listItems(el.content, item, splitCommas, complete(el));
    return scanAll(block, lower, item)
      .filter((e) => e.closed)
      .map((e) => oneLine(decodeText(e.content)))
      .filter((e) => e !== '');
  };

  const facts = list('facts', 'fact', false);
  if (facts.length > PARSE_LIMITS.facts) warn(`${label}: kept the first ${PARSE_LIMITS.facts} of ${facts.length} facts`);

  const rawConcepts = list('concepts', 'concept', true).map((c) => c.toLowerCase().replace(/[\s_]+/g, '-'));
  const unknownConcepts = rawConcepts.filter((c) => !CONCEPT_SET.has(c));
  if (unknownConcepts.length > 0) warn(`${label}: dropped unknown concepts ${unknownConcepts.join(', ')}`);

  const files = (wrappers: string[]): string[] => {
    const el = field(...wrappers);
    if (!el) return [];
    return dedupe(listItems(el.content, 'file', true, complete(el)))
      .slice(0, PARSE_LIMITS.files)
      .map((f) => capText(f, PARSE_LIMITS.file));
  };

  return {
    type,
    title,
    subtitle: capText(oneLine(text(field('subtitle'))), PARSE_LIMITS.subtitle),
    narrative: capText(text(field('narrative')), PARSE_LIMITS.narrative),
    facts: dedupe(facts).slice(0, PARSE_LIMITS.facts).map((f) => capText(f, PARSE_LIMITS.fact)),
    concepts: dedupe(rawConcepts.filter((c) => CONCEPT_SET.has(c))),
    files_read: files(['files_read', 'files-read']),
    files_modified: files(['files_modified', 'files-modified']),
    ...supersedesOf(scanAll(block, lower, 'supersedes').filter(complete)),
  };
}

/** `<supersedes>12</supersedes>` (or "#12", or several ids separated by commas): positive integer ids. */
function supersedesOf(els: Element[]): { supersedes?: number[] } {
  const ids = new Set<number>();
  for (const el of els) {
    for (const m of decodeText(el.content).matchAll(/\d+/g)) {
      // A whole run of digits: the head of a longer number is not an id.
      const id = m[0].length <= 15 ? Number(m[0]) : 0;
      if (Number.isSafeInteger(id) && id > 0 && ids.size < 10) ids.add(id);
    }
  }
  return ids.size ? { supersedes: [...ids] } : {};
}

// ---------------------------------------------------------------------------------------------
// Summary

const SUMMARY_FIELDS: Array<[keyof ParsedSummary, string[]]> = [
  ['request', ['request']],
  ['investigated', ['investigated']],
  ['learned', ['learned']],
  ['completed', ['completed']],
  ['next_steps', ['next_steps', 'next-steps', 'nextsteps']],
  ['notes', ['notes']],
];
const SUMMARY_TAGS = SUMMARY_FIELDS.flatMap(([, names]) => names);

function parseSummary(blockEl: Element): ParsedSummary | null {
  const block = blockEl.content;
  const lower = asciiLower(block);
  const summary: ParsedSummary = { request: '', investigated: '', learned: '', completed: '', next_steps: '', notes: '' };
  for (const [key, names] of SUMMARY_FIELDS) {
    const el = firstField(block, lower, names, SUMMARY_TAGS);
    // As for observations: an unclosed field counts only inside a closed block.
    if (el && (el.closed || blockEl.closed)) summary[key] = capText(decodeText(el.content), PARSE_LIMITS.summaryField);
  }
  return Object.values(summary).some((v) => v !== '') ? summary : null;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Hostile input must not flood the log: warnings beyond this many are counted, not kept. */
const MAX_WARNINGS = 20;

/** Parse one reply of the memory agent. Never throws on model output; see `warnings`. */
export function parseAgentReply(text: string): ParsedReply {
  const warnings: string[] = [];
  let dropped = 0;
  const warn = (msg: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(msg);
    else dropped++;
  };
  if (typeof text !== 'string' || text.trim() === '') {
    return { observations: [], summary: null, skipped: true, warnings };
  }

  const lower = asciiLower(text);
  const observations: ParsedObservation[] = [];
  const blocks = scanAll(text, lower, 'observation');
  for (let i = 0; i < blocks.length; i++) {
    if (observations.length >= PARSE_LIMITS.observations) {
      warn(`kept ${PARSE_LIMITS.observations} observations, ignored the last ${blocks.length - i} blocks`);
      break;
    }
    const parsed = parseObservation(blocks[i], i, warn);
    if (parsed) observations.push(parsed);
  }

  // The first block with content: a `<summary>` mentioned in prose before it yields nothing.
  const summaryBlocks = scanAll(text, lower, 'summary');
  let summary: ParsedSummary | null = null;
  for (const block of summaryBlocks) {
    summary = parseSummary(block);
    if (summary) break;
  }

  if (blocks.length === 0 && summaryBlocks.length === 0 && findOpen(lower, 'skip', 0) === -1 && !looksLikeNothing(lower)) {
    warn('reply has no <observation> or <summary> block; treated as a skip');
  }
  if (dropped > 0) warnings.push(`(${dropped} more warnings left out)`);
  return { observations, summary, skipped: observations.length === 0 && summary === null, warnings };
}

/** Prose the model uses to say it has nothing to record. Only used to keep such replies out of the log. */
function looksLikeNothing(lower: string): boolean {
  const head = lower.slice(0, 300);
  return /\b(nothing|no (new |durable |notable )?(observations?|memor(y|ies)|learnings?))\b/.test(head);
}

/**
 * An observation's files: what the model claims plus what the tool inputs show (the ground truth,
 * listed first). Relative claimed paths are resolved against `cwd` when given, so they match the
 * absolute paths Claude Code's tools use.
 */
export function mergeFiles(parsed: ParsedObservation, seen: FilesTouched, cwd?: string): ParsedObservation {
  const resolve = (p: string): string => (cwd && path.isAbsolute(cwd) && !path.isAbsolute(p) ? path.resolve(cwd, p) : p);
  return {
    ...parsed,
    files_read: dedupe([...seen.read, ...parsed.files_read.map(resolve)]),
    files_modified: dedupe([...seen.modified, ...parsed.files_modified.map(resolve)]),
  };
}
