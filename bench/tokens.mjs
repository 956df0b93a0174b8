// LLM input tokens per tool event as a session grows, batched (the default) against one request
// per event with a 6-exchange history (the design before batching) — both in the same run. A
// replayed session of N tool events goes through the real worker and memory agent (default
// provider `claude`, `api` transport) to a small fake Anthropic server in this process, which
// records the size of every request and how many tool calls it carried.
//
// Tokens are estimated like the test fakes do: 1 token per 4 characters of system + messages.
// The replay cycles through 10 events. Flatness: tokens per tool call of the request that carries
// event 10, 100 and 1000. Also reports the largest subprocess count seen while the agent ran.
import http from 'node:http';
import { getJson, loadFixture, log, postJson, ratio, round, sleep, startWorker } from './lib.mjs';
import { memorySnapshot, watchSubprocesses } from './memory.mjs';

const CHECKPOINTS = [10, 100, 1000];
const CYCLE = 10;

/** A fake Anthropic Messages API: records sizes, answers `<skip/>` or (every 5th request) an observation. */
function startFakeAnthropic() {
  const requests = [];
  const seenSystems = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url.endsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'no such route' } }));
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const text = (c) => (typeof c === 'string' ? c : (c ?? []).map((b) => b.text ?? '').join(''));
      const system = text(body.system);
      const messages = body.messages.reduce((n, m) => n + text(m.content).length, 0);
      const n = requests.length + 1;
      const last = text(body.messages.at(-1)?.content);
      const calls = [...last.matchAll(/toolu_replay_(\d+)/g)].map((m) => Number(m[1]));
      requests.push({ n, systemChars: system.length, messageChars: messages, turns: body.messages.length, calls: [...new Set(calls)] });
      const cached = seenSystems.has(system);
      seenSystems.add(system);
      const reply =
        n % 5 === 0
          ? `<observation><type>discovery</type><title>Replay event ${n}: how src/app.ts wires greet()</title>` +
            `<subtitle>main() prints greet() from src/util.ts.</subtitle><facts><fact>src/app.ts imports greet from src/util.ts</fact></facts>` +
            `<narrative>The entry point calls greet and logs the result. Worth knowing when changing the greeting.</narrative>` +
            `<concepts><concept>how-it-works</concept></concepts><files_read><file>src/app.ts</file></files_read><files_modified></files_modified></observation>`
          : '<skip/>';
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_bench_${n}` });
      res.end(
        JSON.stringify({
          id: `msg_bench_${n}`,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [{ type: 'text', text: reply }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: {
            input_tokens: Math.ceil(messages / 4),
            output_tokens: Math.ceil(reply.length / 4),
            cache_read_input_tokens: cached ? Math.ceil(system.length / 4) : 0,
            cache_creation_input_tokens: cached ? 0 : Math.ceil(system.length / 4),
          },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) }),
    ),
  );
}

/** Ten tool events from the recorded Claude Code fixtures, with a few larger variants. */
function eventCycle() {
  const names = [
    '04-PostToolUse-Read.json',
    '07-PostToolUse-Write.json',
    '10-PostToolUse-Edit.json',
    '13-PostToolUse-Bash.json',
    '16-PostToolUseFailure-Bash.json',
    '19-PostToolUse-Grep.json',
    '22-PostToolUse-Glob.json',
    '32-PostToolUse-Read.json',
  ];
  const events = names.map(loadFixture);
  const bigRead = structuredClone(events[0]);
  bigRead.tool_response.file.content = Array.from({ length: 120 }, (_, i) => `export const value${i} = compute(${i}); // line ${i}`).join('\n');
  const bigBash = structuredClone(events[3]);
  bigBash.tool_response.stdout = Array.from({ length: 80 }, (_, i) => ` M src/module${i}.ts`).join('\n');
  return [...events, bigRead, bigBash];
}

function tokensOf(r) {
  return { total: Math.ceil((r.systemChars + r.messageChars) / 4), uncached: Math.ceil(r.messageChars / 4), turns: r.turns };
}

/** Replays `events` tool events through a worker with `settings`; returns the fake's request records. */
async function replay(events, settings, watch = false) {
  const fake = await startFakeAnthropic();
  const worker = await startWorker({ settings, dotenv: `ANTHROPIC_API_KEY=bench-placeholder\nANTHROPIC_BASE_URL=${fake.url}\n`, env: { CLAUDE_MEM_BATCH_IDLE_MS: '300' } });
  const stopWatch = watch ? watchSubprocesses(worker.pid) : () => null;
  try {
    const cycle = eventCycle();
    const sessionId = 'bench-replay-session';
    const cwd = cycle[0].cwd;
    await postJson(`${worker.url}/api/sessions/init`, { session_id: sessionId, cwd, prompt: 'Change the greeting and check the build.' });
    for (let i = 0; i < events; i++) {
      const e = cycle[i % CYCLE];
      const failed = e.hook_event_name === 'PostToolUseFailure';
      const input = e.tool_name === 'Bash' ? { ...e.tool_input, description: `replay toolu_replay_${i}` } : { ...e.tool_input, note: `toolu_replay_${i}` };
      await postJson(`${worker.url}/api/sessions/observations`, {
        session_id: sessionId,
        cwd,
        tool_name: e.tool_name,
        tool_input: input,
        ...(failed ? { error: String(e.error ?? 'failed') } : { tool_response: e.tool_response }),
        tool_use_id: `toolu_replay_${i}`,
      });
    }
    const until = Date.now() + 300_000;
    let health;
    const carried = () => new Set(fake.requests.flatMap((r) => r.calls)).size;
    while (Date.now() < until) {
      health = await getJson(`${worker.url}/api/health`);
      if (carried() >= events && health.queueDepth === 0) break;
      if (health.paused) throw new Error(`memory agent paused: ${health.paused}`);
      await sleep(200);
    }
    if (carried() < events) {
      throw new Error(`only ${carried()}/${events} events reached the fake API (queue ${health?.queueDepth}, lastError ${JSON.stringify(health?.lastError)})`);
    }
    const procs = stopWatch();
    const mem = watch ? await memorySnapshot(worker.pid, `after ${events}-event session`) : null;
    return { requests: fake.requests, procs, mem };
  } finally {
    stopWatch();
    await worker.stop();
    await fake.close();
  }
}

export async function benchTokens({ events = 1000 } = {}) {
  log(`tokens: replaying a ${events}-event session, batched and one request per event`);
  const batched = await replay(events, {}, true);
  const perEvent = await replay(events, { CLAUDE_MEM_BATCH_MAX_EVENTS: '1', CLAUDE_MEM_AGENT_HISTORY_TURNS: '6' });
  const totalPerCall = (reqs) => reqs.reduce((a, r) => a + tokensOf(r).total, 0) / events;
  const uncachedPerCall = (reqs) => reqs.reduce((a, r) => a + tokensOf(r).uncached, 0) / events;
  /** Tokens per tool call of the request that carried event k (1-based). */
  const carrying = (reqs, k) => {
    const r = reqs.find((q) => q.calls.includes(k - 1));
    return { total: round(tokensOf(r).total / r.calls.length, 1), uncached: round(tokensOf(r).uncached / r.calls.length, 1), calls: r.calls.length };
  };
  const points = CHECKPOINTS.filter((k) => k <= events);
  const at = Object.fromEntries(points.map((k) => [k, carrying(batched.requests, k)]));
  const last = points.at(-1);
  const growth = ratio(at[last].total, at[10].total);
  const perCall = { batched: round(totalPerCall(batched.requests), 1), perEvent: round(totalPerCall(perEvent.requests), 1) };
  const uncached = { batched: round(uncachedPerCall(batched.requests), 1), perEvent: round(uncachedPerCall(perEvent.requests), 1) };
  return {
    name: 'tokens',
    events,
    requests: { batched: batched.requests.length, perEvent: perEvent.requests.length },
    perCall,
    uncachedPerCall: uncached,
    ratioBatchedVsPerEvent: ratio(perCall.batched, perCall.perEvent),
    perEventAt: at,
    ratioAt1000vs10: growth,
    target: { maxDrift: 0.1, maxRatio: 0.35 },
    meets: Math.abs(growth - 1) <= 0.1 && ratio(perCall.batched, perCall.perEvent) <= 0.35,
    subprocesses: batched.procs,
    memory: batched.mem,
  };
}
