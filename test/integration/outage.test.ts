// A memory backend that is down for a while must cost nothing and lose nothing. For each way a
// backend can be down — nothing listening, 500 on every request, accepting and never answering —
// a real worker holds 20 sessions × 50 queued events through an outage of OUTAGE_MS: its CPU time
// stays under 2% of the outage's wall time, its RSS flat, /api/health fast, nothing is charged or
// dead-lettered; when the backend returns, every event is stored exactly once.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type AnthropicReply, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { freePort, getJson, postJson, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { health, markedReply, PROJECT_CWD, readLog, sleep, waitForValue } from './agent-support.js';

const OUTAGE_MS = Number(process.env.CLAUDE_MEM_TEST_OUTAGE_MS ?? 60_000);
const SESSIONS = 20;
const EVENTS_PER_SESSION = 50;
const PROBE_MAX_MS = 2_000;
const REQUEST_TIMEOUT_MS = 1_500;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s

type Mode = 'refused' | 'error-500' | 'hang';

interface Measured {
  mode: Mode;
  cpuMs: number;
  wallMs: number;
  rssGrowthKb: number;
  healthP99Ms: number;
  requestsDuringOutage: number;
  deadLetters: number;
  stored: number;
  distinctTitles: number;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function queueEvents(w: WorkerHandle, mode: Mode): Promise<void> {
  for (let s = 0; s < SESSIONS; s++) {
    const sessionId = `outage-${mode}-${s}`;
    const init = await postJson(`${w.url}/api/sessions/init`, { session_id: sessionId, cwd: PROJECT_CWD, prompt: `work item ${s}` });
    expect(init.status).toBeLessThan(300);
    const posts = [];
    for (let e = 0; e < EVENTS_PER_SESSION; e++) {
      posts.push(
        postJson(`${w.url}/api/sessions/observations`, {
          session_id: sessionId,
          cwd: PROJECT_CWD,
          tool_name: 'Bash',
          tool_input: { command: `step ${s}.${e}` },
          tool_response: `output of step ${s}.${e}`,
          tool_use_id: `toolu_outage_${mode.replace('-', '_')}_${s}_${e}`,
        }),
      );
    }
    for (const r of await Promise.all(posts)) expect(r.status).toBe(202);
  }
}

async function runOutage(mode: Mode): Promise<Measured> {
  let down = true;
  const ok = markedReply(`outage-${mode}`);
  const failing: AnthropicReply = mode === 'hang' ? { hang: true } : { status: 500, errorType: 'api_error', message: 'upstream unavailable' };
  let gateway: FakeAnthropic | null = null;
  let requestsDuringOutage = 0;
  const handler = (req: RecordedRequest) => {
    if (down) {
      requestsDuringOutage++;
      return failing;
    }
    return ok(req);
  };
  // 'refused': the backend's port has no listener until the outage ends.
  const port = mode === 'refused' ? await freePort() : undefined;
  if (mode !== 'refused') gateway = await startFakeAnthropic({ handler });
  const url = gateway?.url ?? `http://127.0.0.1:${port}`;
  const w = await startWorker({
    settings: {
      CLAUDE_MEM_OUTAGE_PROBE_MAX_MS: String(PROBE_MAX_MS),
      CLAUDE_MEM_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: '2',
    },
    dotenv: `ANTHROPIC_BASE_URL=${url}\nANTHROPIC_API_KEY=sk-outage-test\n`,
  });
  try {
    await queueEvents(w, mode);
    const pid = w.proc.pid!;
    // The breaker is open once the first requests failed; then the outage proper is measured.
    await waitForValue(async () => (await health(w)).outage, 20_000, `${mode}: the outage to be noticed`);
    await sleep(2_000);
    const cpu0 = cpuMs(pid);
    const rss0 = rssKb(pid);
    const t0 = Date.now();
    const latencies: number[] = [];
    while (Date.now() - t0 < OUTAGE_MS) {
      const started = performance.now();
      const h = await health(w);
      latencies.push(performance.now() - started);
      expect(h.outage).not.toBeNull();
      expect(h.deadLetters).toBe(0);
      await sleep(250);
    }
    const wallMs = Date.now() - t0;
    const cpuUsed = cpuMs(pid) - cpu0;
    const rssGrowthKb = rssKb(pid) - rss0;
    const q = await getJson<{ depth: number; pending: Array<{ attempts: number }>; deadLetters: unknown[] }>(`${w.url}/api/queue`);
    expect(q.depth).toBe(SESSIONS * EVENTS_PER_SESSION);
    expect(q.pending.every((p) => p.attempts === 0)).toBe(true);

    // The backend comes back.
    down = false;
    if (mode === 'refused') gateway = await startFakeAnthropic({ handler, port });
    await waitForValue(async () => {
      const h = await health(w);
      return h.queueDepth === 0 ? h : null;
    }, 180_000, `${mode}: every event processed after the outage`);
    const rows: Array<{ title: string; content_session_id: string }> = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await getJson<{ observations: Array<{ title: string; content_session_id: string }> }>(
        `${w.url}/api/observations?limit=1000&offset=${offset}`,
      );
      rows.push(...page.observations);
      if (page.observations.length < 1000) break;
    }
    const mine = rows.filter((o) => o.content_session_id.startsWith(`outage-${mode}-`));
    const final = await health(w);
    expect(readLog(w.dataDir, 'error')).not.toMatch(/MaxListenersExceeded|heap out of memory|Unhandled/);
    return {
      mode,
      cpuMs: cpuUsed,
      wallMs,
      rssGrowthKb,
      healthP99Ms: percentile(latencies, 99),
      requestsDuringOutage,
      deadLetters: final.deadLetters,
      stored: mine.length,
      distinctTitles: new Set(mine.map((o) => o.title)).size,
    };
  } finally {
    await w.stop();
    await gateway?.close();
  }
}

const results: Measured[] = [];
afterAll(() => {
  for (const r of results) {
    console.log(
      `[outage ${r.mode}] ${r.wallMs} ms: worker CPU ${r.cpuMs} ms (${((100 * r.cpuMs) / r.wallMs).toFixed(2)}%), RSS ${r.rssGrowthKb >= 0 ? '+' : ''}${r.rssGrowthKb} kB, ` +
        `health p99 ${r.healthP99Ms.toFixed(1)} ms, ${r.requestsDuringOutage} backend requests while down (from the fake's side), ` +
        `${r.deadLetters} dead letters, ${r.stored} stored (${r.distinctTitles} distinct)`,
    );
  }
});

describe('a backend outage costs nothing and loses nothing', () => {
  it(`refused, 500 and hang, ${SESSIONS} sessions × ${EVENTS_PER_SESSION} events, ${OUTAGE_MS / 1000} s down`, async () => {
    // One after the other: three workers at once on 2 cores would measure each other, not the outage.
    for (const mode of ['refused', 'error-500', 'hang'] as Mode[]) results.push(await runOutage(mode));
    for (const r of results) {
      expect(r.cpuMs, `${r.mode}: CPU time during the outage`).toBeLessThanOrEqual(0.02 * r.wallMs);
      expect(r.rssGrowthKb, `${r.mode}: RSS growth`).toBeLessThanOrEqual(10 * 1024);
      expect(r.healthP99Ms, `${r.mode}: /api/health p99`).toBeLessThanOrEqual(50);
      expect(r.deadLetters, `${r.mode}: dead letters`).toBe(0);
      expect(r.stored, `${r.mode}: observations stored`).toBe(SESSIONS * EVENTS_PER_SESSION);
      expect(r.distinctTitles, `${r.mode}: each event stored once`).toBe(SESSIONS * EVENTS_PER_SESSION);
    }
  }, 3 * OUTAGE_MS + 400_000);
});
