// Cost you can see: every memory-agent request is recorded by day, project, session and model;
// `GET /api/stats` and `claude-mem stats` show tokens and an estimated cost from the price table
// (list prices, overridable in settings); a session over CLAUDE_MEM_SESSION_TOKEN_BUDGET waits.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { authedFetch, getJson, runCli, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { health, markedReply, postToolEvent, sleep, waitForValue } from './agent-support.js';

interface Stats {
  by: string;
  rows: Array<{ key: string; requests: number; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; costUsd: number | null; unpriced: string[] }>;
  total: { requests: number; costUsd: number | null };
}

let gateway: FakeAnthropic;
let w: WorkerHandle;
const SESSION_CAP = 500; // one request (instructions + one tool call) costs more than this

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: markedReply('usagetest') });
  w = await startWorker({
    settings: { CLAUDE_MEM_SESSION_TOKEN_BUDGET: String(SESSION_CAP), CLAUDE_MEM_BATCH_MAX_EVENTS: '2' },
    dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-usage-test\n`,
  });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

it('records each request by project, session and model, and prices it', async () => {
  await postToolEvent(w, { sessionId: 'usage-a', toolName: 'Read', toolInput: { file_path: '/home/user/project/a.ts' }, toolResponse: 'a' });
  await postToolEvent(w, { sessionId: 'usage-b', toolName: 'Read', toolInput: { file_path: '/home/user/project/b.ts' }, toolResponse: 'b' });
  const byModel = await waitForValue(async () => {
    const s = await getJson<Stats>(`${w.url}/api/stats?by=model`);
    return s.total.requests >= 2 ? s : null;
  }, 20_000, 'two requests in the ledger');
  // The default model, priced from the list (claude-haiku-4-5: $1 in, $5 out, $0.10 cache read, $1.25 cache write per MTok).
  expect(byModel.rows).toHaveLength(1);
  const m = byModel.rows[0];
  expect(m.key).toMatch(/^claude-haiku-4-5/);
  const expected = (m.input_tokens * 1 + m.output_tokens * 5 + m.cache_read_tokens * 0.1 + m.cache_write_tokens * 1.25) / 1e6;
  expect(m.costUsd).toBeCloseTo(expected, 10);

  const bySession = await getJson<Stats>(`${w.url}/api/stats?by=session`);
  expect(bySession.rows.map((r) => r.key).sort()).toEqual(['usage-a', 'usage-b']);
  const byDay = await getJson<Stats>(`${w.url}/api/stats?by=day&days=1`);
  expect(byDay.rows.map((r) => r.key)).toEqual([new Date().toISOString().slice(0, 10)]);

  const cli = runCli(['stats', '--by', 'session'], w.env);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/usage-a .*\$0\.\d{4}/);
  expect(cli.stdout).toContain('total');
  const bad = runCli(['stats', '--by', 'week'], w.env);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--by must be day, project, session or model');
  expect(bad.stderr).not.toContain('/api/stats');
});

it('a session over its token cap waits; the others go on', async () => {
  const before = (await getJson<Stats>(`${w.url}/api/stats?by=session`)).rows.find((r) => r.key === 'usage-a')!;
  expect(before.input_tokens + before.output_tokens + before.cache_read_tokens + before.cache_write_tokens).toBeGreaterThan(SESSION_CAP);
  await postToolEvent(w, { sessionId: 'usage-a', toolName: 'Bash', toolInput: { command: 'ls' }, toolResponse: 'capped' });
  await postToolEvent(w, { sessionId: 'usage-c', toolName: 'Bash', toolInput: { command: 'pwd' }, toolResponse: 'not capped' });
  const h = await waitForValue(async () => {
    const x = await health(w);
    return x.budget.cappedSessions.includes('usage-a') ? x : null;
  }, 20_000, 'usage-a to be held back');
  expect(h.budget.sessionLimit).toBe(SESSION_CAP);
  await waitForValue(async () => (await getJson<Stats>(`${w.url}/api/stats?by=session`)).rows.find((r) => r.key === 'usage-c'), 20_000, 'usage-c processed');
  await sleep(500);
  const after = (await getJson<Stats>(`${w.url}/api/stats?by=session`)).rows.find((r) => r.key === 'usage-a')!;
  expect(after.requests).toBe(before.requests);
  expect((await health(w)).queueDepth).toBe(1);
});

it('a bad price table is a clear 400 naming the setting', async () => {
  const other = await startWorker({ settings: { CLAUDE_MEM_MODEL_PRICES: '{"glm-4.7": {"input": "cheap"}}' } });
  try {
    const res = await authedFetch(`${other.url}/api/stats`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('CLAUDE_MEM_MODEL_PRICES[\\"glm-4.7\\"].input must be a number');
  } finally {
    await other.stop();
  }
});
