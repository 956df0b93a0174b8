// Search latency of the two store backends on the same data: N observations (default 100k) from
// bench/dataset.mjs, the QUERIES list repeated, p50/p95 per backend (in-process store calls, no HTTP).
// Run: npx esbuild bench/store-search.ts --bundle --platform=node --format=esm --packages=external \
//        --outfile=/tmp/store-search.mjs && CLAUDE_MEM_BENCH_PG_URL=postgres://… node /tmp/store-search.mjs [N] [sqlite|postgres]
// (the optional last argument measures one backend only; CLAUDE_MEM_BENCH_PG_URL is needed for postgres)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPgStore } from '../src/store/postgres/PgStore.js';
import { openStore } from '../src/store/sqlite/SqliteStore.js';
import type { Store } from '../src/store/Store.js';
// @ts-expect-error plain JS module shared with the other benchmarks
import { generateMemory, QUERIES } from './dataset.mjs';

const N = Number(process.argv[2] ?? 100_000);
const ONLY = process.argv[3];
if (!Number.isInteger(N) || N <= 0) throw new Error(`N must be a positive integer, got ${process.argv[2]}`);
if (ONLY !== undefined && ONLY !== 'sqlite' && ONLY !== 'postgres') throw new Error(`backend must be sqlite or postgres, got ${ONLY}`);
const ROUNDS = 10;
const identity = { author: 'bench@host', owner: 'bench@host#0' };

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function fill(store: Store): Promise<number> {
  const started = Date.now();
  const CHUNK = 5000;
  for (let off = 0; off < N; off += CHUNK) {
    const m = generateMemory(Math.min(CHUNK, N - off), { offset: off, total: N });
    await store.sessions.importAll(m);
  }
  return Date.now() - started;
}

async function measure(name: string, store: Store, loadMs: number): Promise<void> {
  const times: number[] = [];
  for (const q of QUERIES as string[]) await store.search.search({ query: q, limit: 20 }); // warm caches
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of QUERIES as string[]) {
      const t = performance.now();
      await store.search.search({ query: q, limit: 20 });
      times.push(performance.now() - t);
    }
  }
  const c = await store.sessions.counts();
  console.log(
    `${name.padEnd(10)} ${c.observations} observations, load ${(loadMs / 1000).toFixed(1)} s; ` +
      `search (${times.length} queries, all kinds, limit 20): p50 ${quantile(times, 0.5).toFixed(1)} ms, ` +
      `p95 ${quantile(times, 0.95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-bench-store-'));
try {
  if (ONLY !== 'postgres') {
    const sqlite = openStore(path.join(dir, 'claude-mem.db'), { identity });
    await measure('sqlite', sqlite, await fill(sqlite));
    await sqlite.close();
  }
  if (ONLY !== 'sqlite') {
    const url = process.env.CLAUDE_MEM_BENCH_PG_URL;
    if (!url) throw new Error('set CLAUDE_MEM_BENCH_PG_URL to an empty PostgreSQL database');
    const pg = await openPgStore(url, { identity });
    const loadMs = await fill(pg);
    await pg.pool.query('ANALYZE');
    await measure('postgres', pg, loadMs);
    await pg.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
