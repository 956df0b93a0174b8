// Faults from the LLM backend. A fake Anthropic gateway misbehaves in every way we know of; for each
// fault the worker keeps serving (same pid, health 200), the queue stays intact (the event is
// processed once the backend recovers, still queued, or — only when the backend answered and
// refused it — dead-lettered after a bounded number of requests), and the backend's error is
// verbatim in worker-error.log and in /api/health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type AnthropicReply, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { getJson, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { health, listObservations, observationXml, postToolEvent, readLog, sleep, waitForValue } from './agent-support.js';

const QUEUE_MAX = 2;
const TIMEOUT_MS = 1500;
/** Failed requests before the fake backend recovers, in the outage cases. */
const FAILURES = 2;

interface Queue {
  depth: number;
  pending: Array<{ id: number; tool_use_id: string | null; attempts: number; last_error: string | null; content_session_id: string }>;
  deadLetters: Array<{ id: number; tool_use_id: string | null; attempts: number; last_error: string }>;
}

let gateway: FakeAnthropic;
let w: WorkerHandle;
/** Per-marker reply; the marker is in the tool event's response, so retries map to the same entry. */
const replies = new Map<string, (req: RecordedRequest) => AnthropicReply>();

function markerOf(req: RecordedRequest): string | undefined {
  return /fault-marker-([a-z0-9-]+)/.exec(lastUserText(req.body))?.[1];
}

const requestsFor = (marker: string) => gateway.messageRequests().filter((r) => markerOf(r) === marker);
const queue = () => getJson<Queue>(`${w.url}/api/queue`);

async function startOrRestart(): Promise<void> {
  const dataDir = w?.dataDir;
  const port = w?.port;
  if (w) await w.stop();
  w = await startWorker({
    dataDir,
    port,
    settings: {
      CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: String(QUEUE_MAX),
      CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: '300',
      CLAUDE_MEM_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    },
    dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-hardening-backend-placeholder\n`,
  });
}

beforeAll(async () => {
  gateway = await startFakeAnthropic({
    handler: (req) => {
      const marker = markerOf(req);
      const reply = marker ? replies.get(marker) : undefined;
      if (reply) return reply(req);
      return { text: observationXml({ title: `ok ${marker ?? 'unmarked'}`, narrative: 'processed normally' }) };
    },
  });
  await startOrRestart();
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

const outcomes: string[] = [];
afterAll(() => console.log(`[backend faults]\n  ${outcomes.join('\n  ')}`));

/** Posts one tool event whose response carries the marker; returns its tool_use_id. */
async function postMarked(marker: string): Promise<string> {
  const toolUseId = `toolu_fault_${marker.replace(/-/g, '_')}_${Date.now()}`;
  await postToolEvent(w, {
    sessionId: `fault-session-${marker}`,
    toolName: 'Bash',
    toolInput: { command: `run ${marker}` },
    toolResponse: `output of fault-marker-${marker}`,
    toolUseId,
  });
  return toolUseId;
}

async function expectServing(): Promise<void> {
  const h = await health(w);
  expect(h.pid).toBe(w.proc.pid);
  expect(w.proc.exitCode).toBeNull();
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('outages (429, 5xx, 529, reset, hang, truncated): the agent waits, nothing is charged or dead-lettered', () => {
  const cases: Array<{ marker: string; reply: AnthropicReply; error: RegExp }> = [
    {
      marker: 'rate-limit',
      reply: { status: 429, errorType: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', headers: { 'retry-after': '0' } },
      error: /^429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit \(request-id: req_fake_\d+\)$/,
    },
    {
      marker: 'server-error',
      reply: { status: 500, errorType: 'api_error', message: 'Internal server error (upstream 7f3a)' },
      error: /^500 api_error: Internal server error \(upstream 7f3a\) \(request-id: req_fake_\d+\)$/,
    },
    {
      marker: 'overloaded',
      reply: { status: 529, errorType: 'overloaded_error', message: 'Overloaded' },
      error: /^529 overloaded_error: Overloaded \(request-id: req_fake_\d+\)$/,
    },
    { marker: 'conn-reset', reply: { reset: true }, error: /^Connection error talking to 127\.0\.0\.1:\d+/ },
    { marker: 'hang', reply: { hang: true }, error: new RegExp(`^Request timed out after ${TIMEOUT_MS / 1000}s waiting for 127\\.0\\.0\\.1:\\d+$`) },
    { marker: 'truncated', reply: { truncate: true, text: 'x'.repeat(2000) }, error: /^Connection error talking to 127\.0\.0\.1:\d+|terminated|JSON/ },
  ];

  for (const c of cases) {
    it(`${c.marker}: one request at a time until it answers, then stored once; 0 attempts charged, error in the log and in health`, async () => {
      replies.set(c.marker, (req) => (requestsFor(c.marker).indexOf(req) < FAILURES ? c.reply : { text: observationXml({ title: `recovered ${c.marker}`, narrative: 'after the outage' }) }));
      const toolUseId = await postMarked(c.marker);
      const rows = await waitForValue(async () => {
        const r = (await listObservations(w)).filter((o) => o.content_session_id === `fault-session-${c.marker}`);
        return r.length ? r : null;
      }, 40_000, `${c.marker} recovered`);
      expect(rows.map((r) => r.title)).toEqual([`recovered ${c.marker}`]);
      await sleep(500); // a runaway loop or a duplicate would show up here
      expect(requestsFor(c.marker)).toHaveLength(FAILURES + 1);
      const q = await queue();
      expect(q.deadLetters.find((d) => d.tool_use_id === toolUseId)).toBeUndefined();
      expect(q.pending.filter((p) => p.tool_use_id === toolUseId)).toEqual([]);
      const h = await health(w);
      expect(h.outage).toBeNull();
      expect(h.lastError?.message).toMatch(c.error);
      const errors = readLog(w.dataDir, 'error');
      expect(errors).toContain(`SDK query failed: ${h.lastError!.message}`);
      expect(errors).toContain('Backend unavailable: memory agent paused');
      await expectServing();
      outcomes.push(`${c.marker.padEnd(13)} recovered after ${FAILURES} failed requests, 0 dead letters: ${h.lastError!.message.slice(0, 100)}`);
    }, 60_000);
  }
});

describe('an event the backend refuses (400): charged, then dead-lettered with the error verbatim', () => {
  it(`invalid request: ${QUEUE_MAX} requests, dead-lettered, error in the log and in health`, async () => {
    const message = 'messages.1.content: prompt is too long: 210448 tokens > 200000 maximum';
    replies.set('refused', () => ({ status: 400, errorType: 'invalid_request_error', message }));
    const toolUseId = await postMarked('refused');
    const dead = await waitForValue(async () => (await queue()).deadLetters.find((d) => d.tool_use_id === toolUseId), 40_000, 'refused dead-lettered');
    expect(dead.attempts).toBe(QUEUE_MAX);
    expect(dead.last_error).toMatch(new RegExp(`^400 invalid_request_error: ${escapeRe(message)} \\(request-id: req_fake_\\d+\\)$`));
    await sleep(700); // a runaway retry loop would show up here
    expect(requestsFor('refused')).toHaveLength(QUEUE_MAX);
    expect((await health(w)).outage).toBeNull();
    expect(readLog(w.dataDir, 'error')).toContain(`SDK query failed: ${dead.last_error}`);
    await expectServing();
    outcomes.push(`refused       dead-lettered after ${QUEUE_MAX} requests: ${dead.last_error.slice(0, 100)}`);
  }, 60_000);
});

describe('answers that are not what the agent expects: processed, never retried', () => {
  it('garbage instead of XML: a valid skip — removed from the queue, nothing stored, one request', async () => {
    replies.set('garbage', () => ({ text: '\u0000\u00ff}{<<<>>> ☃ lorem ipsum </observation> <title>' + '\ufffd'.repeat(100) }));
    const toolUseId = await postMarked('garbage');
    await waitFor(async () => requestsFor('garbage').length === 1 && (await queue()).pending.every((p) => p.tool_use_id !== toolUseId), 20_000, 'garbage processed');
    await sleep(500);
    expect(requestsFor('garbage')).toHaveLength(1);
    const q = await queue();
    expect(q.deadLetters.find((d) => d.tool_use_id === toolUseId)).toBeUndefined();
    expect((await listObservations(w)).filter((o) => o.content_session_id === 'fault-session-garbage')).toEqual([]);
    await expectServing();
    outcomes.push('garbage       processed as a skip after 1 request, 0 observations');
  });

  it('an answer 1 MB long: processed once, stored fields capped', async () => {
    const filler = 'The build output repeated. '.repeat(40_000); // ~1 MB
    replies.set('huge-answer', () => ({
      text: observationXml({ title: 'Huge answer handled', narrative: filler }) + '\n' + filler,
    }));
    await postMarked('huge-answer');
    const rows = await waitForValue(async () => {
      const r = (await listObservations(w)).filter((o) => o.content_session_id === 'fault-session-huge-answer');
      return r.length ? r : null;
    }, 20_000, 'the huge answer processed');
    expect(rows).toHaveLength(1);
    expect(rows[0].title).toBe('Huge answer handled');
    expect(rows[0].narrative.length).toBeLessThanOrEqual(4100);
    expect(requestsFor('huge-answer')).toHaveLength(1);
    await expectServing();
    outcomes.push(`huge-answer   processed after 1 request; narrative stored as ${rows[0].narrative.length} chars of ${filler.length}`);
  });
});

describe('configuration faults (401, 403, 404 model): the agent pauses, the event stays queued untouched', () => {
  const cases: Array<{ marker: string; reply: AnthropicReply; error: RegExp }> = [
    {
      marker: 'unauthorized',
      reply: { status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' },
      error: /^401 authentication_error: invalid x-api-key \(request-id: req_fake_\d+\)$/,
    },
    {
      marker: 'forbidden',
      reply: { status: 403, errorType: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
      error: /^403 permission_error: Your API key does not have permission to use the specified resource\. \(request-id: req_fake_\d+\)$/,
    },
    {
      marker: 'no-model',
      reply: { status: 404, errorType: 'not_found_error', message: 'model: claude-haiku-4-5-20251001 does not exist on this gateway' },
      error: /^404 not_found_error: model: claude-haiku-4-5-20251001 does not exist on this gateway \(request-id: req_fake_\d+\)$/,
    },
  ];

  for (const c of cases) {
    it(`${c.marker}: one request, paused with the error, queued with 0 attempts; processed after the fix and a restart`, async () => {
      replies.set(c.marker, () => c.reply);
      const toolUseId = await postMarked(c.marker);
      const h = await waitForValue(async () => {
        const x = await health(w);
        return x.paused ? x : null;
      }, 20_000, `${c.marker}: the agent to pause`);
      expect(h.paused).toMatch(c.error);
      expect(h.lastError?.message).toMatch(c.error);
      await sleep(700);
      expect(requestsFor(c.marker)).toHaveLength(1); // not retried: no request can succeed until fixed
      const pending = (await queue()).pending.find((p) => p.tool_use_id === toolUseId);
      expect(pending, 'the event is still queued').toBeDefined();
      expect(pending!.attempts).toBe(0);
      expect(pending!.last_error).toMatch(c.error);
      expect(readLog(w.dataDir, 'error')).toMatch(new RegExp(`SDK query failed: ${escapeRe(pending!.last_error!)}`));
      await expectServing();

      // The user fixes the gateway (here: the fake stops refusing) and restarts the worker.
      replies.delete(c.marker);
      await startOrRestart();
      const rows = await waitForValue(async () => {
        const r = (await listObservations(w)).filter((o) => o.content_session_id === `fault-session-${c.marker}`);
        return r.length ? r : null;
      }, 20_000, `${c.marker}: processed after the restart`);
      expect(rows).toHaveLength(1);
      expect(requestsFor(c.marker)).toHaveLength(2);
      expect((await health(w)).paused).toBeNull();
      outcomes.push(`${c.marker.padEnd(13)} paused after 1 request, event kept (attempts 0); processed after fix + restart`);
    }, 60_000);
  }
});
