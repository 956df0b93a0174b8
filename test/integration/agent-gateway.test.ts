// The custom-backend worked example of docs/custom-anthropic-backends.md, end to end: `.env` set
// through the CLI, `worker restart`, hook processes posting events, and a fake Anthropic-protocol
// gateway mounted under a path prefix. A second fake stands for the shell's own ANTHROPIC_* values:
// anything it receives is a leak.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import {
  cliOk as cli,
  fixturePayload,
  health,
  hook,
  listObservations,
  logLinesFor,
  markedReply,
  queriedEventIds,
  readLog,
  searchObservations,
  stopAnyWorker,
  waitForValue,
} from './agent-support.js';

const CORP_KEY = 'sk-corp-7f3a9c2e41d84b6e';
const SHELL_KEY = 'sk-ant-shell-should-never-be-used-0001';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function fakes(): Promise<{ gateway: FakeAnthropic; shell: FakeAnthropic; gatewayUrl: string }> {
  const gateway = await startFakeAnthropic();
  const shell = await startFakeAnthropic();
  cleanups.push(() => gateway.close(), () => shell.close());
  return { gateway, shell, gatewayUrl: `${gateway.url}/gateway/anthropic` };
}

async function worker(opts: Parameters<typeof startWorker>[0]): Promise<WorkerHandle> {
  const w = await startWorker(opts);
  cleanups.push(() => stopAnyWorker(w));
  return w;
}

describe('custom Anthropic-compatible gateway (the documented worked example)', () => {
  it('routes every request to the .env gateway with its key and the exact model; the shell values are ignored', async () => {
    const { gateway, shell, gatewayUrl } = await fakes();
    gateway.setHandler(markedReply('corpgateway'));
    const w = await worker({
      settings: { CLAUDE_MEM_MODEL: 'glm-4.7', CLAUDE_MEM_BATCH_MAX_EVENTS: '1' }, // one request per event: each is checked
      // The worker's own environment (the user's shell) points somewhere else entirely.
      env: { ANTHROPIC_API_KEY: SHELL_KEY, ANTHROPIC_BASE_URL: shell.url },
    });
    // Without .env credentials the agent refuses to start; it never falls back to the shell's key.
    const before = await health(w);
    expect(before.paused).toContain('ANTHROPIC_API_KEY');

    // The three documented steps, then the restart.
    await cli(['env', 'set', 'ANTHROPIC_BASE_URL', gatewayUrl], w.env);
    await cli(['env', 'set', 'ANTHROPIC_API_KEY', CORP_KEY], w.env);
    const envFile = path.join(w.dataDir, '.env');
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    expect(await cli(['worker', 'restart'], w.env)).toMatch(/Worker restarted: pid \d+ → \d+/);

    const h = await health(w);
    expect(h.pid).not.toBe(w.proc.pid);
    expect(h).toMatchObject({ provider: 'claude', model: 'glm-4.7', baseUrlHost: `127.0.0.1:${gateway.port}`, paused: null });

    const sessionId = `worked-example-${Date.now()}`;
    hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
    for (const f of ['04-PostToolUse-Read.json', '07-PostToolUse-Write.json', '10-PostToolUse-Edit.json']) {
      expect(hook('post-tool-use', fixturePayload(f, { session_id: sessionId }), w.env)).toEqual({});
    }

    const found = await waitForValue(async () => {
      const rows = await searchObservations(w, 'corpgateway');
      return rows.length === 3 ? rows : null;
    }, 30_000, 'three observations from the gateway');
    expect(found.map((o) => o.title.split(' ')[1]).sort()).toEqual(['Edit', 'Read', 'Write']);
    for (const o of found) {
      expect(o.content_session_id).toBe(sessionId);
      expect(o.model).toBe('glm-4.7');
    }

    const reqs = gateway.messageRequests();
    expect(reqs).toHaveLength(3);
    for (const r of reqs) {
      expect(r.path.split('?')[0]).toBe('/gateway/anthropic/v1/messages');
      expect(r.headers['x-api-key']).toBe(CORP_KEY);
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      expect(r.body.model).toBe('glm-4.7');
      expect(r.body.stream).toBeUndefined(); // the api transport does not stream
    }
    expect(shell.requests).toHaveLength(0);

    // worker.log: `Starting SDK query` then `Response received` for each event, in that order.
    const log = readLog(w.dataDir, 'worker');
    const ids = queriedEventIds(log);
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const started = logLinesFor(log, 'Starting SDK query', id);
      const received = logLinesFor(log, 'Response received', id);
      expect(started).toHaveLength(1);
      expect(received).toHaveLength(1);
      expect(log.indexOf(started[0])).toBeLessThan(log.indexOf(received[0]));
      expect(started[0]).toContain('model=glm-4.7');
      expect(started[0]).toContain(`baseUrlHost=127.0.0.1:${gateway.port}`);
    }
    // Credentials never reach the logs.
    expect(log).not.toContain(CORP_KEY);
    expect(log).not.toContain(SHELL_KEY);
    expect(readLog(w.dataDir, 'error')).not.toContain(CORP_KEY);
  });

  it('a 401 is logged verbatim, pauses the agent with events kept; fixing .env and restarting processes them', async () => {
    const { gateway, shell, gatewayUrl } = await fakes();
    const REJECTION = 'corp-gateway GW-4011: this API key was revoked by policy "rotate-90d"';
    const GOOD_KEY = 'sk-corp-rotated-5d2c0b9a17e3';
    gateway.setHandler((req) =>
      req.headers['x-api-key'] === GOOD_KEY
        ? markedReply('rotatedkey')(req)
        : { status: 401, errorType: 'authentication_error', message: REJECTION },
    );
    const w = await worker({
      settings: { CLAUDE_MEM_MODEL: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
      dotenv: `ANTHROPIC_BASE_URL=${gatewayUrl}\nANTHROPIC_API_KEY=sk-corp-revoked-000000000000\n`,
      env: { ANTHROPIC_API_KEY: SHELL_KEY, ANTHROPIC_BASE_URL: shell.url },
    });

    const sessionId = `auth-failure-${Date.now()}`;
    hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
    hook('post-tool-use', fixturePayload('04-PostToolUse-Read.json', { session_id: sessionId }), w.env);
    hook('post-tool-use', fixturePayload('13-PostToolUse-Bash.json', { session_id: sessionId }), w.env);

    const paused = await waitForValue(async () => {
      const h = await health(w);
      return h.paused ? h : null;
    }, 20_000, 'the agent to pause');
    const wire = `401 authentication_error: ${REJECTION} (request-id: req_fake_000001)`;
    expect(readLog(w.dataDir, 'error')).toContain(wire);
    expect(paused.paused).toContain(REJECTION);
    expect(paused.lastError).toMatchObject({ kind: 'auth' });
    expect(paused.lastError!.message).toContain(wire);
    expect(paused.queueDepth).toBe(2);
    expect(paused.deadLetters).toBe(0);
    expect(gateway.messageRequests()).toHaveLength(1); // an auth error is not retried
    expect(gateway.messageRequests()[0].body.model).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(shell.requests).toHaveLength(0); // and never sent anywhere else

    const status = await cli(['worker', 'status'], w.env);
    expect(status).toContain('Queue:     2 pending');
    expect(status).toContain(`Paused:    `);
    expect(status).toContain(REJECTION);

    await cli(['env', 'set', 'ANTHROPIC_API_KEY', GOOD_KEY], w.env);
    await cli(['worker', 'restart'], w.env);
    await waitFor(async () => (await health(w)).queueDepth === 0, 30_000, 'the queued events to be processed');
    const rows = await listObservations(w);
    expect(rows.filter((o) => o.title.startsWith('rotatedkey'))).toHaveLength(2);
    const after = await health(w);
    expect(after.paused).toBeNull();
    expect(gateway.messageRequests()).toHaveLength(3);
    expect(gateway.messageRequests().slice(1).every((r) => r.headers['x-api-key'] === GOOD_KEY)).toBe(true);
    expect(shell.requests).toHaveLength(0);
  });
});
