// LLM input tokens per tool event as a session grows. A replayed session of 1000 tool events goes
// through the real worker and memory agent (default provider `claude`, default `api` transport)
// to a small fake Anthropic server in this process, which records the size of every request.
//
// Tokens are estimated like the test fakes do: 1 token per 4 characters of system + messages.
// The replay cycles through 10 events, so events 10, 100 and 1000 sit at the same point of the
// cycle and differ only by how much history the agent carries. Also reports the mean over the
// 10-event cycle ending at each point, and the largest subprocess count seen while the agent ran.
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
      requests.push({ n, systemChars: system.length, messageChars: messages, turns: body.messages.length });
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

export async function benchTokens({ events = 1000 } = {}) {
  log(`tokens: replaying a ${events}-event session through the memory agent to a fake Anthropic API`);
  const fake = await startFakeAnthropic();
  const worker = await startWorker({ dotenv: `ANTHROPIC_API_KEY=bench-placeholder\nANTHROPIC_BASE_URL=${fake.url}\n` });
  const stopWatch = watchSubprocesses(worker.pid);
  try {
    const cycle = eventCycle();
    const sessionId = 'bench-replay-session';
    const cwd = cycle[0].cwd;
    await postJson(`${worker.url}/api/sessions/init`, { session_id: sessionId, cwd, prompt: 'Change the greeting and check the build.' });
    for (let i = 0; i < events; i++) {
      const e = cycle[i % CYCLE];
      const failed = e.hook_event_name === 'PostToolUseFailure';
      await postJson(`${worker.url}/api/sessions/observations`, {
        session_id: sessionId,
        cwd,
        tool_name: e.tool_name,
        tool_input: e.tool_input,
        ...(failed ? { error: String(e.error ?? 'failed') } : { tool_response: e.tool_response }),
        tool_use_id: `toolu_replay_${i}`,
      });
    }
    const until = Date.now() + 180_000;
    let health;
    while (Date.now() < until) {
      health = await getJson(`${worker.url}/api/health`);
      if (fake.requests.length >= events && health.queueDepth === 0) break;
      if (health.paused) throw new Error(`memory agent paused: ${health.paused}`);
      await sleep(200);
    }
    if (fake.requests.length < events) {
      throw new Error(`only ${fake.requests.length}/${events} events reached the fake API (queue ${health?.queueDepth}, lastError ${JSON.stringify(health?.lastError)})`);
    }
    const procs = stopWatch();
    const mem = await memorySnapshot(worker.pid, `after ${events}-event session`);
    const at = Object.fromEntries(CHECKPOINTS.filter((k) => k <= events).map((k) => [k, tokensOf(fake.requests[k - 1])]));
    const cycleMean = Object.fromEntries(
      CHECKPOINTS.filter((k) => k <= events).map((k) => {
        const window = fake.requests.slice(k - CYCLE, k).map(tokensOf);
        return [k, round(window.reduce((a, t) => a + t.total, 0) / window.length, 1)];
      }),
    );
    const last = Math.max(...Object.keys(at).map(Number));
    const growth = ratio(at[last].total, at[10].total);
    return {
      name: 'tokens',
      requests: fake.requests.length,
      perEvent: at,
      cycleMeanTotal: cycleMean,
      ratioAt1000vs10: growth,
      ratioUncached: ratio(at[last].uncached, at[10].uncached),
      ratioCycleMean: ratio(cycleMean[last], cycleMean[10]),
      target: { maxDrift: 0.1 },
      meets: Math.abs(growth - 1) <= 0.1,
      subprocesses: procs,
      memory: mem,
    };
  } finally {
    stopWatch();
    await worker.stop();
    await fake.close();
  }
}
