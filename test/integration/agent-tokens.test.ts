// Cost per event must not grow with session length (SPEC §7): replay one prompt and 300 distinct
// tool events of realistic, varied sizes through a real worker and compare the prompt size of the
// memory agent's requests early (events 21–40) and late (281–300) in the session.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { promptChars, type RecordedRequest } from '../fakes/fake-http.js';
import { startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { fixturePayload, hook, listObservations, markedReply, postToolEvent, waitForValue } from './agent-support.js';

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

it(`input tokens per event stay flat over a ${EVENTS}-event session`, async () => {
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: SESSION }), w.env);
  for (let i = 1; i <= EVENTS; i++) await postToolEvent(w, { sessionId: SESSION, ...toolEvent(i) });

  await waitFor(() => gateway.messageRequests().length >= EVENTS, 120_000, `${EVENTS} requests at the gateway`);
  const reqs = gateway.messageRequests();
  expect(reqs).toHaveLength(EVENTS);
  // Requests arrive in event order (one session is processed sequentially).
  reqs.forEach((r, i) => {
    const last = r.body.messages.at(-1).content as string;
    expect(last).toContain(`feature${i + 1}`);
  });

  const window = (from: number, to: number, f: (r: RecordedRequest) => number) => mean(reqs.slice(from - 1, to).map(f));
  const early = { prompt: window(21, 40, promptTokens), uncached: window(21, 40, uncachedTokens) };
  const late = { prompt: window(281, 300, promptTokens), uncached: window(281, 300, uncachedTokens) };
  const at = (n: number) => ({ prompt: promptTokens(reqs[n - 1]), uncached: uncachedTokens(reqs[n - 1]) });
  console.log(
    `tokens per event (prompt total / uncached input): events 21–40 avg ${early.prompt.toFixed(0)} / ${early.uncached.toFixed(0)}; ` +
      `281–300 avg ${late.prompt.toFixed(0)} / ${late.uncached.toFixed(0)}; event 30 ${at(30).prompt}/${at(30).uncached}; ` +
      `event 300 ${at(300).prompt}/${at(300).uncached}; max over session ${Math.max(...reqs.map(promptTokens))}`,
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
