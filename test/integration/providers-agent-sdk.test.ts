// The claude provider's `agent-sdk` transport, driving the real Claude Code binary shipped inside
// @anthropic-ai/claude-agent-sdk against the fake Anthropic server (Claude Code always streams).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeProvider } from '../../src/agent/providers/ClaudeProvider.js';
import { renderTurnsAsPrompt } from '../../src/agent/providers/claudeAgentSdkTransport.js';
import { ProviderError, type ProviderSession } from '../../src/agent/providers/providers.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';

function agentSdkInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@anthropic-ai/claude-agent-sdk');
    return true;
  } catch {
    return false;
  }
}

const ctx = { contentSessionId: 's', project: 'p' };

describe('agent-sdk transport without a subprocess', () => {
  it('renders history as a transcript with the newest user turn last', () => {
    expect(renderTurnsAsPrompt([{ role: 'user', content: 'only' }])).toBe('only');
    const p = renderTurnsAsPrompt([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'two' },
      { role: 'user', content: 'three' },
    ]);
    expect(p).toContain('<turn role="user">\none\n</turn>\n<turn role="assistant">\ntwo\n</turn>');
    expect(p.endsWith('\nthree')).toBe(true);
  });

  it('does not require an API key (Claude Code login), but does reject an unknown transport', () => {
    expect(() => new ClaudeProvider({ CLAUDE_MEM_CLAUDE_TRANSPORT: 'agent-sdk' }, {})).not.toThrow();
    expect(() => new ClaudeProvider({ CLAUDE_MEM_CLAUDE_TRANSPORT: 'agent_sdk' }, {})).toThrow(/CLAUDE_MEM_CLAUDE_TRANSPORT/);
  });

  it('reports a missing package as a config error saying how to install it', async () => {
    const provider = new ClaudeProvider({ CLAUDE_MEM_CLAUDE_TRANSPORT: 'agent-sdk' }, {}, {
      loadAgentSdk: () => Promise.reject(Object.assign(new Error("Cannot find package '@anthropic-ai/claude-agent-sdk'"), { code: 'ERR_MODULE_NOT_FOUND' })),
    });
    const err = await provider
      .startSession(ctx)
      .send({ system: 'S', turns: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('config');
    expect((err as ProviderError).message).toContain('npm install @anthropic-ai/claude-agent-sdk');
  });
});

/** PIDs of live processes whose environment holds `marker` (Linux /proc). */
function pidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) out.push(Number(entry));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

async function waitFor<T>(fn: () => T | undefined, what: string, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!agentSdkInstalled())('agent-sdk transport against the fake Anthropic server (spawns Claude Code)', () => {
  let fake: FakeAnthropic;
  let home: string;
  let marker: string;
  const sessions: ProviderSession[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-agentsdk-'));
    marker = `cm-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fake.requests.length = 0;
    fake.setHandler((req) => ({ text: `<observation><title>ok</title></observation> model=${req.body?.model}` }));
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    fs.rmSync(home, { recursive: true, force: true });
  });

  function open(envExtra: Record<string, string> = {}, settings: Record<string, string> = {}) {
    // What buildIsolatedEnv() would hand over; HOME/CLAUDE_CONFIG_DIR point at a temp dir so the
    // test never touches the real ~/.claude.
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
      ANTHROPIC_BASE_URL: `${fake.url}/gateway/anthropic`,
      ANTHROPIC_API_KEY: 'sk-agent-sdk-test',
      CLAUDE_MEM_INTERNAL: '1',
      CLAUDE_MEM_TEST_MARKER: marker,
      ...envExtra,
    };
    const provider = new ClaudeProvider({ CLAUDE_MEM_CLAUDE_TRANSPORT: 'agent-sdk', CLAUDE_MEM_MODEL: 'glm-4.7', ...settings }, env, {
      cwd: home,
      timeoutMs: 60_000,
    });
    const session = provider.startSession(ctx);
    sessions.push(session);
    return session;
  }

  it('streams one request through ANTHROPIC_BASE_URL with the model, key, system prompt and history', async () => {
    const res = await open().send({
      system: 'MEMORY-AGENT-SYSTEM-PROMPT',
      turns: [
        { role: 'user', content: 'first event' },
        { role: 'assistant', content: '<observation/>' },
        { role: 'user', content: 'second event' },
      ],
    });
    expect(res.text).toBe('<observation><title>ok</title></observation> model=glm-4.7');
    expect(res.usage.output_tokens).toBeGreaterThan(0);
    expect(res.usage.input_tokens + res.usage.cache_write_tokens + res.usage.cache_read_tokens).toBeGreaterThan(0);
    expect(res.requestId).toMatch(/^req_fake_/);

    const reqs = fake.messageRequests();
    expect(reqs).toHaveLength(1);
    const r = reqs[0];
    expect(r.path.split('?')[0]).toBe('/gateway/anthropic/v1/messages');
    expect(r.body.stream).toBe(true);
    expect(r.body.model).toBe('glm-4.7');
    expect(r.headers['x-api-key']).toBe('sk-agent-sdk-test');
    expect(r.body.tools ?? []).toEqual([]);
    expect(JSON.stringify(r.body.system)).toContain('MEMORY-AGENT-SYSTEM-PROMPT');
    const prompt = JSON.stringify(r.body.messages);
    expect(prompt).toContain('first event');
    expect(prompt).toContain('second event');
  }, 60_000);

  it('maps a 401 to auth with the status, type and request id, without retrying', async () => {
    fake.setHandler(() => ({ status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' }));
    const err = await open()
      .send({ system: 'S', turns: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const pe = err as ProviderError;
    expect(pe.kind).toBe('auth');
    expect(pe.details.status).toBe(401);
    expect(pe.message).toMatch(/^401 authentication_error: .+ \(request-id: req_fake_\d+\)$/);
    expect(fake.messageRequests()).toHaveLength(1);
  }, 60_000);

  it('maps a 500 to transient with the backend message, and leaves retries to the memory agent', async () => {
    fake.setHandler(() => ({ status: 500, message: 'upstream exploded (gw-42)' }));
    const err = (await open()
      .send({ system: 'S', turns: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('upstream exploded (gw-42)');
    expect(fake.messageRequests()).toHaveLength(1);
  }, 60_000);

  it.skipIf(process.platform !== 'linux')(
    'gives Claude Code only the isolated env, and reaps it on close()',
    async () => {
      process.env.CLAUDE_MEM_LEAK_CHECK = 'from-the-worker-env';
      try {
        fake.setHandler(() => ({ hang: true }));
        const session = open();
        const pending = session.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
        await waitFor(() => (fake.messageRequests().length > 0 ? true : undefined), 'the request to reach the fake');
        const pids = pidsWithMarker(marker);
        expect(pids.length).toBeGreaterThan(0);
        for (const pid of pids) expect(fs.readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain('CLAUDE_MEM_LEAK_CHECK');
        await session.close();
        const err = (await pending) as ProviderError;
        expect(err).toBeInstanceOf(ProviderError);
        expect(err.details.errorType).toBe('aborted');
        await waitFor(() => (pidsWithMarker(marker).length === 0 ? true : undefined), 'Claude Code to exit');
      } finally {
        delete process.env.CLAUDE_MEM_LEAK_CHECK;
      }
    },
    60_000,
  );
});
