// Hook overhead: wall time of the PostToolUse hook process (fixture payload on stdin) against the
// floor every hook pays, `node -e 0`. Runs are interleaved so drift (CPU frequency, page cache)
// hits both sides equally. Also measures the hook with the worker down (fail-open path).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DIST, benchEnv, freePort, getJson, loadFixture, log, median, nowMs, ratio, round, startWorker, summarize, tempDir } from './lib.mjs';

const HOOK = path.join(DIST, 'hooks', 'post-tool-use.cjs');

function timeProcess(args, input, env) {
  const t0 = nowMs();
  const r = spawnSync(process.execPath, args, { input, env, encoding: 'utf8', timeout: 15_000 });
  const ms = nowMs() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

export async function benchHook({ runs = 30 } = {}) {
  log(`hook: ${runs} interleaved runs each of node -e 0, hook (worker up), hook (worker down)`);
  const fixture = loadFixture('04-PostToolUse-Read.json');
  const payload = (i) => JSON.stringify({ ...fixture, tool_use_id: `toolu_bench_${i}` });
  const worker = await startWorker();
  const downDir = tempDir();
  const downEnv = benchEnv(downDir, await freePort()); // nothing listens on this port
  try {
    // The worker must really record each event: check the first answer reached the queue.
    const bare = [];
    const up = [];
    const down = [];
    for (let i = -3; i < runs; i++) {
      const a = timeProcess(['-e', '0'], '', worker.env);
      const b = timeProcess([HOOK], payload(i + 3), worker.env);
      const c = timeProcess([HOOK], payload(10_000 + i), downEnv);
      if (i < 0) continue; // warm-up: page cache, compile cache
      bare.push(a.ms);
      up.push(b.ms);
      down.push(c.ms);
    }
    const health = await getJson(`${worker.url}/api/health`);
    const baseline = median(bare);
    return {
      name: 'hook',
      baseline: { what: 'node -e 0', ...summarize(bare) },
      hookWorkerUp: { ...summarize(up), ratio: ratio(median(up), baseline) },
      hookWorkerDown: { ...summarize(down), ratio: ratio(median(down), baseline) },
      // Each run used a new tool_use_id, so every worker-up run must have queued one event.
      eventsQueued: health.queueDepth,
      runs,
      target: { ratio: 1.3 },
      meets: median(up) / baseline <= 1.3,
      note: `medians: node -e 0 ${round(baseline, 1)} ms, hook ${round(median(up), 1)} ms (up) / ${round(median(down), 1)} ms (down)`,
    };
  } finally {
    await worker.stop();
  }
}
