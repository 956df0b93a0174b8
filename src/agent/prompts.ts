// The memory agent's instructions and turn templates (SPEC §7). Our own words.
//
// The system prompt is one constant string: no project name, no date, nothing per session. Prompt
// caching matches on an exact prefix, so a constant prompt is cached once and then read by every
// session of every project; anything variable (the project, the user's request) goes in the first
// user turn instead.
import { CONCEPTS, OBSERVATION_TYPES, type ToolEventPayload } from '../api/types.js';
import { renderValue } from './eventFormat.js';
import { truncateMiddle } from '../lib/text.js';

const SYSTEM_PROMPT = `You are a memory recorder. You watch a developer's Claude Code session from the outside and write down what is worth remembering about the PROJECT for future sessions: what was built, fixed, changed, learned or decided, and why; how things work; gotchas and their workarounds. You do not talk to the developer and you never use tools.

You receive the developer's request, then messages holding the tool calls Claude made for it, in order, several per message (tool, input, and its output or error). Failed calls matter too: a wrong assumption, a missing file or a failing command can teach something. Consider every tool call in a message; titles already recorded for the request are listed so you do not record them twice.

Record knowledge, not activity. "Claude read src/app.ts" is not a memory; "main() in src/app.ts prints greet('sandbox') from src/util.ts" is. Skip routine reads, listings and status checks that teach nothing new. Write one observation per distinct learning, and none when nothing is worth keeping. Several tool calls may build up one learning: record it once, when it is clear.

Reply with observations only, in exactly this format (no prose around it, no code fences):

<observation>
  <type>one of: ${OBSERVATION_TYPES.join(', ')}</type>
  <title>specific, searchable, at most 80 characters; name the file, function or command</title>
  <subtitle>one sentence that adds to the title</subtitle>
  <facts>
    <fact>a short statement that makes sense on its own, naming the files and symbols it is about</fact>
  </facts>
  <narrative>2 to 5 sentences: what happened and why it matters or why it was done this way</narrative>
  <concepts>
    <concept>one or more of: ${CONCEPTS.join(', ')}</concept>
  </concepts>
  <files_read><file>path</file></files_read>
  <files_modified><file>path</file></files_modified>
</observation>

Types: bugfix (something broken now works), feature (new capability), refactor (same behaviour, better structure), change (other modification: config, docs, dependencies), discovery (learned how existing code or tools behave), decision (a choice between options, with the reason), security_alert (a vulnerability or exposed secret found), security_note (security-relevant behaviour worth knowing).

If nothing is worth recording, reply exactly <skip/> (or nothing).

Never record secrets: no API keys, tokens, passwords, private keys or credentials, even partially; say "a credential" instead.

When asked for a summary of the turn, reply with exactly one block (after the observations, when the same message also holds tool calls):

<summary>
  <request>what the developer asked for</request>
  <investigated>what was looked at or tried</investigated>
  <learned>what was learned about the project</learned>
  <completed>what was finished</completed>
  <next_steps>what remains or would come next</next_steps>
  <notes>anything else worth knowing; may be empty</notes>
</summary>`;

/**
 * The fixed instructions: role, what to record, output format. Constant on purpose (see the top of
 * this file); `_project` is accepted for call-site convenience but deliberately unused — the project
 * goes in {@link buildSessionIntroTurn}.
 */
export function buildSystemPrompt(_project?: string): string {
  return SYSTEM_PROMPT;
}

/** Default bound for the user's request and the final assistant message in a turn. */
export const DEFAULT_PROMPT_MAX_CHARS = 8_000;

export interface SessionIntroInput {
  project: string;
  /** The user's prompt in Claude Code, already privacy-stripped upstream. */
  userPrompt: string;
  promptNumber?: number | null;
  maxChars?: number;
}

/** First user turn of a session (or of a new prompt): the project and what the developer asked. */
export function buildSessionIntroTurn(input: SessionIntroInput): string {
  const project = input.project.trim();
  if (!project) throw new Error('buildSessionIntroTurn: project must be a non-empty string');
  const max = input.maxChars ?? DEFAULT_PROMPT_MAX_CHARS;
  const lines = [`Project: ${truncateMiddle(project, 200)}`];
  if (input.promptNumber != null) lines.push(`Prompt number: ${input.promptNumber}`);
  const request = input.userPrompt.trim();
  lines.push(
    '<user_request>',
    request ? truncateMiddle(request, max) : '(empty)',
    '</user_request>',
    '',
    'Tool calls made for this request follow, in batches. Record nothing from this message alone unless the request itself states a lasting fact or decision about the project; otherwise reply <skip/>.',
  );
  return lines.join('\n');
}

export interface ToolEventTurnOptions {
  /** Bound for each rendered field (input, response, error), marker excluded. */
  maxFieldChars: number;
}

/** Short fields (names, paths, times) never need more than this. */
const SHORT_FIELD_CHARS = 300;

/** One user turn per tool call: what was called, with what, and what came back (or the error). */
export function buildToolEventTurn(event: ToolEventPayload, opts: ToolEventTurnOptions): string {
  const max = opts.maxFieldChars;
  if (!Number.isInteger(max) || max <= 0) {
    throw new RangeError(`maxFieldChars must be a positive integer (got ${String(max)})`);
  }
  const short = (s: string): string => truncateMiddle(s, SHORT_FIELD_CHARS);
  const failed = typeof event.error === 'string';
  const lines = [`<tool_call status="${failed ? 'failed' : 'ok'}">`, `tool: ${short(event.tool_name)}`];
  if (event.occurred_at) lines.push(`time: ${short(event.occurred_at)}`);
  if (event.cwd) lines.push(`cwd: ${short(event.cwd)}`);
  if (event.agent_id) {
    const kind = event.agent_type ? ` ${short(event.agent_type)}` : '';
    lines.push(`by: subagent${kind} (${short(event.agent_id)})`);
  }
  lines.push('<input>', renderValue(event.tool_input, max), '</input>');
  if (failed) {
    lines.push('<error>', truncateMiddle(event.error ?? '', max), '</error>');
  } else if (event.tool_response !== undefined) {
    lines.push('<output>', renderValue(event.tool_response, max), '</output>');
  }
  lines.push('</tool_call>');
  return lines.join('\n');
}

/** Titles already recorded for the request (the newest 40), so the model does not repeat them. */
function recordedBlock(recorded: string[] = []): string[] {
  const last = recorded.slice(-40);
  return last.length ? ['<recorded_observations>', ...last.map((t) => `- ${truncateMiddle(t, 200)}`), '</recorded_observations>'] : [];
}

/** Claude's final message of the turn, bounded. */
function finalMessageBlock(message: string, maxChars = DEFAULT_PROMPT_MAX_CHARS): string[] {
  const last = message.trim();
  return ['<final_message>', last ? truncateMiddle(last, maxChars) : '(empty)', '</final_message>'];
}

export interface BatchTurnInput {
  events: ToolEventPayload[];
  /** Bound for each rendered field of each call. */
  maxFieldChars: number;
  /** Titles already recorded for this request, so the model does not record them again. */
  recorded?: string[];
  /** Set when the turn ended with this batch: the summary is asked for in the same request. */
  summary?: Omit<SummaryTurnInput, 'recorded' | 'userPrompt'> | null;
  /** Existing observations most related to the batch (same files, closest search hits). */
  related?: RelatedObservation[];
}

export interface RelatedObservation {
  id: number;
  type: string;
  title: string;
  files: string[];
}

/**
 * The related observations and how to retire one, in the user turn (the system prompt stays one
 * constant for prompt caching). Empty when there are none.
 */
export function relatedBlock(related: RelatedObservation[] | undefined): string[] {
  if (!related?.length) return [];
  const shown = related.slice(0, 8).map((r) => {
    const files = r.files.slice(0, 3).map((f) => f.split(/[\\/]/).slice(-2).join('/'));
    return `- #${r.id} [${r.type}] ${truncateMiddle(r.title, 160)}${files.length ? ` (${files.join(', ')})` : ''}`;
  });
  return [
    '<existing_observations>',
    ...shown,
    '</existing_observations>',
    'If an observation you record makes one of these wrong or outdated, add <supersedes>ID</supersedes> (its number) inside that <observation>. Only for a real replacement, never for a merely related one.',
  ];
}

/** Several tool calls of one request in one user turn, optionally followed by the turn's summary request. */
export function buildBatchTurn(input: BatchTurnInput): string {
  const lines = [`${input.events.length} tool call${input.events.length === 1 ? '' : 's'} made for the request, in order:`];
  for (const e of input.events) lines.push(buildToolEventTurn(e, { maxFieldChars: input.maxFieldChars }));
  lines.push(...recordedBlock(input.recorded), ...relatedBlock(input.related));
  if (input.summary) {
    lines.push(
      'Claude has then finished this request. Its final message:',
      ...finalMessageBlock(input.summary.lastAssistantMessage, input.summary.maxChars),
      '',
      'Reply with the observations worth keeping from these tool calls (or none), then exactly one <summary> block (request, investigated, learned, completed, next_steps, notes) covering the whole request. Leave a field empty rather than guess.',
    );
  } else {
    lines.push('', 'Reply with the observations worth keeping from these tool calls, or <skip/>.');
  }
  return lines.join('\n');
}

export interface SummaryTurnInput {
  /** Claude's final message of the turn (from the Stop hook). */
  lastAssistantMessage: string;
  userPrompt?: string | null;
  /** Titles of observations already recorded for this request (the window may not hold them all). */
  recorded?: string[];
  maxChars?: number;
}

/** The Stop turn: asks for one <summary> of the developer's request and what came of it. */
export function buildSummaryTurn(input: SummaryTurnInput): string {
  const max = input.maxChars ?? DEFAULT_PROMPT_MAX_CHARS;
  const lines = ['Claude has finished this request. Summarize the turn.'];
  const prompt = input.userPrompt?.trim();
  if (prompt) lines.push('<user_request>', truncateMiddle(prompt, max), '</user_request>');
  lines.push(...recordedBlock(input.recorded));
  lines.push(
    ...finalMessageBlock(input.lastAssistantMessage, max),
    '',
    'Reply with exactly one <summary> block (request, investigated, learned, completed, next_steps, notes) covering the tool calls above and this final message. Leave a field empty rather than guess. No observations, no prose.',
  );
  return lines.join('\n');
}
