// What the memory agent stores from the gateway's replies, through a real worker and the real hook
// processes: duplicates are stored once, files_modified comes from the tool input whatever the
// model claims, and the Stop turn yields one session summary for the main agent only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { getJson, postJson, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import {
  fixturePayload,
  hook,
  isSummaryTurn,
  listObservations,
  observationXml,
  summaryXml,
  toolOf,
  waitForQueueEmpty,
  waitForValue,
} from './agent-support.js';

const SAME = { title: 'greet() is exported from src/util.ts', narrative: 'main() in src/app.ts prints greet(name) from src/util.ts.' };

let gateway: FakeAnthropic;
let w: WorkerHandle;

function reply(req: RecordedRequest) {
  if (isSummaryTurn(req)) return { text: `Here is the summary:\n\`\`\`xml\n${summaryXml('Rename the greeting target')}\n\`\`\`` };
  const text = lastUserText(req.body);
  // Reads and the Bash call: the same observation every time (a model repeating itself).
  if (toolOf(req) !== 'Edit') return { text: observationXml(SAME) };
  // The Edit: the model forgets to list the file it changed.
  expect(text).toContain('/home/user/project/src/app.ts');
  return { text: observationXml({ type: 'change', title: 'Greeting target renamed to sandbox', narrative: 'app.ts now greets sandbox.', files_modified: [] }) };
}

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: reply });
  // One event per request: the model repeating itself across requests is what is tested.
  w = await startWorker({ settings: { CLAUDE_MEM_BATCH_MAX_EVENTS: '1' }, dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-results-test\n` });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

const SESSION = 'results-session';

it('stores a repeated observation once, and files_modified from the Edit input', async () => {
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: SESSION }), w.env);
  hook('post-tool-use', fixturePayload('04-PostToolUse-Read.json', { session_id: SESSION }), w.env);
  hook('post-tool-use', fixturePayload('13-PostToolUse-Bash.json', { session_id: SESSION }), w.env);
  hook('post-tool-use', fixturePayload('10-PostToolUse-Edit.json', { session_id: SESSION }), w.env);
  await waitFor(() => gateway.messageRequests().length === 3, 20_000, 'three requests');
  await waitForQueueEmpty(w);

  const rows = await listObservations(w);
  expect(rows).toHaveLength(2);
  expect(rows.filter((o) => o.title === SAME.title)).toHaveLength(1);
  const edit = rows.find((o) => o.title === 'Greeting target renamed to sandbox')!;
  expect(edit.files_modified).toEqual(['/home/user/project/src/app.ts']);
});

it('the Stop turn stores one summary for the main agent; a subagent Stop is not summarised', async () => {
  const before = gateway.messageRequests().length;
  expect(hook('stop', fixturePayload('27-Stop.json', { session_id: SESSION }), w.env)).toEqual({});
  const summaries = await waitForValue(async () => {
    const s = await getJson<{ summaries: Array<{ content_session_id: string; request: string; completed: string; prompt_number: number | null }> }>(
      `${w.url}/api/summaries`,
    );
    return s.summaries.length > 0 ? s.summaries : null;
  }, 20_000, 'the summary');
  expect(summaries).toHaveLength(1);
  expect(summaries[0]).toMatchObject({
    content_session_id: SESSION,
    request: 'Rename the greeting target',
    completed: 'greeting target renamed to sandbox',
    prompt_number: 1,
  });
  const summaryReq = gateway.messageRequests()[before];
  expect(isSummaryTurn(summaryReq)).toBe(true);
  expect(lastUserText(summaryReq.body)).toContain("Changed the greeting to 'sandbox'");
  // The summary turn lists what was recorded for this request, beyond the rolling window.
  expect(lastUserText(summaryReq.body)).toContain('<recorded_observations>');
  expect(lastUserText(summaryReq.body)).toContain('Greeting target renamed to sandbox');
  // Found by search too.
  const found = await getJson<{ sessions: Array<{ request: string }> }>(`${w.url}/api/search?query=greeting&kinds=sessions`);
  expect(found.sessions.map((s) => s.request)).toContain('Rename the greeting target');

  // A subagent's Stop: the hook posts it with agent_id and the worker skips it.
  const sub = { ...fixturePayload('27-Stop.json', { session_id: SESSION }), agent_id: 'a1b2c3d4', agent_type: 'Explore' };
  expect(hook('stop', sub, w.env)).toEqual({});
  const direct = await postJson(`${w.url}/api/sessions/summarize`, {
    session_id: SESSION,
    cwd: '/home/user/project',
    last_assistant_message: 'subagent done',
    agent_id: 'a1b2c3d4',
  });
  expect(direct.body).toEqual({ status: 'skipped', reason: 'subagent' });
  const q = await getJson<{ depth: number }>(`${w.url}/api/queue`);
  expect(q.depth).toBe(0); // nothing was queued for either
  expect(gateway.messageRequests()).toHaveLength(before + 1);
  const s2 = await getJson<{ summaries: unknown[] }>(`${w.url}/api/summaries`);
  expect(s2.summaries).toHaveLength(1);
});
