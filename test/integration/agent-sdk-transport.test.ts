// CLAUDE_MEM_CLAUDE_TRANSPORT=agent-sdk through a real worker: the memory agent runs Claude Code's
// binary (from @anthropic-ai/claude-agent-sdk) against the fake gateway. It must honour the .env
// gateway, key and model exactly as the api transport does, stream, and leave no subprocess behind:
// none between events, and none after the worker stops mid-request.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { startWorker, tempDir, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { descendants, fixturePayload, hook, isRunning, listObservations, markedReply, readLog, toolOf, waitForValue } from './agent-support.js';

function agentSdkInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@anthropic-ai/claude-agent-sdk');
    return true;
  } catch {
    return false;
  }
}

const KEY = 'sk-corp-agent-sdk-4e1f0a';

describe.skipIf(!agentSdkInstalled() || process.platform !== 'linux')('agent-sdk transport in the worker', () => {
  let gateway: FakeAnthropic;
  let shell: FakeAnthropic;
  let w: WorkerHandle;
  let home: string;

  beforeAll(async () => {
    gateway = await startFakeAnthropic();
    shell = await startFakeAnthropic();
    // Bash events hang at the gateway so a request can be caught in flight.
    gateway.setHandler((req) => (toolOf(req) === 'Bash' ? { hang: true } : markedReply('agentsdk')(req)));
    home = tempDir('cm-agentsdk-home-');
    w = await startWorker({
      settings: { CLAUDE_MEM_CLAUDE_TRANSPORT: 'agent-sdk', CLAUDE_MEM_MODEL: 'glm-4.7' },
      dotenv: `ANTHROPIC_BASE_URL=${gateway.url}/gateway/anthropic\nANTHROPIC_API_KEY=${KEY}\n`,
      // Claude Code must not read or write the real ~/.claude; the shell's own key/URL must not leak.
      env: { HOME: home, ANTHROPIC_API_KEY: 'sk-ant-shell-leak-0000', ANTHROPIC_BASE_URL: shell.url },
    });
  });
  afterAll(async () => {
    await w?.stop('SIGKILL');
    await gateway?.close();
    await shell?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('event → observation through the gateway, streamed, with no subprocess left between events', async () => {
    const sessionId = 'agent-sdk-session';
    hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
    hook('post-tool-use', fixturePayload('10-PostToolUse-Edit.json', { session_id: sessionId }), w.env);
    const obs = await waitForValue(async () => {
      const rows = await listObservations(w);
      return rows.length === 1 ? rows[0] : null;
    }, 60_000, 'the observation');
    expect(obs.title).toMatch(/^agentsdk Edit event /);
    expect(obs.files_modified).toContain('/home/user/project/src/app.ts');

    const reqs = gateway.messageRequests();
    expect(reqs).toHaveLength(1);
    expect(reqs[0].path.split('?')[0]).toBe('/gateway/anthropic/v1/messages');
    expect(reqs[0].headers['x-api-key']).toBe(KEY);
    expect(reqs[0].body.model).toBe('glm-4.7');
    expect(reqs[0].body.stream).toBe(true);
    expect(shell.requests).toHaveLength(0);
    const log = readLog(w.dataDir, 'worker');
    expect(log).toContain('Starting SDK query');
    expect(log).toContain('Response received');

    // One short query per event: nothing stays alive once the event is stored.
    await waitFor(() => descendants(w.proc.pid!).length === 0, 10_000, 'the Claude Code subprocess to exit');
    // And nothing was written to the real home: Claude Code ran with the worker's (temp) HOME.
    expect(fs.existsSync(path.join(home, '.claude', 'projects'))).toBe(false);
  });

  it('stopping the worker mid-request leaves no Claude Code process behind', async () => {
    const sessionId = 'agent-sdk-session';
    hook('post-tool-use', fixturePayload('13-PostToolUse-Bash.json', { session_id: sessionId }), w.env);
    await waitFor(() => gateway.messageRequests().some((r) => toolOf(r) === 'Bash'), 60_000, 'the Bash event to reach the gateway');
    const children = descendants(w.proc.pid!);
    expect(children.length).toBeGreaterThan(0);

    expect(await w.stop()).toBe(0);
    await waitFor(() => children.every((pid) => !isRunning(pid)), 15_000, `Claude Code processes ${children.join(',')} to exit`);
  });
});
