// zod schemas for every request the worker accepts. Messages name the field and the fix.
import { z } from 'zod';
import { OBSERVATION_TYPES } from '../../types.js';
import { MAX_NESTING, nestingExceeds } from './nesting.js';

const id = (name: string) =>
  z
    .string({ error: `${name} must be a string` })
    .min(1, `${name} must not be empty`)
    .max(512, `${name} is longer than 512 characters`);

const cwd = z.string({ error: 'cwd must be the session working directory (a string)' }).max(4096);

export const initBody = z.object({
  session_id: id('session_id'),
  cwd,
  prompt: z.string().max(1_000_000).optional(),
  source: z.string().max(64).optional(),
});

export const toolEventBody = z
  .object({
    session_id: id('session_id'),
    cwd,
    tool_name: id('tool_name'),
    tool_input: z.unknown().optional(),
    tool_response: z.unknown().optional(),
    error: z.string().optional(),
    tool_use_id: id('tool_use_id'),
    agent_id: z.string().max(512).nullish(),
    agent_type: z.string().max(512).nullish(),
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
  session_id: id('session_id'),
  cwd,
  last_assistant_message: z.string().max(1_000_000).default(''),
  agent_id: z.string().max(512).nullish(),
});

export const endBody = z.object({
  session_id: id('session_id'),
  reason: z.string().max(256).optional(),
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

const intParam = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(min, `${name} must be ≥ ${min}`)
    .max(max, `${name} must be ≤ ${max}`);

/** Accepts epoch milliseconds or an ISO date/time. */
const dateParam = (name: string) =>
  z
    .string()
    .max(64)
    .transform((s, ctx) => {
      const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an ISO date or epoch milliseconds` });
        return z.NEVER;
      }
      return n;
    });

const typeList = csv.pipe(
  z.array(z.enum(OBSERVATION_TYPES, { error: `type must be one of ${OBSERVATION_TYPES.join(', ')}` })),
);

export const searchQuery = z.object({
  query: z.string().max(100_000).default(''),
  project: z.string().max(512).optional(),
  type: typeList.optional(),
  concepts: csv.optional(),
  files: csv.optional(),
  dateStart: dateParam('dateStart').optional(),
  dateEnd: dateParam('dateEnd').optional(),
  orderBy: z.enum(['relevance', 'date_desc', 'date_asc'], { error: 'orderBy must be relevance, date_desc or date_asc' }).optional(),
  limit: intParam('limit', 1, 500).default(20),
  offset: intParam('offset', 0, 1_000_000).default(0),
  kinds: csv.pipe(z.array(z.enum(['observations', 'sessions', 'prompts'], { error: 'kinds: observations, sessions, prompts' }))).optional(),
  format: z.string().optional(),
});

export const listQuery = z.object({
  project: z.string().max(512).optional(),
  limit: intParam('limit', 1, 1000).default(50),
  offset: intParam('offset', 0, 10_000_000).default(0),
});

export const batchBody = z.object({
  ids: z
    .array(z.number({ error: 'ids must be numbers' }).int().positive(), { error: 'ids must be an array of observation ids' })
    .min(1, 'ids must not be empty')
    .max(500, 'ids: at most 500 per request'),
  project: z.string().optional(),
});

export const timelineQuery = z
  .object({
    anchor: intParam('anchor', 1, Number.MAX_SAFE_INTEGER).optional(),
    query: z.string().max(10_000).optional(),
    project: z.string().max(512).optional(),
    before: intParam('before', 0, 100).default(5),
    after: intParam('after', 0, 100).default(5),
  })
  .refine((q) => q.anchor !== undefined || (q.query ?? '').trim() !== '', {
    message: 'give anchor (an observation id) or query (text to find the anchor)',
    path: ['anchor'],
  });

export const contextQuery = z
  .object({ project: z.string().max(512).optional(), cwd: z.string().max(4096).optional() })
  .refine((q) => q.project || q.cwd, { message: 'give project or cwd', path: ['project'] });

export const fileContextQuery = z.object({
  path: z.string().min(1, 'path: the file being read').max(4096),
  cwd: z.string().max(4096),
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

export const importObservation = z.object({
  content_session_id: str(512).default('imported'),
  project: z.string().min(1, 'project is required').max(512),
  type: z.enum(OBSERVATION_TYPES, { error: `type must be one of ${OBSERVATION_TYPES.join(', ')}` }),
  title: z.string().min(1, 'title is required').max(2000),
  subtitle: str(10_000).default(''),
  narrative: str(200_000).default(''),
  facts: strList,
  concepts: strList,
  files_read: strList,
  files_modified: strList,
  prompt_number: z.number().int().nullish(),
  agent_id: str(512).nullish(),
  model: str(512).nullish(),
  tokens,
  created_at: z.string().max(64).optional(),
});

export const importSummary = z.object({
  content_session_id: str(512).default('imported'),
  project: z.string().min(1, 'project is required').max(512),
  request: str(200_000).default(''),
  investigated: str(200_000).default(''),
  learned: str(200_000).default(''),
  completed: str(200_000).default(''),
  next_steps: str(200_000).default(''),
  notes: str(200_000).default(''),
  prompt_number: z.number().int().nullish(),
  model: str(512).nullish(),
  tokens,
  created_at: z.string().max(64).optional(),
});

export const importPrompt = z.object({
  content_session_id: z.string().min(1).max(512),
  project: z.string().min(1, 'project is required').max(512),
  prompt_number: z.number().int().positive(),
  prompt_text: z.string().max(1_000_000),
  created_at: z.string().max(64).optional(),
});

export const importBody = z.object({
  observations: z.array(importObservation).max(200_000).optional(),
  summaries: z.array(importSummary).max(200_000).optional(),
  prompts: z.array(importPrompt).max(200_000).optional(),
});

export type ImportBody = z.infer<typeof importBody>;
