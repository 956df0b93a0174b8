// Load: N concurrent Claude Code sessions posting tool events through the hooks' HTTP path for a
// fixed time, while the memory agent works the queue against a local fake LLM. Reports acknowledged
// events per second, acknowledgement latency (p50/p99/max, and how many took longer than the hooks'
// 1 s timeout — those hooks would have failed open), errors, how far the agent got, and the
// worker's RSS before and after. Standalone:
//
//   node bench/load.mjs [--sessions 50] [--duration 60] [--no-agent] [--llm-delay-ms 20] [--seed N] [--out file.json]
//
// Needs a built dist/ (`npx tsup`). Reports; never fails for speed.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { authedFetch, peakRssMb, quantile, rng, round, rssMb, sleep, startWorker, cleanupTempDirs } from './lib.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const SESSIONS = Number(arg('sessions', 50));
const DURATION_S = Number(arg('duration', 60));
const WITH_AGENT = !process.argv.includes('--no-agent');
const LLM_DELAY_MS = Number(arg('llm-delay-ms', 20));
const SEED = Number(arg('seed', Date.now() % 2 ** 31));
const OUT = arg('out', '');
const HOOK_TIMEOUT_MS = 1000; // CLAUDE_MEM_HOOK_TIMEOUT_MS default

/** A minimal Anthropic Messages endpoint: one small observation per request after a delay. */
function startFakeLlm() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      setTimeout(() => {
        const text =
          '<observation><type>discovery</type><title>load event ' + requests + '</title><subtitle>bench</subtitle>' +
          '<facts><fact>f</fact></facts><narrative>The bench recorded event ' + requests + '.</narrative>' +
          '<concepts><concept>how-it-works</concept></concepts><files_read></files_read><files_modified></files_modified></observation>';
        const body = JSON.stringify({
          id: `msg_${requests}`, type: 'message', role: 'assistant', model: 'bench-model',
          content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null,
          usage: { input_tokens: 500, output_tokens: 60, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'request-id': `req_${requests}` });
        res.end(body);
      }, LLM_DELAY_MS);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, requests: () => requests, close: () => server.close() }),
    ),
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: SESSIONS + 4 });

/** What the http hooks carry (install.ts): the hook credential, which opens only the capture routes. */
let hookAuth = '';

/** POST with node:http (keep-alive pool): resolves {status, ms}; status 0 on a network error. */
function post(port, path, body) {
  const data = Buffer.from(JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/json', 'content-length': data.length, authorization: hookAuth };
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(data);
  });
}

async function getJson(port, path) {
  const url = `http://127.0.0.1:${port}${path}`;
  const res = await authedFetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return res.json();
}

async function main() {
  const llm = WITH_AGENT ? await startFakeLlm() : null;
  const w = await startWorker({
    dotenv: llm ? `ANTHROPIC_BASE_URL=${llm.url}\nANTHROPIC_API_KEY=sk-bench-placeholder\n` : undefined,
    env: { CLAUDE_MEM_LOG_LEVEL: 'WARN' },
  });
  hookAuth = `Bearer ${fs.readFileSync(path.join(w.dataDir, 'hook.credential'), 'utf8').trim()}`;
  const rand = rng(SEED);
  const rssBefore = rssMb(w.pid);
  console.log(
    `load: ${SESSIONS} sessions × ${DURATION_S} s against pid ${w.pid} (${WITH_AGENT ? `memory agent on, fake LLM ${LLM_DELAY_MS} ms/request` : 'memory agent off'}), seed ${SEED}`,
  );

  const ack = []; // latency of acknowledged tool events
  const other = []; // init / summarize latency
  const statuses = new Map();
  let errors = 0;
  let events = 0;
  const deadline = performance.now() + DURATION_S * 1000;

  const rssSamples = [];
  const sampler = setInterval(() => rssSamples.push(rssMb(w.pid)), 1000);

  await Promise.all(
    Array.from({ length: SESSIONS }, async (_, s) => {
      const sessionId = `load-session-${s}`;
      const cwd = `/tmp/load-project-${s % 5}`;
      let i = 0;
      while (performance.now() < deadline) {
        if (i % 25 === 0) {
          const r = await post(w.port, '/api/sessions/init', { session_id: sessionId, cwd, prompt: `Turn ${i / 25 + 1}: fix the flaky test in module ${s}` });
          other.push(r.ms);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status < 200 || r.status >= 300) errors++;
        }
        const tool = ['Read', 'Edit', 'Bash', 'Grep'][Math.floor(rand() * 4)];
        const r = await post(w.port, '/api/sessions/observations', {
          session_id: sessionId,
          cwd,
          tool_name: tool,
          tool_input: tool === 'Bash' ? { command: `npm test -- --grep case${i}` } : { file_path: `${cwd}/src/file${i % 40}.ts` },
          tool_response: { stdout: 'line of output\n'.repeat(1 + Math.floor(rand() * 200)), stderr: '' },
          tool_use_id: `toolu_load_${s}_${i}`,
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 200 && r.status < 300) {
          ack.push(r.ms);
          events++;
        } else errors++;
        i++;
        if (i % 25 === 24) {
          const q = await post(w.port, '/api/sessions/summarize', { session_id: sessionId, cwd, last_assistant_message: `Fixed module ${s}.` });
          other.push(q.ms);
          statuses.set(q.status, (statuses.get(q.status) ?? 0) + 1);
          if (q.status < 200 || q.status >= 300) errors++;
        }
      }
    }),
  );
  clearInterval(sampler);
  const health = await getJson(w.port, '/api/health');
  const observations = (await getJson(w.port, '/api/observations?limit=1')).total;
  const rssAfter = rssMb(w.pid);
  const rssPeak = peakRssMb(w.pid);
  await w.stop();
  llm?.close();
  agent.destroy();
  cleanupTempDirs();

  const result = {
    sessions: SESSIONS,
    durationS: DURATION_S,
    agent: WITH_AGENT,
    llmDelayMs: WITH_AGENT ? LLM_DELAY_MS : null,
    seed: SEED,
    toolEventsAcked: events,
    throughputPerS: round(events / DURATION_S, 1),
    ackLatencyMs: {
      p50: round(quantile(ack, 0.5), 1),
      p90: round(quantile(ack, 0.9), 1),
      p99: round(quantile(ack, 0.99), 1),
      max: round(Math.max(...ack), 1),
    },
    acksOverHookTimeout: ack.filter((ms) => ms > HOOK_TIMEOUT_MS).length,
    initSummarizeLatencyMs: { p50: round(quantile(other, 0.5), 1), p99: round(quantile(other, 0.99), 1) },
    errors,
    statuses: Object.fromEntries(statuses),
    queueDepthAtEnd: health.queueDepth,
    observationsStored: observations,
    llmRequests: llm ? llm.requests() : 0,
    workerRssMb: { before: round(rssBefore, 1), after: round(rssAfter, 1), peak: round(rssPeak, 1), maxSampled: round(Math.max(...rssSamples), 1) },
  };
  console.log(
    [
      `tool events acknowledged: ${events} (${result.throughputPerS}/s)`,
      `ack latency ms: p50 ${result.ackLatencyMs.p50}, p90 ${result.ackLatencyMs.p90}, p99 ${result.ackLatencyMs.p99}, max ${result.ackLatencyMs.max}; over the hooks' 1 s timeout: ${result.acksOverHookTimeout}`,
      `init/summarize latency ms: p50 ${result.initSummarizeLatencyMs.p50}, p99 ${result.initSummarizeLatencyMs.p99}`,
      `errors: ${errors}; statuses ${JSON.stringify(result.statuses)}`,
      `memory agent: ${result.llmRequests} LLM requests, ${observations} observations stored, queue depth at the end ${health.queueDepth}`,
      `worker RSS MB: before ${result.workerRssMb.before}, after ${result.workerRssMb.after}, peak ${result.workerRssMb.peak}`,
    ].join('\n'),
  );
  console.log(JSON.stringify(result));
  if (OUT) fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
