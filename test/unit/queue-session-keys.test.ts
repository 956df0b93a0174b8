// A session id that does not survive a round trip through SQLite (a lone surrogate, written by a
// version that did not validate ids at the edge) must not strand its events: the store re-keys them
// at open so the agent can claim what the queue offers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite/SqliteStore.js';
import type { QueuedEvent } from '../../src/api/types.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const event = (id: string): QueuedEvent =>
  ({ kind: 'tool', payload: { tool_name: 'Bash', tool_input: { command: 'ls' }, tool_response: '', tool_use_id: id, cwd: '/p' } }) as QueuedEvent;

it('re-keys unclaimable session ids at open, so every offered session can be claimed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-keys-'));
  dirs.push(dir);
  const file = path.join(dir, 'claude-mem.db');
  let store = openStore(file);
  await store.queue.enqueue('bad\ud800id', 'p', event('t1'));
  await store.queue.enqueue('bad\ud800id', 'p', event('t2'));
  await store.queue.enqueue('good', 'p', event('t3'));
  const [offered] = (await store.queue.readySessions()).filter((s) => s !== 'good');
  // The id reads back as something else, and claiming by what was read finds nothing.
  expect(offered).not.toBe('bad\ud800id');
  expect(await store.queue.claim(offered, 'w', 10)).toEqual([]);
  await store.close();

  store = openStore(file);
  const ready = await store.queue.readySessions();
  expect(ready).toHaveLength(2);
  for (const s of ready) expect((await store.queue.claim(s, 'w', 10)).length).toBeGreaterThan(0);
  expect(ready.every((s) => s.isWellFormed())).toBe(true);
  await store.close();
});
