// SessionStart context: build time and size of GET /api/context/inject?project=… (exactly what the
// SessionStart hook injects) at the corpus size reached, against a /api/health round trip
// (the cost of asking the worker anything), interleaved.
import { PROJECT } from './dataset.mjs';
import { ratio, summarize, timedGet } from './lib.mjs';

export async function contextBuild({ url, runs = 40 }) {
  const ctx = [];
  const health = [];
  let bytes = 0;
  for (let i = -5; i < runs; i++) {
    const h = await timedGet(`${url}/api/health`);
    const c = await timedGet(`${url}/api/context/inject?project=${encodeURIComponent(PROJECT)}`);
    if (c.status !== 200) throw new Error(`context → ${c.status}: ${c.body.toString().slice(0, 300)}`);
    if (i < 0) continue; // warm-up
    health.push(h.ms);
    ctx.push(c.ms);
    bytes = c.bytes;
  }
  const c = summarize(ctx);
  const b = summarize(health);
  return {
    context: c,
    bytes,
    baselineHealth: b,
    ratioP50: ratio(c.p50, b.p50),
    target: { ms: 50, bytes: 8192 },
    meets: c.p50 <= 50 && bytes <= 8192,
  };
}
