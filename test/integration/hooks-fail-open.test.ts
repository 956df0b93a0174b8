// With the worker down, every hook fails open — exit 0, one JSON object,
// quickly — and the user is told "memory offline" once, not on every tool call.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtures, freePort, HOOK_FOR_EVENT, runHook, startWorker, tempDir, testEnv, type HookRun } from '../helpers/worker.js';

/** Loose bound only (CI machines are slow); the target (< 1.5 s) is reported, not asserted. */
const LOOSE_BOUND_MS = 5000;

const timings: string[] = [];
afterAll(() => {
  console.log(`[offline] hook wall times:\n  ${timings.join('\n  ')}`);
});

function payloadFor(event: string): Record<string, unknown> {
  const f = fixtures().find((x) => x.event === event);
  if (!f) throw new Error(`no fixture for ${event}`);
  return f.payload;
}

function oneJson(r: HookRun, label: string): Record<string, unknown> {
  expect(r.code, `${label} exit code (stderr: ${r.stderr})`).toBe(0);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `${label} stdout: ${r.stdout}`).toHaveLength(1);
  const parsed = JSON.parse(lines[0]) as unknown;
  expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), label).toBe(true);
  return parsed as Record<string, unknown>;
}

/** A TCP server that accepts connections and never answers: a worker that hangs. */
async function blackhole(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

const EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Stop', 'SessionEnd'];

describe('worker unreachable', () => {
  it('port occupied by something that never answers: all 7 hooks exit 0 with JSON; one offline notice', async () => {
    const hole = await blackhole();
    try {
      const env = testEnv(tempDir('cm-offline-'), hole.port);
      const outs = EVENTS.map((event) => {
        const r = runHook(HOOK_FOR_EVENT[event], payloadFor(event), env);
        timings.push(`hanging worker  ${event.padEnd(19)} ${r.ms} ms`);
        const out = oneJson(r, event);
        expect(r.ms, `${event} took ${r.ms} ms`).toBeLessThan(LOOSE_BOUND_MS);
        return out;
      });
      // SessionStart cannot start a worker (the port is taken) and says so, once.
      expect(String(outs[0].systemMessage)).toMatch(/memory worker is not reachable/);
      for (const [i, out] of outs.entries()) if (i > 0) expect(out.systemMessage, EVENTS[i]).toBeUndefined();
      for (const out of outs) expect(out.hookSpecificOutput).toBeUndefined();
    } finally {
      hole.close();
    }
  }, 60_000);

  it('nothing listening: tool/prompt/stop/end hooks fail fast; notice once, again after the worker was back', async () => {
    const dataDir = tempDir('cm-offline-');
    const port = await freePort();
    const env = testEnv(dataDir, port);
    const others = EVENTS.filter((e) => e !== 'SessionStart'); // SessionStart would start a real worker
    const outs = others.map((event) => {
      const r = runHook(HOOK_FOR_EVENT[event], payloadFor(event), env);
      timings.push(`refused         ${event.padEnd(19)} ${r.ms} ms`);
      const out = oneJson(r, event);
      expect(r.ms).toBeLessThan(LOOSE_BOUND_MS);
      return out;
    });
    expect(String(outs[0].systemMessage)).toMatch(/memory worker is not reachable/);
    for (const [i, out] of outs.entries()) if (i > 0) expect(out.systemMessage, others[i]).toBeUndefined();

    // The worker comes back (the hook sees it), then goes away again: a new outage is announced.
    const w = await startWorker({ dataDir, port });
    const online = oneJson(runHook('post-tool-use', payloadFor('PostToolUse'), env), 'online');
    expect(online).toEqual({});
    await w.stop();
    const again = oneJson(runHook('post-tool-use', payloadFor('PostToolUse'), env), 'second outage');
    expect(String(again.systemMessage)).toMatch(/memory worker is not reachable/);
    const quiet = oneJson(runHook('stop', payloadFor('Stop'), env), 'second outage, next hook');
    expect(quiet.systemMessage).toBeUndefined();
  }, 60_000);

  it('a data dir that does not exist yet (first use, worker never started): still one notice, not one per call', async () => {
    const dataDir = path.join(tempDir('cm-offline-'), 'not-created-yet');
    const env = testEnv(dataDir, await freePort());
    const outs = ['UserPromptSubmit', 'PostToolUse', 'PostToolUse', 'Stop'].map((event) =>
      oneJson(runHook(HOOK_FOR_EVENT[event], payloadFor(event), env), event),
    );
    expect(String(outs[0].systemMessage)).toMatch(/memory worker is not reachable/);
    for (const out of outs.slice(1)) expect(out.systemMessage).toBeUndefined();
    if (fs.existsSync(dataDir)) expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('garbage or empty stdin still yields exit 0 and {}', async () => {
    const env = testEnv(tempDir('cm-offline-'), await freePort());
    for (const hook of Object.values(HOOK_FOR_EVENT)) {
      for (const input of ['', 'not json', '[1,2]', 'null']) {
        const r = runHook(hook, input, env);
        expect(oneJson(r, `${hook} <- ${JSON.stringify(input)}`)).toEqual({});
      }
    }
  }, 60_000);
});
