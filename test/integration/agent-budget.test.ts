// CLAUDE_MEM_DAILY_TOKEN_BUDGET through a real worker: once the day's tokens are spent, nothing
// more reaches the gateway, events wait in the queue, and health / `worker status` say why.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { startWorker, type WorkerHandle } from '../helpers/worker.js';
import { cliOk, fixturePayload, health, hook, listObservations, markedReply, sleep, waitForValue } from './agent-support.js';

const BUDGET = 500; // one memory-agent request (instructions + event) costs more than this

let gateway: FakeAnthropic;
let w: WorkerHandle;

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: markedReply('budgettest') });
  w = await startWorker({
    // One event per request, so the budget runs out after exactly one.
    settings: { CLAUDE_MEM_DAILY_TOKEN_BUDGET: String(BUDGET), CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
    dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-budget-test\n`,
  });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

it('stops calling the LLM once the daily budget is spent; events stay queued', async () => {
  const sessionId = 'budget-session';
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
  for (const f of ['04-PostToolUse-Read.json', '07-PostToolUse-Write.json', '10-PostToolUse-Edit.json']) {
    hook('post-tool-use', fixturePayload(f, { session_id: sessionId }), w.env);
  }
  const h = await waitForValue(async () => {
    const x = await health(w);
    return x.budget.exhausted ? x : null;
  }, 20_000, 'the budget to be exhausted');
  expect(h.budget.dailyLimit).toBe(BUDGET);
  expect(h.budget.spentToday).toBeGreaterThanOrEqual(BUDGET);
  expect(h.paused).toMatch(/budget/);

  // New work does not restart spending either (posting wakes the agent).
  hook('post-tool-use', fixturePayload('13-PostToolUse-Bash.json', { session_id: sessionId }), w.env);
  await sleep(1500); // > the agent's idle poll interval
  expect(gateway.messageRequests()).toHaveLength(1);
  const after = await health(w);
  expect(after.queueDepth).toBe(3);
  expect(after.deadLetters).toBe(0);
  expect(after.budget.spentToday).toBe(h.budget.spentToday);
  expect((await listObservations(w)).filter((o) => o.title.startsWith('budgettest'))).toHaveLength(1);

  const status = await cliOk(['worker', 'status'], w.env);
  expect(status).toContain(`${h.budget.spentToday}/${BUDGET} tokens today — EXHAUSTED`);
  expect(status).toContain('Queue:     3 pending');
});
