// zod schemas for every request the worker accepts. Messages name the field and the fix.
import { z } from 'zod';
import { OBSERVATION_TYPES } from './types.js';
import { DATE_BOUND_HELP, parseDateBound } from '../lib/dateRange.js';
import { MAX_NESTING, nestingExceeds } from '../lib/nesting.js';
import { RECOGNISED_ENV_KEYS } from '../config/EnvManager.js';

// ---- identifiers ------------------------------------------------------------------------------
//
// Every identifier that reaches the store (session, tool-use and agent ids, tool names, projects,
// working directories and file paths, route ids, project filters) is checked here, at the edge:
//  - well-formed Unicode: a lone UTF-16 surrogate (valid JSON: "\ud800") has no UTF-8 encoding,
//    so SQLite would store U+FFFD and the id would read back as a different string;
//  - no control characters (C0, DEL, C1): they never occur in real ids and break logs and tables;
//  - bounded length, counted in UTF-16 code units: ids and names 512 (the bound the worker has
//    always enforced, so older exports still import), paths 4096 (Linux PATH_MAX).
// Normalisation: none. Ids are opaque tokens and Linux file names are byte strings, so the NFC and
// NFD spellings of one name are two different ids / directories. Rewriting either form would make
// a stored cwd point at a directory that does not exist, or merge two sessions. Both forms are
// accepted and stored exactly as sent; filters match the form they are given.

export const ID_MAX = 512;
export const PATH_MAX = 4096;

const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
// Without the `u` flag the pattern sees UTF-16 code units: a high surrogate not followed by a low
// one, or a low one not preceded by a high one (String.prototype.isWellFormed, which lib ES2023
// does not declare, with the position for the message).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` is not an acceptable identifier, or null. `what` names the kind for the fix. */
export function identifierProblem(value: string, opts: { max: number; allowEmpty?: boolean; what: string }): string | null {
  if (value === '') return opts.allowEmpty ? null : `must not be empty; send the ${opts.what}`;
  if (value.length > opts.max) return `is ${value.length} characters long; a ${opts.what} may have at most ${opts.max}`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    return `contains a lone UTF-16 surrogate (${hex(lone[0].charCodeAt(0))} at position ${lone.index}); send the ${opts.what} as well-formed Unicode (surrogates only in pairs)`;
  }
  const m = CONTROL_CHAR.exec(value);
  if (m) return `contains the control character ${hex(m[0].charCodeAt(0))} at position ${m.index}; send the ${opts.what} as printable text`;
  return null;
}

const idString = (what: string, max: number, allowEmpty = false) =>
  z.string({ error: `must be a string (the ${what})` }).superRefine((v, ctx) => {
    const problem = identifierProblem(v, { max, allowEmpty, what });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The reusable identifier schema: an id or name (session, tool-use, agent, tool, project, model).
 * `allowEmpty` where "" has a meaning (a filter that is not set, a model never reported).
 */
export const identifier = (what: string, opts: { allowEmpty?: boolean } = {}) => idString(what, ID_MAX, opts.allowEmpty);
/** A file-system path (cwd, transcript_path, a file being read); `allowEmpty` for cwd (project "unknown"). */
export const pathText = (what: string, opts: { allowEmpty?: boolean } = {}) => idString(what, PATH_MAX, opts.allowEmpty);

const sessionId = identifier('session id');
const cwd = pathText('working directory', { allowEmpty: true });
const agentId = identifier('subagent id').nullish();

export const initBody = z.object({
  session_id: sessionId,
  cwd,
  prompt: z.string().max(1_000_000).optional(),
  source: idString('SessionStart source', 64).optional(),
  /** Claude Code's prompt_id: the same prompt is stored once (hook, then transcript). */
  prompt_id: identifier('prompt id').optional(),
});

export const toolEventBody = z
  .object({
    session_id: sessionId,
    cwd,
    tool_name: identifier('tool name'),
    tool_input: z.unknown().optional(),
    tool_response: z.unknown().optional(),
    error: z.string().optional(),
    tool_use_id: identifier('tool_use_id'),
    agent_id: agentId,
    agent_type: identifier('subagent type').nullish(),
  })
  .refine((b) => b.tool_response !== undefined || b.error !== undefined, {
    message: 'one of tool_response (PostToolUse) or error (PostToolUseFailure) is required',
    path: ['tool_response'],
  })
  .refine((b) => !nestingExceeds(b.tool_input), {
    message: `nested more than ${MAX_NESTING} levels deep; send flatter data`,
    path: ['tool_input'],
  })
  .refine((b) => !nestingExceeds(b.tool_response), {
    message: `nested more than ${MAX_NESTING} levels deep; send flatter data`,
    path: ['tool_response'],
  });

export const summarizeBody = z.object({
  session_id: sessionId,
  cwd,
  last_assistant_message: z.string().max(1_000_000).default(''),
  agent_id: agentId,
  /** The session's transcript: read for events the worker missed (see docs/capture.md). */
  transcript_path: pathText('transcript path').optional(),
});

export const endBody = z.object({
  session_id: sessionId,
  reason: idString('SessionEnd reason', 256).optional(),
  cwd: cwd.optional(),
  transcript_path: pathText('transcript path').optional(),
});

const csv = z
  .string()
  .max(4096)
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** An integer query parameter; describeIssues puts the parameter's name before the message. */
const intParam = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be ${min} or more`)
    .max(max, `must be ${max} or less`);

/** A search date bound, by the one rule in lib/dateRange.ts (a date-only end covers its whole day). */
const dateParam = (edge: 'start' | 'end') =>
  z
    .string()
    .max(64)
    .transform((s, ctx) => {
      const n = parseDateBound(s, edge);
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `must be ${DATE_BOUND_HELP}` });
        return z.NEVER;
      }
      return n;
    });

/** `?project=` on the read routes: a project name as stored (see resolveProject); empty = all. */
export const projectFilter = identifier('project name', { allowEmpty: true }).optional();

const typeList = csv.pipe(
  z.array(z.enum(OBSERVATION_TYPES, { error: `must be one of ${OBSERVATION_TYPES.join(', ')}` })),
);

export const searchQuery = z.object({
  query: z.string().max(100_000).default(''),
  project: projectFilter,
  type: typeList.optional(),
  concepts: csv.optional(),
  files: csv.optional(),
  dateStart: dateParam('start').optional(),
  dateEnd: dateParam('end').optional(),
  orderBy: z.enum(['relevance', 'date_desc', 'date_asc'], { error: 'must be relevance, date_desc or date_asc' }).optional(),
  limit: intParam(1, 500).default(20),
  offset: intParam(0, 1_000_000).default(0),
  kinds: csv.pipe(z.array(z.enum(['observations', 'sessions', 'prompts'], { error: 'must be among observations, sessions, prompts' }))).optional(),
  format: z.string().optional(),
});

export const listQuery = z.object({
  project: projectFilter,
  limit: intParam(1, 1000).default(50),
  offset: intParam(0, 10_000_000).default(0),
});

export const batchBody = z.object({
  ids: z
    .array(z.number({ error: 'ids must be numbers' }).int().positive(), { error: 'ids must be an array of observation ids' })
    .min(1, 'ids must not be empty')
    .max(500, 'ids: at most 500 per request'),
  project: projectFilter,
});

export const timelineQuery = z
  .object({
    anchor: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    query: z.string().max(10_000).optional(),
    project: projectFilter,
    before: intParam(0, 100).default(5),
    after: intParam(0, 100).default(5),
  })
  .refine((q) => q.anchor !== undefined || (q.query ?? '').trim() !== '', {
    message: 'give anchor (an observation id) or query (text to find the anchor)',
    path: ['anchor'],
  });

export const contextQuery = z
  .object({ project: projectFilter, cwd: pathText('working directory').optional() })
  .refine((q) => q.project || q.cwd, { message: 'give project or cwd', path: ['project'] });

export const fileContextQuery = z.object({
  path: pathText('file path'),
  cwd: pathText('working directory', { allowEmpty: true }),
});

const str = (max: number) => z.string().max(max);
const strList = z.array(z.string().max(10_000)).max(1000).default([]);
const tokens = z
  .object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_tokens: z.number().int().nonnegative().default(0),
    cache_write_tokens: z.number().int().nonnegative().default(0),
  })
  .nullish();

const importedSessionId = identifier('session id').default('imported');
const importedProject = identifier('project name');

export const importObservation = z.object({
  content_session_id: importedSessionId,
  project: importedProject,
  type: z.enum(OBSERVATION_TYPES, { error: `type must be one of ${OBSERVATION_TYPES.join(', ')}` }),
  title: z.string().min(1, 'title is required').max(2000),
  subtitle: str(10_000).default(''),
  narrative: str(200_000).default(''),
  facts: strList,
  concepts: strList,
  files_read: strList,
  files_modified: strList,
  prompt_number: z.number().int().nullish(),
  agent_id: agentId,
  model: identifier('model id', { allowEmpty: true }).nullish(),
  tokens,
  created_at: z.string().max(64).optional(),
  // An export's own id and supersede link (re-linked to the imported rows), correction time, and
  // the staleness it had (recomputed here, so only accepted).
  id: z.number().int().positive().optional(),
  superseded_by: z.number().int().positive().nullish(),
  edited_at: z.string().max(64).nullish(),
  stale: z.boolean().optional(),
});

export const importSummary = z.object({
  content_session_id: importedSessionId,
  project: importedProject,
  request: str(200_000).default(''),
  investigated: str(200_000).default(''),
  learned: str(200_000).default(''),
  completed: str(200_000).default(''),
  next_steps: str(200_000).default(''),
  notes: str(200_000).default(''),
  prompt_number: z.number().int().nullish(),
  model: identifier('model id', { allowEmpty: true }).nullish(),
  tokens,
  created_at: z.string().max(64).optional(),
});

export const importPrompt = z.object({
  content_session_id: identifier('session id'),
  project: importedProject,
  prompt_number: z.number().int().positive(),
  prompt_text: z.string().max(1_000_000),
  created_at: z.string().max(64).optional(),
});

export const importBody = z.object({
  observations: z.array(importObservation).max(200_000).optional(),
  summaries: z.array(importSummary).max(200_000).optional(),
  prompts: z.array(importPrompt).max(200_000).optional(),
});

// ---- forget, correct, supersede -----------------------------------------------------------------

const observationIds = z
  .array(z.number({ error: 'ids must be numbers' }).int().positive(), { error: 'ids must be an array of observation ids' })
  .max(10_000, 'ids: at most 10000 per request');

/** POST /api/forget: which records (ids, a query, a session, or a whole project with all: true). */
export const forgetBody = z
  .object({
    ids: observationIds.optional(),
    query: z.string().trim().min(1, 'query must not be empty').max(1000).optional(),
    project: identifier('project name').optional(),
    session: identifier('session id').optional(),
    all: z.boolean({ error: 'all must be true or false' }).optional(),
    dryRun: z.boolean({ error: 'dryRun must be true or false' }).default(false),
  })
  .strict();
export type ForgetBody = z.infer<typeof forgetBody>;

/** PATCH /api/observations/:id: the fields to correct (at least one). */
export const observationPatch = z
  .object({
    title: z.string().trim().min(1, 'title must not be empty').max(2000),
    subtitle: str(10_000),
    narrative: str(200_000),
    facts: z.array(z.string().max(10_000), { error: 'facts must be an array of strings' }).max(1000),
    concepts: z.array(z.string().max(200), { error: 'concepts must be an array of strings' }).max(100),
    type: z.enum(OBSERVATION_TYPES, { error: `type must be one of ${OBSERVATION_TYPES.join(', ')}` }),
  })
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'send at least one of title, subtitle, narrative, facts, concepts, type');

/** POST /api/observations/:id/supersede: the newer observation's id, or null to make it current again. */
export const supersedeBody = z
  .object({ by: z.number({ error: 'by must be an observation id or null' }).int().positive().nullable() })
  .strict();

/** `?project=` of GET /api/export. */
export const exportQuery = z.object({ project: projectFilter });

// ---- admin -----------------------------------------------------------------------------------

export const logsQuery = z.object({
  file: z.enum(['worker', 'error'], { error: 'file must be worker or error' }).default('worker'),
  lines: z.coerce.number().int().min(1).max(5000).default(200),
});

/** POST /api/settings: flat string values; each key is validated by config/SettingsManager. */
export const settingsBody = z.record(z.string(), z.string({ error: 'every setting value must be a string' }));

/** POST /api/credentials: one-line values for the keys DATA_DIR/.env may hold. */
export const credentialsBody = z
  .record(z.string(), z.string().max(4096).refine((v) => !/[\r\n]/.test(v), 'value must be one line'))
  .refine((r) => Object.keys(r).every((k) => (RECOGNISED_ENV_KEYS as readonly string[]).includes(k)), {
    message: `keys must be among ${RECOGNISED_ENV_KEYS.join(', ')}`,
  });

/** POST /api/embeddings/reindex. */
export const reindexBody = z.object({ reset: z.boolean({ error: 'reset must be true or false' }).default(false) }).strict();

// The request types live with the other wire types (types.ts); store/importExport reads this one here.
export type { ImportBody } from './types.js';

// ---- Claude Code hook payloads, as posted by http hooks (POST /api/hooks/:event) --------------
// The JSON Claude Code gives a command hook on stdin, unchanged. Only the fields capture reads are
// checked; everything else Claude Code adds is accepted and ignored (it grows between versions).

const hookBase = {
  session_id: sessionId,
  cwd,
  transcript_path: pathText('transcript path').optional(),
  hook_event_name: identifier('hook event name').optional(),
  agent_id: agentId,
  agent_type: identifier('subagent type').nullish(),
};

export const hookSessionStartPayload = z.looseObject({ ...hookBase, source: idString('SessionStart source', 64).optional() });
export const hookPromptPayload = z.looseObject({
  ...hookBase,
  prompt: z.string({ error: 'must be a string (the prompt)' }).max(16_000_000),
  prompt_id: identifier('prompt id').optional(),
});
/** POST /api/hooks/UserPromptSubmit/answer: the prompt's payload; `start_context` adds the project's context (the session's first prompt). */
export const hookPromptAnswerBody = hookPromptPayload.extend({ start_context: z.boolean({ error: 'must be true or false' }).optional() });
export const hookPreToolPayload = z.looseObject({ ...hookBase, tool_name: identifier('tool name'), tool_input: z.unknown().optional() });
export const hookToolPayload = z
  .looseObject({
    ...hookBase,
    tool_name: identifier('tool name'),
    tool_input: z.unknown().optional(),
    tool_response: z.unknown().optional(),
    error: z.string().optional(),
    tool_use_id: identifier('tool_use_id'),
  })
  .refine((b) => b.tool_response !== undefined || b.error !== undefined, {
    message: 'one of tool_response (PostToolUse) or error (PostToolUseFailure) is required',
    path: ['tool_response'],
  });
export const hookStopPayload = z.looseObject({ ...hookBase, last_assistant_message: z.string().max(16_000_000).optional() });
export const hookEndPayload = z.looseObject({ ...hookBase, reason: idString('SessionEnd reason', 256).optional() });

/** POST /api/transcripts/import (`claude-mem backfill`): one past session's transcript. */
export const transcriptImportBody = z.object({ transcript_path: pathText('transcript path') });

/** GET /api/stats. */
export const statsQuery = z.object({
  by: z.enum(['day', 'project', 'session', 'model'], { error: 'must be day, project, session or model' }).default('day'),
  days: z.coerce
    .number({ error: 'must be a whole number from 1 to 366' })
    .int('must be a whole number from 1 to 366')
    .min(1, 'must be a whole number from 1 to 366')
    .max(366, 'must be a whole number from 1 to 366')
    .default(30),
});

/** POST /api/recall/prompt: what prompt-time recall would inject for a prompt (no session is marked). */
export const promptRecallBody = z.object({
  prompt: z.string().max(100_000, 'must be at most 100,000 characters'),
  project: projectFilter,
  cwd: pathText('working directory').optional(),
  explain: z.boolean().optional(),
});
