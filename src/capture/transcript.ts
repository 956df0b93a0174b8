// Reads Claude Code's own JSONL record of a session (the `transcript_path` every hook payload
// carries) and turns it into the events the hooks would have posted: each user prompt as
// UserPromptSubmit, each tool_use + tool_result pair as PostToolUse / PostToolUseFailure. Used to
// recover what the worker missed (down, slow, restarting) and to import past sessions (backfill).
//
// Format (Claude Code 2.1.332, see test/fixtures/transcripts/): one JSON object per line.
//  - a prompt: {type:"user", message:{role:"user", content:"text" | [{type:"text",…}]}, promptId, uuid, cwd, sessionId, timestamp}
//  - a tool call: {type:"assistant", message:{content:[{type:"tool_use", id, name, input}, …]}}
//  - its result: {type:"user", message:{content:[{type:"tool_result", tool_use_id, content, is_error?}]},
//    toolUseResult: <the same value PostToolUse gets as tool_response>}
//  - everything else (attachments, api-request blobs, queue operations, summaries…) is ignored.
// Streams: a transcript of any size is read in chunks, never whole; a line that is not JSON is
// skipped and counted. A last line without its newline is still being written: left for next time.
import fs from 'node:fs';
import path from 'node:path';
import { isEntirelyPrivate } from './privacy.js';

export interface TranscriptPrompt {
  kind: 'prompt';
  sessionId: string;
  cwd: string;
  prompt: string;
  /** Idempotency key: Claude Code's promptId (also in the UserPromptSubmit payload), else the line uuid. */
  promptKey: string;
  timestamp: string | null;
}

export interface TranscriptToolEvent {
  kind: 'tool';
  sessionId: string;
  cwd: string;
  toolName: string;
  toolInput: unknown;
  /** Exactly one of toolResponse / error, as in PostToolUse / PostToolUseFailure. */
  toolResponse?: unknown;
  error?: string;
  toolUseId: string;
  agentId: string | null;
  timestamp: string | null;
  /** The call belongs to a turn whose prompt was entirely <private>: never captured. */
  privateTurn: boolean;
}

export type TranscriptEvent = TranscriptPrompt | TranscriptToolEvent;

export interface ReadResult {
  /** Where the next read should start: past the last complete line, or at the earliest tool call still waiting for its result. */
  offset: number;
  /** Bytes of complete lines read this time. */
  bytesRead: number;
  lines: number;
  malformed: number;
  events: number;
  /** Whether the turn at `offset` is private (the next read starts inside it). */
  privateTurn: boolean;
  /** The main agent's last text answer in the lines read, if any. */
  lastAnswer: { text: string; cwd: string } | null;
}

const CHUNK = 256 * 1024;
/** A single line larger than this (a huge tool output) is skipped rather than buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The text of a prompt line, or null when the user line is not a typed prompt. */
function promptText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const b of content) {
    if (!isObj(b)) continue;
    if (b.type === 'tool_result') return null;
    if (b.type === 'text' && typeof b.text === 'string') parts.push(b.text);
  }
  return parts.length ? parts.join('\n') : null;
}

/** A tool_result's content as text (the error message of a failed call). */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return content === undefined ? '' : JSON.stringify(content);
}

/** Claude Code's own wrappers around slash commands and local command output are not prompts. */
const NOT_A_PROMPT = /^\s*<(command-name|command-message|local-command-stdout|local-command-stderr|local-command-caveat)>/;

interface PendingUse {
  offset: number;
  name: string;
  input: unknown;
  privateTurn: boolean;
}

/**
 * Parses transcript lines into events. Stateful across lines: a tool_use waits for its
 * tool_result. `lineStart` is the byte offset of the line (to know where to resume).
 */
export class TranscriptParser {
  private readonly pending = new Map<string, PendingUse>();
  malformed = 0;
  lines = 0;
  /** Privacy of the current turn: set by each prompt, inherited by its tool calls. */
  privateTurn: boolean;
  /** The main agent's last text answer read so far, and where it worked: what a summary needs. */
  lastAnswer: { text: string; cwd: string } | null = null;

  constructor(private readonly fallback: { sessionId?: string; cwd?: string; privateTurn?: boolean } = {}) {
    this.privateTurn = fallback.privateTurn ?? false;
  }

  /** The tool call still without its result that comes first, or null. */
  earliestPending(): PendingUse | null {
    let min: PendingUse | null = null;
    for (const p of this.pending.values()) if (min === null || p.offset < min.offset) min = p;
    return min;
  }

  line(text: string, lineStart: number): TranscriptEvent[] {
    if (!text.trim()) return [];
    this.lines++;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      this.malformed++;
      return [];
    }
    if (!isObj(row)) {
      this.malformed++;
      return [];
    }
    const type = row.type;
    if (type !== 'user' && type !== 'assistant') return [];
    const message = row.message;
    if (!isObj(message)) return [];
    const sessionId = str(row.sessionId) ?? this.fallback.sessionId ?? '';
    const cwd = str(row.cwd) ?? this.fallback.cwd ?? '';
    const timestamp = str(row.timestamp);
    const agentId = row.isSidechain === true ? (str(row.agentId) ?? null) : null;
    if (!sessionId) return [];

    if (type === 'assistant') {
      if (!Array.isArray(message.content)) return [];
      const text: string[] = [];
      for (const b of message.content) {
        if (isObj(b) && b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string') {
          this.pending.set(b.id, { offset: lineStart, name: b.name, input: b.input ?? null, privateTurn: this.privateTurn });
        } else if (isObj(b) && b.type === 'text' && typeof b.text === 'string' && b.text.trim()) text.push(b.text);
      }
      if (text.length && agentId === null) this.lastAnswer = { text: text.join('\n'), cwd };
      return [];
    }

    // type === 'user': a prompt, or tool results.
    const content = message.content;
    if (Array.isArray(content) && content.some((b) => isObj(b) && b.type === 'tool_result')) {
      const out: TranscriptEvent[] = [];
      const results = content.filter((b): b is Json => isObj(b) && b.type === 'tool_result');
      for (const b of results) {
        const id = str(b.tool_use_id);
        if (!id) continue;
        const use = this.pending.get(id);
        this.pending.delete(id);
        if (!use) continue; // its tool_use was before the offset and already handled
        const base = { kind: 'tool' as const, sessionId, cwd, toolName: use.name, toolInput: use.input, toolUseId: id, agentId, timestamp, privateTurn: use.privateTurn };
        if (b.is_error === true) {
          out.push({ ...base, error: resultText(b.content) || 'unknown error' });
        } else {
          // toolUseResult is what PostToolUse gets as tool_response; with several results on one
          // line it is ambiguous, so fall back to the result's own content.
          const response = results.length === 1 && row.toolUseResult !== undefined ? row.toolUseResult : b.content;
          out.push({ ...base, toolResponse: response ?? null });
        }
      }
      return out;
    }
    if (row.isMeta === true || row.isCompactSummary === true || row.isSidechain === true) return [];
    const prompt = promptText(content);
    if (prompt === null || !prompt.trim() || NOT_A_PROMPT.test(prompt)) return [];
    const key = str(row.promptId) ?? str(row.uuid);
    if (!key) return [];
    this.privateTurn = isEntirelyPrivate(prompt);
    return [{ kind: 'prompt', sessionId, cwd, prompt, promptKey: key, timestamp }];
  }
}

/**
 * Streams `file` from `offset`, calling `onEvent` for each event in order (awaited, so the caller
 * can enqueue with back-pressure). Only complete lines are consumed.
 */
export async function readTranscript(
  file: string,
  offset: number,
  onEvent: (e: TranscriptEvent) => Promise<void> | void,
  fallback: { sessionId?: string; cwd?: string; privateTurn?: boolean } = {},
): Promise<ReadResult> {
  const parser = new TranscriptParser(fallback);
  const fd = await fs.promises.open(file, 'r');
  let events = 0;
  let pos = offset;
  let lineStart = offset;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // inside an over-long line: drop bytes up to its newline
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fd.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl === -1) break;
        const piece = chunk.subarray(start, nl);
        if (skipping) {
          skipping = false;
          parser.malformed++;
          parser.lines++;
        } else {
          const line = carryLen ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
          for (const e of parser.line(line, lineStart)) {
            events++;
            await onEvent(e);
          }
        }
        carry = [];
        carryLen = 0;
        start = nl + 1;
        lineStart = pos + start;
      }
      if (start < bytesRead && !skipping) {
        carry.push(Buffer.from(chunk.subarray(start)));
        carryLen += bytesRead - start;
        if (carryLen > MAX_LINE_BYTES) {
          skipping = true;
          carry = [];
          carryLen = 0;
        }
      }
      pos += bytesRead;
    }
  } finally {
    await fd.close();
  }
  // lineStart = end of the last complete line. A tool call still waiting for its result is
  // re-read next time (its events are idempotent), so the pair is never split across reads.
  const pending = parser.earliestPending();
  const resumeAt = pending && pending.offset < lineStart ? pending : null;
  return {
    offset: resumeAt ? resumeAt.offset : lineStart,
    bytesRead: lineStart - offset,
    lines: parser.lines,
    malformed: parser.malformed,
    events,
    privateTurn: resumeAt ? resumeAt.privateTurn : parser.privateTurn,
    lastAnswer: parser.lastAnswer,
  };
}

/**
 * The real path of a transcript if it lies inside `<claude config dir>/projects`, else null.
 * Nothing outside Claude Code's own records is ever read, whatever a payload says. With
 * `mayBeMissing` (SessionStart: Claude Code writes the file after the hook) only its directory
 * has to exist.
 */
export function safeTranscriptPath(candidate: unknown, configDir: string, opts: { mayBeMissing?: boolean } = {}): string | null {
  if (typeof candidate !== 'string' || !candidate || !path.isAbsolute(candidate) || !candidate.endsWith('.jsonl')) return null;
  let real: string;
  let root: string;
  try {
    root = fs.realpathSync(path.join(configDir, 'projects'));
  } catch {
    return null;
  }
  try {
    real = fs.realpathSync(candidate);
  } catch {
    if (!opts.mayBeMissing) return null;
    try {
      real = path.join(fs.realpathSync(path.dirname(candidate)), path.basename(candidate));
    } catch {
      return null;
    }
    if (fs.existsSync(real)) return null; // a dangling symlink
  }
  const rel = path.relative(root, real);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  try {
    if (!fs.statSync(real).isFile()) return null;
  } catch {
    if (!opts.mayBeMissing) return null;
  }
  return real;
}
