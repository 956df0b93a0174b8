// `claude-mem eval`: queries made from the user's own observations must find them; the result is
// kept, and a later drop is reported as a warning.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postJson, runCli, startWorker, type WorkerHandle } from '../helpers/worker.js';

let w: WorkerHandle;
const topics = ['sqlite wal checkpoint', 'hook timeout budget', 'parser code fences', 'retry-after header', 'worktree project names'];

beforeAll(async () => {
  w = await startWorker();
  const res = await postJson(`${w.url}/api/import`, {
    observations: topics.map((t, i) => ({
      content_session_id: 'eval-session',
      project: 'eval-project',
      type: 'discovery',
      title: `Learned about the ${t}`,
      subtitle: '',
      narrative: `While working on the ${t} we found how it behaves.`,
      facts: [`the ${t} matters for item ${i}`],
      concepts: [],
      files_read: [],
      files_modified: [],
    })),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await w?.stop();
});

it('prints Recall@k and MRR over queries made from the observations, and keeps the result', () => {
  const r = runCli(['eval', '--json'], w.env);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { observations: number; queries: number; recallAt10: number; mrr: number; dropped: boolean };
  expect(out.observations).toBe(topics.length);
  expect(out.queries).toBe(topics.length * 2);
  expect(out.recallAt10).toBe(1);
  expect(out.mrr).toBeGreaterThan(0.5);
  expect(out.dropped).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(w.dataDir, 'eval-last.json'), 'utf8')).recallAt10).toBe(1);
});

it('warns when retrieval got worse than the last run', () => {
  const file = path.join(w.dataDir, 'eval-last.json');
  const last = JSON.parse(fs.readFileSync(file, 'utf8'));
  // As if an earlier version had found more (MRR can only be ≤ 1): this run is a drop.
  fs.writeFileSync(file, JSON.stringify({ ...last, version: '0.0.1', mrr: 1.5, recallAt10: 1 }));
  const r = runCli(['eval'], w.env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Recall@10 1\.000\s+MRR/);
  expect(r.stdout).toContain('WARNING: retrieval dropped since the last run (v0.0.1 → v');
  expect(runCli(['eval', '--sample', '0'], w.env).stderr).toContain('--sample must be a whole number from 1 to 1000');
});
