import { afterAll, beforeAll, expect, it } from 'vitest';
import { getJson, startWorker, type WorkerHandle } from '../helpers/worker.js';

let w: WorkerHandle;
beforeAll(async () => {
  w = await startWorker();
});
afterAll(async () => {
  await w?.stop();
});

it('npm start equivalent serves /api/health with the contract fields', async () => {
  const h = await getJson(`${w.url}/api/health`);
  expect(h).toMatchObject({ status: 'ok', pid: w.proc.pid, queueDepth: 0, provider: 'claude' });
  expect(typeof h.uptimeSeconds).toBe('number');
  expect(typeof h.version).toBe('string');
  expect(typeof h.model).toBe('string');
});
