// Backend failures through a real worker. A 429 with retry-after is waited out and the event is
// stored exactly once. A backend that keeps answering 500 is an outage, not a bad event: the agent
// pauses behind its breaker, probes with one request at a time, charges no attempt and dead-letters
// nothing, and stores the event once the backend answers again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { getJson, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { eventKey, readLog, health, hook, fixturePayload, listObservations, markedReply, postToolEvent, sleep, waitForValue } from './agent-support.js';

const PROBE_MAX_MS = 200;
const OUTAGE = 'upstream pool "haiku-eu" exhausted (gw-500-7731)';
let backendDown = true;

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
  if (text.includes('always-broken') && backendDown) return { status: 500, errorType: 'api_error', message: OUTAGE };
  if (text.includes('rate-limited') && seen.length === 1) {
    return { status: 429, errorType: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } };
  }
  return markedReply('retrytest')(req);
}

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: route });
  w = await startWorker({
    // One event per request, so arrivals can be counted per event.
    settings: { CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: '2', CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: String(PROBE_MAX_MS), CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
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

it('500 every time: an outage — probes one request at a time, charges nothing, stores the event once it answers', async () => {
  const sessionId = 'outage-session';
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
  for (const command of ['npm test', 'npm run build', 'npm run lint']) {
    await postToolEvent(w, { sessionId, toolName: 'Bash', toolInput: { command }, toolResponse: `always-broken ${command}` });
  }
  const h = await waitForValue(async () => {
    const x = await health(w);
    return x.outage ? x : null;
  }, 20_000, 'the agent to report the outage');
  expect(h.outage!.lastError).toMatch(new RegExp(`^500 api_error: ${OUTAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(request-id: req_fake_\\d+\\)$`));
  expect(Date.parse(h.outage!.nextProbeAt)).toBeGreaterThanOrEqual(Date.parse(h.outage!.since));

  const broken = () => gateway.messageRequests().filter((r) => lastUserText(r.body).includes('always-broken'));
  const before = broken().length;
  await sleep(2000);
  const during = broken().length - before;
  // Probes only: the backoff doubles from 20 ms to PROBE_MAX_MS, so at most ~2000/PROBE_MAX_MS plus
  // the few short early waits; always the oldest event, never a burst, never the other two.
  expect(during).toBeGreaterThan(0);
  expect(during).toBeLessThanOrEqual(Math.ceil(2000 / PROBE_MAX_MS) + 4);
  expect(new Set(broken().map((r) => eventKey(r))).size).toBe(1);
  const q = await getJson<{ depth: number; pending: Array<{ attempts: number }>; deadLetters: unknown[] }>(`${w.url}/api/queue`);
  expect(q.deadLetters).toHaveLength(0);
  expect(q.pending.map((p) => p.attempts)).toEqual([0, 0, 0]);

  backendDown = false;
  const rows = await waitForValue(async () => {
    const r = (await listObservations(w)).filter((o) => o.content_session_id === sessionId);
    return r.length === 3 ? r : null;
  }, 20_000, 'all three events stored after the backend recovered');
  expect(rows).toHaveLength(3);
  const after = await health(w);
  expect(after.outage).toBeNull();
  expect(after.deadLetters).toBe(0);
  expect(readLog(w.dataDir, 'error')).not.toMatch(/MaxListenersExceeded|Unhandled/);
  expect(readLog(w.dataDir, 'worker')).toContain('Backend answered again; memory agent resumes');
});
