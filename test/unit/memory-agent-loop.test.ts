// The memory agent's loop, in process: a real SQLite store, a scripted provider. What it protects:
// a pass that makes no progress is never followed by an immediate pass (no spin, whatever the
// queue offers), and an outage sends one probe at a time, charges nothing, and resumes everything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { EventBus } from '../../src/lib/EventBus.js';
import { MemoryAgent } from '../../src/agent/MemoryAgent.js';
import { ProviderError, type Provider, type SendRequest } from '../../src/agent/providers/providers.js';
import { createLogger } from '../../src/config/logger.js';
import { SETTINGS_DEFAULTS, type Settings } from '../../src/config/SettingsManager.js';
import type { QueuedEvent } from '../../src/api/types.js';

// The agent logs under the data dir: keep it away from ~/.claude-mem.
const DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-agent-loop-data-'));
process.env.CLAUDE_MEM_DATA_DIR = DATA_DIR;
afterAll(() => fs.rmSync(DATA_DIR, { recursive: true, force: true }));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const event = (id: string): QueuedEvent =>
  ({ kind: 'tool', payload: { tool_name: 'Bash', tool_input: { command: id }, tool_response: 'ok', tool_use_id: id, cwd: '/p' } }) as QueuedEvent;

function tempStore(): SqliteStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-agent-loop-'));
  const store = openStore(path.join(dir, 'claude-mem.db'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => store.close());
  return store;
}

function startAgent(store: SqliteStore, send: (req: SendRequest) => Promise<string>, settings: Partial<Settings> = {}) {
  const provider: Provider = {
    info: { provider: 'scripted', model: 'm', baseUrlHost: 'h', baseUrl: 'http://h' },
    startSession: () => ({
      send: async (req) => ({ text: await send(req), usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 }, model: 'm' }),
      close: async () => {},
    }),
  };
  const agent = new MemoryAgent({
    store,
    bus: new EventBus(),
    settings: () => ({ ...SETTINGS_DEFAULTS, ...settings }) as Settings,
    workerId: 'w-test',
    log: createLogger('test'),
    providerFactory: () => provider,
    retryBaseMs: 20,
  });
  agent.start();
  cleanups.push(() => agent.stop());
  return agent;
}

const observation = (title: string) =>
  `<observation><type>discovery</type><title>${title}</title><narrative>n</narrative></observation>`;

it('does not spin on a session the queue offers but the agent cannot claim', async () => {
  const store = tempStore();
  await store.queue.enqueue('s1', 'p', event('t1'));
  let offers = 0;
  const ready = store.queue.readySessions.bind(store.queue);
  store.queue.readySessions = async (now) => {
    offers++;
    return ready(now);
  };
  store.queue.claim = async () => []; // as if the row could not be claimed, whatever the reason
  const agent = startAgent(store, async () => observation('never'));
  await sleep(1500);
  for (let i = 0; i < 20; i++) agent.wake(); // acknowledged events wake the loop
  await sleep(500);
  // Once at start, once per wake burst at most: never a pass per millisecond.
  expect(offers).toBeLessThanOrEqual(3);
});

it('an outage: one probe at a time, nothing charged, then every session resumes', async () => {
  const store = tempStore();
  for (let s = 0; s < 5; s++) for (let e = 0; e < 4; e++) await store.queue.enqueue(`s${s}`, 'p', event(`t${s}-${e}`));
  let down = true;
  let inFlight = 0;
  let maxInFlightWhileDown = 0;
  let requestsWhileDown = 0;
  const agent = startAgent(
    store,
    async (req) => {
      inFlight++;
      try {
        await sleep(5);
        if (down) {
          requestsWhileDown++;
          maxInFlightWhileDown = Math.max(maxInFlightWhileDown, inFlight);
          throw new ProviderError('transient', 'Connection error talking to 127.0.0.1:9: connect ECONNREFUSED', { errorType: 'connection_error' });
        }
        return observation(String(req.turns.at(-1)?.content.length));
      } finally {
        inFlight--;
      }
    },
    { CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: '100', CLAUDE_MEM_BATCH_IDLE_MS: '0', CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
  );
  await sleep(1200);
  const status = await agent.status();
  expect(status.outage?.lastError).toContain('ECONNREFUSED');
  expect(status.outage?.probes).toBeGreaterThan(3);
  // The first pass may have 3 sessions in flight; after that, probes only: ~1 per 100 ms.
  expect(requestsWhileDown).toBeLessThanOrEqual(3 + Math.ceil(1200 / 100) + 4);
  const pending = await store.queue.pending(100);
  expect(pending.every((p) => p.attempts === 0)).toBe(true);
  expect(await store.queue.deadCount()).toBe(0);

  down = false;
  const until = Date.now() + 10_000;
  while ((await store.queue.depth()) > 0 && Date.now() < until) await sleep(50);
  expect(await store.queue.depth()).toBe(0);
  expect((await agent.status()).outage).toBeNull();
  expect(maxInFlightWhileDown).toBeLessThanOrEqual(3);
});
