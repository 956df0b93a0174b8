// `kill -9` of the worker at random moments while 5 sessions post 1,000 events each
// and the memory agent is mid-request. After the last restart every event has exactly one stored
// observation (0 lost, 0 duplicated), and no event cost the LLM more requests than its retry budget.
// The fake gateway's titles carry the event's tool_use_id and its narratives the request number, so
// a second store of the same event could not hide behind the title+narrative dedupe.
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { authedFetch, startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';
import { observationXml, sleep } from './agent-support.js';
import { integrityCheck, prng, queryDb, seedFromEnv } from './fault-support.js';

const SESSIONS = 5;
const PER_SESSION = 1000;
const TOTAL = SESSIONS * PER_SESSION;
const KILLS = 3;
const LLM_DELAY_MS = 4;
// Requests one event may cost before it is dead-lettered (CLAUDE_MEM_QUEUE_MAX_ATTEMPTS default).
const RETRY_BUDGET = 5;

const seed = seedFromEnv();
const random = prng(seed);

let gateway: FakeAnthropic;
let w: WorkerHandle | undefined;
let inFlight = 0;
const cleanupDirs: string[] = [];
afterAll(async () => {
  await w?.stop('SIGKILL');
  await gateway?.close();
  for (const d of cleanupDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The events a memory-agent request carries (a batch holds several). */
const idsOf = (text: string) => [...new Set([...text.matchAll(/event-id=(toolu_[a-z0-9_]+)/g)].map((m) => m[1]))];
const BATCH = 20; // CLAUDE_MEM_BATCH_MAX_EVENTS default
const toolUseId = (s: number, i: number) => `toolu_kill_s${s}_${String(i).padStart(4, '0')}`;

/** Posts until the worker acknowledges (2xx): a worker that is down or restarting is waited for. */
async function postUntilAcked(s: number, i: number): Promise<void> {
  const id = toolUseId(s, i);
  const body = JSON.stringify({
    session_id: `kill-session-${s}`,
    cwd: '/tmp/kill-project',
    tool_name: 'Bash',
    tool_input: { command: `echo event-id=${id}` },
    tool_response: { stdout: `done ${i}\n`, stderr: '' },
    tool_use_id: id,
  });
  for (;;) {
    const target = w;
    if (target) {
      try {
        const res = await authedFetch(`${target.url}/api/sessions/observations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        });
        await res.text();
        if (res.ok) return;
      } catch {
        // killed or restarting: try again
      }
    }
    await sleep(30);
  }
}

it(`kill -9 × ${KILLS} mid-request: 0 events lost, 0 observations duplicated, LLM requests per event within budget`, async () => {
  console.log(`[kill-9] seed ${seed} (replay with HARDENING_SEED=${seed})`);
  let requestNo = 0;
  gateway = await startFakeAnthropic({
    handler: async (req) => {
      inFlight++;
      try {
        await sleep(LLM_DELAY_MS);
        const text = lastUserText(req.body);
        const ids = idsOf(text);
        if (!ids.length) return { text: '<skip/>' };
        const n = ++requestNo;
        return { text: ids.map((id) => observationXml({ title: `stored ${id}`, narrative: `request #${n} for ${id}` })).join('\n') };
      } finally {
        inFlight--;
      }
    },
  });
  // The subject is a process crash, not power loss: a RAM-backed data dir (when there is one) keeps
  // 10,000 fsync'd commits from dominating the run; the kill semantics are the same.
  const dataDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/cm-kill9-') : tempDir('cm-kill9-');
  cleanupDirs.push(dataDir);
  const dotenv = `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-hardening-kill-placeholder\n`;
  w = await startWorker({ dataDir, dotenv });
  const port = w.port;
  const started = Date.now();

  let posted = 0;
  const posting = Promise.all(
    Array.from({ length: SESSIONS }, async (_, s) => {
      for (let i = 0; i < PER_SESSION; i++) {
        await postUntilAcked(s, i);
        posted++;
      }
    }),
  );

  const kills: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    await sleep(1000 + Math.floor(random() * 3000));
    // Wait (briefly) for the agent to be mid-request, then kill.
    for (let waited = 0; inFlight === 0 && waited < 3000; waited += 5) await sleep(5);
    const victim = w!;
    const midRequest = inFlight > 0;
    w = undefined;
    victim.proc.kill('SIGKILL');
    await new Promise((r) => victim.proc.once('exit', r));
    const stored = queryDb<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM observations')[0].n;
    kills.push(`kill ${k + 1} at ${Date.now() - started} ms: ${posted} events acked, ${stored} stored, agent mid-request: ${midRequest}`);
    w = await startWorker({ dataDir, port, dotenv });
  }
  await posting;
  const postedAt = Date.now() - started;

  // Drain: every event processed.
  const until = Date.now() + 150_000;
  let pending = -1;
  while (Date.now() < until) {
    pending = queryDb<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM pending_events')[0].n;
    if (pending === 0) break;
    await sleep(200);
  }
  expect(pending, 'queue drained').toBe(0);
  const drainedAt = Date.now() - started;

  const titles = queryDb<{ title: string }>(dataDir, 'SELECT title FROM observations').map((r) => r.title);
  const perEvent = new Map<string, number>();
  for (const t of titles) perEvent.set(t, (perEvent.get(t) ?? 0) + 1);
  const duplicated = [...perEvent.values()].filter((n) => n > 1).length;
  const lost: string[] = [];
  for (let s = 0; s < SESSIONS; s++) for (let i = 0; i < PER_SESSION; i++) if (!perEvent.has(`stored ${toolUseId(s, i)}`)) lost.push(toolUseId(s, i));

  const requests = new Map<string, number>();
  for (const r of gateway.messageRequests()) {
    for (const id of idsOf(lastUserText(r.body))) requests.set(id, (requests.get(id) ?? 0) + 1);
  }
  const repeated = [...requests.entries()].filter(([, n]) => n > 1);
  const maxRequests = Math.max(...requests.values());

  console.log(
    `[kill-9] ${kills.join('\n[kill-9] ')}\n` +
      `[kill-9] all ${TOTAL} acked at ${postedAt} ms, queue drained at ${drainedAt} ms; ` +
      `observations ${titles.length}, lost ${lost.length}, duplicated ${duplicated}; ` +
      `LLM requests ${gateway.messageRequests().length}, events sent more than once ${repeated.length} (max ${maxRequests} requests for one event)`,
  );

  expect(lost.slice(0, 10), 'events without an observation').toEqual([]);
  expect(duplicated, 'events stored twice').toBe(0);
  expect(titles).toHaveLength(TOTAL);
  expect(maxRequests).toBeLessThanOrEqual(RETRY_BUDGET);
  // Only events in flight at a kill may be sent again: at most one batch per session per kill.
  expect(repeated.length).toBeLessThanOrEqual(KILLS * SESSIONS * BATCH);
  expect(queryDb(dataDir, 'SELECT id FROM dead_events')).toEqual([]);
  expect(queryDb<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM seen_tool_uses')[0].n).toBe(TOTAL);
  expect(integrityCheck(dataDir)).toBe('ok');
}, 200_000);
