// Cost per event must not grow with session length (SPEC §7): replay one prompt and 300 distinct
// tool events of realistic, varied sizes through a real worker, recorded in batches, and compare
// the prompt tokens per tool call of the requests that carry events 21–40 with those that carry
// events 281–300. Every tool call must be in front of the model in some request.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { promptChars, type RecordedRequest } from '../fakes/fake-http.js';
import { startWorker, type WorkerHandle } from '../helpers/worker.js';
import { fixturePayload, hook, listObservations, markedReply, postToolEvent, toolCalls, waitForValue } from './agent-support.js';

const EVENTS = 300;
const SESSION = 'long-session';

let gateway: FakeAnthropic;
let w: WorkerHandle;

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: markedReply('longsession') });
  w = await startWorker({ dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-token-test\n` });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

/** A big, line-numbered source file like Claude Code's Read output. */
function bigFile(i: number, lines: number): string {
  return Array.from({ length: lines }, (_, n) => `${String(n + 1).padStart(5)}→export const value${i}_${n} = compute(${n}, 'module-${i}');`).join('\n');
}

/**
 * Event i: the captured tool payload shapes (Read, Write, Edit, Bash, a failing Bash, Grep, Glob)
 * in rotation, each about a different file; every 20th event (5, 25, 45, …) returns a large
 * output, so both measured windows hold the same mix.
 */
function toolEvent(i: number): { toolName: string; toolInput: unknown; toolResponse?: unknown; error?: string } {
  const file = `/home/user/project/src/feature${i}/module${i}.ts`;
  if (i % 20 === 5) {
    return { toolName: 'Read', toolInput: { file_path: file }, toolResponse: { type: 'text', file: { filePath: file, content: bigFile(i, 900), numLines: 900 } } };
  }
  switch (i % 7) {
    case 0:
      return { toolName: 'Read', toolInput: { file_path: file }, toolResponse: { type: 'text', file: { filePath: file, content: bigFile(i, 12), numLines: 12 } } };
    case 1:
      return { toolName: 'Write', toolInput: { file_path: file, content: bigFile(i, 30) }, toolResponse: { type: 'create', filePath: file } };
    case 2: {
      const edit = fixturePayload('10-PostToolUse-Edit.json');
      return { toolName: 'Edit', toolInput: { ...(edit.tool_input as object), file_path: file }, toolResponse: { ...(edit.tool_response as object), filePath: file } };
    }
    case 3:
      return { toolName: 'Bash', toolInput: { command: `npx vitest run src/feature${i}` }, toolResponse: { stdout: `✓ src/feature${i}/module${i}.test.ts (${i % 9} tests)\n`.repeat(1 + (i % 5)), stderr: '', interrupted: false } };
    case 4:
      return { toolName: 'Bash', toolInput: { command: `cat src/feature${i}/missing.ts` }, error: `Exit code 1\ncat: src/feature${i}/missing.ts: No such file or directory` };
    case 5:
      return { toolName: 'Grep', toolInput: { pattern: `value${i}_`, path: `/home/user/project/src/feature${i}` }, toolResponse: { mode: 'files_with_matches', filenames: [file, `${file}.bak`], numFiles: 2 } };
    default:
      return { toolName: 'Glob', toolInput: { pattern: `src/feature${i}/**/*.ts` }, toolResponse: { filenames: [file], durationMs: 3, numFiles: 1, truncated: false } };
  }
}

/** Tokens the fake gateway bills for a request: ~chars/4 of system + messages (cached or not). */
const promptTokens = (r: RecordedRequest) => Math.ceil(promptChars([r.body.system ?? '', r.body.messages ?? []]) / 4);
/** The part not served from the prompt cache: what the fake reports as `usage.input_tokens`. */
const uncachedTokens = (r: RecordedRequest) => promptTokens(r) - Math.ceil(promptChars(r.body.system ?? '') / 4);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The feature numbers (event indexes) of the tool calls a request carries. */
const eventsIn = (r: RecordedRequest) => toolCalls(r).map((c) => Number(/feature(\d+)/.exec(c)?.[1]));

it(`input tokens per tool call stay flat over a ${EVENTS}-event session, and every call reaches the model`, async () => {
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: SESSION }), w.env);
  for (let i = 1; i <= EVENTS; i++) await postToolEvent(w, { sessionId: SESSION, ...toolEvent(i) });

  const reqs = await waitForValue(async () => {
    const r = gateway.messageRequests();
    return r.flatMap(eventsIn).length >= EVENTS ? r : null;
  }, 120_000, `${EVENTS} tool calls at the gateway`);
  // Each tool call is in exactly one request, in event order (one session is processed in order).
  expect(reqs.flatMap(eventsIn)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
  expect(reqs.length).toBeLessThan(EVENTS / 5); // batched: far fewer requests than events

  const perCall = (f: (r: RecordedRequest) => number) => (r: RecordedRequest) => f(r) / eventsIn(r).length;
  const carrying = (from: number, to: number) => reqs.filter((r) => eventsIn(r).some((e) => e >= from && e <= to));
  const window = (from: number, to: number, f: (r: RecordedRequest) => number) => mean(carrying(from, to).map(perCall(f)));
  const early = { prompt: window(21, 40, promptTokens), uncached: window(21, 40, uncachedTokens) };
  const late = { prompt: window(281, 300, promptTokens), uncached: window(281, 300, uncachedTokens) };
  console.log(
    `tokens per tool call (prompt total / uncached input), ${reqs.length} requests for ${EVENTS} events: events 21–40 avg ${early.prompt.toFixed(0)} / ${early.uncached.toFixed(0)}; ` +
      `281–300 avg ${late.prompt.toFixed(0)} / ${late.uncached.toFixed(0)}; largest request ${Math.max(...reqs.map(promptTokens))}`,
  );
  expect(Math.abs(late.uncached - early.uncached) / early.uncached).toBeLessThanOrEqual(0.1);
  expect(Math.abs(late.prompt - early.prompt) / early.prompt).toBeLessThanOrEqual(0.1);
  // The instructions are marked for prompt caching on every request.
  for (const r of reqs) expect(r.body.system.at(-1).cache_control).toEqual({ type: 'ephemeral' });

  // Every event produced its observation, each recording what it cost.
  const rows = await waitForValue(async () => {
    const o = await listObservations(w, 500);
    return o.length === EVENTS ? o : null;
  }, 30_000, `${EVENTS} observations`);
  for (const o of rows) expect(o.tokens!.input_tokens + o.tokens!.cache_read_tokens + o.tokens!.cache_write_tokens).toBeGreaterThan(0);
}, 180_000);
