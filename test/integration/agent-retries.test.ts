// Transient failures through a real worker: a 429 with retry-after is waited out and the event is
// stored exactly once; a backend that keeps answering 500 costs exactly
// CLAUDE_MEM_RETRY_MAX_ATTEMPTS × CLAUDE_MEM_QUEUE_MAX_ATTEMPTS requests, then the event is
// dead-lettered with the backend's words visible in /api/queue and `claude-mem worker status`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { getJson, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { cliOk, eventKey, readLog, health, hook, fixturePayload, listObservations, markedReply, postToolEvent, sleep, waitForValue } from './agent-support.js';

const RETRY_MAX = 2;
const QUEUE_MAX = 3;
const OUTAGE = 'upstream pool "haiku-eu" exhausted (gw-500-7731)';

let gateway: FakeAnthropic;
let w: WorkerHandle;
/** Arrival time of each request, per event. */
const arrivals = new Map<string, number[]>();

function route(req: RecordedRequest) {
  const key = eventKey(req);
  const seen = arrivals.get(key) ?? [];
  seen.push(Date.now());
  arrivals.set(key, seen);
  const text = lastUserText(req.body);
  if (text.includes('always-broken')) return { status: 500, errorType: 'api_error', message: OUTAGE };
  if (text.includes('rate-limited') && seen.length === 1) {
    return { status: 429, errorType: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } };
  }
  return markedReply('retrytest')(req);
}

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: route });
  w = await startWorker({
    settings: { CLAUDE_MEM_RETRY_MAX_ATTEMPTS: String(RETRY_MAX), CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: String(QUEUE_MAX) },
    dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-retry-test-key\n`,
  });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

it('429 with retry-after: waits, retries once, stores exactly one observation per event', async () => {
  const sessionId = 'rate-limited-session';
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
  for (const file of ['src/a.ts', 'src/b.ts']) {
    await postToolEvent(w, { sessionId, toolName: 'Read', toolInput: { file_path: `/home/user/project/${file}` }, toolResponse: `rate-limited ${file}` });
  }
  const rows = await waitForValue(async () => {
    const r = (await listObservations(w)).filter((o) => o.content_session_id === sessionId);
    return r.length === 2 ? r : null;
  }, 20_000, 'two observations');
  await sleep(300); // a duplicate store would show up here
  const again = (await listObservations(w)).filter((o) => o.content_session_id === sessionId);
  expect(again.map((o) => o.id).sort()).toEqual(rows.map((o) => o.id).sort());

  const rateLimited = gateway.messageRequests().filter((r) => lastUserText(r.body).includes('rate-limited'));
  expect(rateLimited).toHaveLength(4); // 2 events × (429 + success)
  const keys = new Set(rateLimited.map(eventKey));
  expect(keys.size).toBe(2);
  for (const key of keys) {
    const times = arrivals.get(key)!;
    expect(times).toHaveLength(2);
    // retry-after: 1 was honoured (the backoff base is 20 ms in tests).
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  }
  const q = await getJson<{ depth: number; deadLetters: unknown[] }>(`${w.url}/api/queue`);
  expect(q.depth).toBe(0);
  expect(q.deadLetters).toHaveLength(0);
});

it('500 every time: exactly retry × queue attempts, then dead-lettered with the error verbatim', async () => {
  const sessionId = 'outage-session';
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
  await postToolEvent(w, { sessionId, toolName: 'Bash', toolInput: { command: 'npm test' }, toolResponse: 'always-broken' });

  const h = await waitForValue(async () => {
    const x = await health(w);
    return x.deadLetters === 1 ? x : null;
  }, 30_000, 'the event to be dead-lettered');
  expect(h.queueDepth).toBe(0);
  await sleep(1500); // nothing more is sent once it is dead
  const broken = gateway.messageRequests().filter((r) => lastUserText(r.body).includes('always-broken'));
  expect(broken).toHaveLength(RETRY_MAX * QUEUE_MAX);

  const q = await getJson<{ deadLetters: Array<{ id: number; kind: string; attempts: number; last_error: string; content_session_id: string }> }>(
    `${w.url}/api/queue`,
  );
  expect(q.deadLetters).toHaveLength(1);
  const dead = q.deadLetters[0];
  expect(dead).toMatchObject({ kind: 'tool', attempts: QUEUE_MAX, content_session_id: sessionId });
  expect(dead.last_error).toMatch(new RegExp(`^500 api_error: ${OUTAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(request-id: req_fake_\\d+\\)$`));

  const status = await cliOk(['worker', 'status'], w.env);
  expect(status).toContain('1 dead-lettered');
  expect(status).toContain(`dead #${dead.id} tool after ${QUEUE_MAX} attempts: 500 api_error: ${OUTAGE}`);
  expect((await listObservations(w)).filter((o) => o.content_session_id === sessionId)).toHaveLength(0);

  // A second poison event after the queue emptied: it gets its own dead letter (ids never collide).
  await postToolEvent(w, { sessionId, toolName: 'Bash', toolInput: { command: 'npm run build' }, toolResponse: 'always-broken again' });
  await waitFor(async () => (await health(w)).deadLetters === 2, 30_000, 'the second event to be dead-lettered');
  const q2 = await getJson<{ depth: number; deadLetters: Array<{ id: number; last_error: string }> }>(`${w.url}/api/queue`);
  expect(q2.depth).toBe(0);
  expect(new Set(q2.deadLetters.map((d) => d.id)).size).toBe(2);
  expect(gateway.messageRequests().filter((r) => lastUserText(r.body).includes('always-broken'))).toHaveLength(2 * RETRY_MAX * QUEUE_MAX);
  expect(readLog(w.dataDir, 'error')).not.toMatch(/UNIQUE constraint|Unhandled/);
});
