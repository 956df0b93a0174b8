// The durable queue survives `kill -9` while events are being posted.
// Every event the worker acknowledged (2xx) is in the queue after a restart, exactly once, and
// a hook-style retry of an acknowledged event is answered `duplicate`.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { authedFetch, startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';

const TOTAL = 1000;
const IN_FLIGHT = 8;
const KILL_AFTER_ACKS = 400;
const SESSION = 'crash-session';

let handles: WorkerHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.stop('SIGKILL');
});

function event(i: number) {
  return {
    session_id: SESSION,
    cwd: '/tmp/crash-project',
    tool_name: 'Bash',
    tool_input: { command: `echo ${i}` },
    tool_response: { stdout: `${i}\n`, stderr: '', interrupted: false },
    tool_use_id: `toolu_crash_${String(i).padStart(4, '0')}`,
  };
}

type Outcome = { id: string; status: number | null; body: { status?: string } | null };

async function post(url: string, i: number): Promise<Outcome> {
  const body = event(i);
  try {
    const res = await authedFetch(`${url}/api/sessions/observations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { id: body.tool_use_id, status: res.status, body: (await res.json()) as { status?: string } };
  } catch {
    return { id: body.tool_use_id, status: null, body: null };
  }
}

/** Posts events 0..TOTAL-1 with IN_FLIGHT concurrent requests; onAck runs after each 2xx. */
async function postAll(url: string, onResult: (o: Outcome) => void): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < TOTAL) {
        const o = await post(url, next++);
        out.push(o);
        onResult(o);
      }
    }),
  );
  return out;
}

const acked = (o: Outcome) => o.status !== null && o.status >= 200 && o.status < 300;

it('kill -9 mid-stream loses no acknowledged event and duplicates none', async () => {
  const dataDir = tempDir('cm-crash-');
  const first = await startWorker({ dataDir });
  handles.push(first);

  let acks = 0;
  let killed = false;
  const exited = new Promise<NodeJS.Signals | null>((r) => first.proc.once('exit', (_c, sig) => r(sig)));
  const round1 = await postAll(first.url, (o) => {
    if (acked(o)) acks++;
    if (!killed && acks >= KILL_AFTER_ACKS) {
      killed = true;
      first.proc.kill('SIGKILL');
    }
  });
  expect(await exited).toBe('SIGKILL');
  const ackedIds = new Set(round1.filter(acked).map((o) => o.id));
  const failedBeforeRestart = round1.filter((o) => !acked(o)).length;
  for (const o of round1.filter(acked)) expect(o.body?.status).toBe('queued');
  expect(ackedIds.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
  expect(ackedIds.size).toBeLessThan(TOTAL); // the kill really happened mid-stream

  // The same data dir and port, as `claude-mem worker start` after a crash would.
  const second = await startWorker({ dataDir, port: first.port });
  handles.push(second);
  const round2 = await postAll(second.url, () => {});
  expect(round2.every(acked)).toBe(true);
  const dupes = round2.filter((o) => o.body?.status === 'duplicate');
  // Every id acknowledged before the kill is recognised as already queued.
  for (const o of round2) if (ackedIds.has(o.id)) expect(o.body?.status, o.id).toBe('duplicate');
  // Ids that were committed but whose answer was lost in the kill are duplicates too; the rest are new.
  for (const o of round2) expect(['queued', 'duplicate']).toContain(o.body?.status);

  const db = new Database(path.join(dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
  try {
    const ids = db.prepare("SELECT tool_use_id FROM pending_events WHERE kind = 'tool'").pluck().all() as string[];
    expect(ids.length).toBe(new Set(ids).size); // no duplicates
    expect(ids.length).toBe(TOTAL); // after the retry, every event is queued exactly once
    const queued = new Set(ids);
    for (const id of ackedIds) expect(queued.has(id), id).toBe(true);
    expect(db.prepare('SELECT COUNT(*) FROM seen_tool_uses').pluck().get()).toBe(TOTAL);
    expect(db.prepare('SELECT COUNT(*) FROM sessions').pluck().get()).toBe(1);
    expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
  } finally {
    db.close();
  }

  console.log(
    `[crash] acked before kill: ${ackedIds.size}/${TOTAL}; not acked (in flight or refused): ${failedBeforeRestart}; ` +
      `re-post after restart: ${dupes.length} duplicate, ${round2.length - dupes.length} newly queued ` +
      `(${dupes.length - ackedIds.size} committed-but-unacknowledged at the kill)`,
  );
}, 60_000);
