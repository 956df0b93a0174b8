import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeProvider, resolveModelAlias } from '../../src/agent/providers/ClaudeProvider.js';
import { ProviderError, type ProviderSession } from '../../src/agent/providers/providers.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';

const SYSTEM = 'You are the claude-mem memory agent. Output <observation> blocks.';
const ctx = { contentSessionId: 'sess-1', project: 'demo' };
const userTurn = (content: string) => ({ role: 'user' as const, content });

let fake: FakeAnthropic;
let dataDir: string;
const sessions: ProviderSession[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-prov-'));
  process.env.CLAUDE_MEM_DATA_DIR = dataDir;
  fake.requests.length = 0;
  fake.setHandler((req) => ({ text: `echo:${JSON.stringify(req.body?.messages?.at(-1)?.content)}` }));
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  delete process.env.CLAUDE_MEM_DATA_DIR;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function open(env: Record<string, string | undefined>, settings: Record<string, string> = {}, timeoutMs?: number) {
  const provider = new ClaudeProvider(settings, env, { timeoutMs });
  const session = provider.startSession(ctx);
  sessions.push(session);
  return { provider, session };
}

async function sendOnce(session: ProviderSession, text = 'Read src/index.ts') {
  return session.send({ system: SYSTEM, turns: [userTurn(text)] });
}

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the promise to reject');
}

describe('ClaudeProvider (api transport) on the wire', () => {
  it('sends the API key as x-api-key with no Authorization header, and anthropic-version', async () => {
    const { session } = open({ ANTHROPIC_API_KEY: 'sk-test-key', ANTHROPIC_BASE_URL: fake.url });
    const res = await sendOnce(session);
    expect(res.text).toBe('echo:"Read src/index.ts"');
    const h = fake.requests[0].headers;
    expect(h['x-api-key']).toBe('sk-test-key');
    expect(h.authorization).toBeUndefined();
    expect(h['anthropic-version']).toBe('2023-06-01');
    expect(fake.requests[0].method).toBe('POST');
    expect(fake.requests[0].path).toBe('/v1/messages');
  });

  it('sends ANTHROPIC_AUTH_TOKEN as Bearer (alone, and next to an API key)', async () => {
    const { session } = open({ ANTHROPIC_AUTH_TOKEN: 'tok-123', ANTHROPIC_BASE_URL: fake.url });
    await sendOnce(session);
    expect(fake.requests[0].headers.authorization).toBe('Bearer tok-123');
    expect(fake.requests[0].headers['x-api-key']).toBeUndefined();

    const both = open({ ANTHROPIC_AUTH_TOKEN: 'tok-456', ANTHROPIC_API_KEY: 'sk-both', ANTHROPIC_BASE_URL: fake.url });
    await sendOnce(both.session);
    expect(fake.requests[1].headers.authorization).toBe('Bearer tok-456');
    expect(fake.requests[1].headers['x-api-key']).toBe('sk-both');
  });

  it.each([
    ['/gateway/anthropic', '/gateway/anthropic/v1/messages'],
    ['/gateway/anthropic/', '/gateway/anthropic/v1/messages'],
    ['/proxy/v2', '/proxy/v2/v1/messages'],
  ])('keeps the base URL path prefix %s', async (prefix, expected) => {
    const { session, provider } = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url + prefix });
    await sendOnce(session);
    expect(fake.requests[0].path).toBe(expected);
    expect(provider.info.baseUrlHost).toBe(`127.0.0.1:${fake.port}`);
  });

  it.each(['glm-4.7', 'us.anthropic.claude-haiku-4-5-20251001-v1:0', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz'])(
    'sends model %s byte for byte',
    async (model) => {
      const { session, provider } = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url }, { CLAUDE_MEM_MODEL: model });
      const res = await sendOnce(session);
      expect(fake.requests[0].body.model).toBe(model);
      expect(provider.info.model).toBe(model);
      expect(res.model).toBe(model);
    },
  );

  it('puts the system prompt in one cached text block and passes turns through', async () => {
    const { session } = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url });
    await session.send({
      system: SYSTEM,
      turns: [userTurn('first'), { role: 'assistant', content: '<observation/>' }, userTurn('second')],
      maxTokens: 1234,
    });
    const body = fake.requests[0].body;
    expect(body.system).toEqual([{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }]);
    expect(body.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: '<observation/>' },
      { role: 'user', content: 'second' },
    ]);
    expect(body.max_tokens).toBe(1234);
    expect(body.stream).toBeUndefined();
  });

  it('maps usage, with a cache write first and a cache read on the second call', async () => {
    const { session } = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url });
    const system = `${SYSTEM} unique-${Date.now()}`.padEnd(400, '.');
    const first = await session.send({ system, turns: [userTurn('x'.repeat(80))] });
    expect(first.usage.cache_write_tokens).toBe(100);
    expect(first.usage.cache_read_tokens).toBe(0);
    expect(first.usage.input_tokens).toBe(20);
    expect(first.usage.output_tokens).toBeGreaterThan(0);
    expect(first.requestId).toMatch(/^req_fake_/);
    const second = await session.send({ system, turns: [userTurn('y'.repeat(80))] });
    expect(second.usage.cache_read_tokens).toBe(100);
    expect(second.usage.cache_write_tokens).toBe(0);
    expect(second.usage.input_tokens).toBe(20);
  });

  it('maps aliases only for the exact words', () => {
    expect(resolveModelAlias('haiku')).toBe('claude-haiku-4-5-20251001');
    expect(resolveModelAlias('sonnet')).toMatch(/^claude-sonnet-/);
    expect(resolveModelAlias('opus')).toMatch(/^claude-opus-/);
    expect(resolveModelAlias('haiku', { ANTHROPIC_DEFAULT_HAIKU_MODEL: 'glm-4.5-air' })).toBe('glm-4.5-air');
    for (const id of ['Haiku', 'haiku ', 'claude-haiku', 'haiku-4-5', 'glm-4.7']) expect(resolveModelAlias(id)).toBe(id);
  });

  it('uses the default model when CLAUDE_MEM_MODEL is empty, and an alias when it says haiku', async () => {
    const a = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url }, { CLAUDE_MEM_MODEL: '' });
    const b = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url }, { CLAUDE_MEM_MODEL: 'haiku' });
    await sendOnce(a.session);
    await sendOnce(b.session);
    expect(fake.requests.map((r) => r.body.model)).toEqual(['claude-haiku-4-5-20251001', 'claude-haiku-4-5-20251001']);
  });
});

describe('ClaudeProvider errors', () => {
  const env = () => ({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url });

  it('keeps a 401 verbatim: status, type, backend message and request id', async () => {
    fake.setHandler(() => ({ status: 401, errorType: 'authentication_error', message: 'invalid x-api-key: key "k" is not known to gateway-7' }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('auth');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^401 authentication_error: invalid x-api-key: key "k" is not known to gateway-7 \(request-id: req_fake_\d+\)$/);
    expect(err.details.status).toBe(401);
    expect(err.details.errorType).toBe('authentication_error');
    expect(err.details.requestId).toMatch(/^req_fake_/);
    expect(err.details.provider).toBe('claude');
  });

  it('keeps a plain-text gateway error body verbatim', async () => {
    fake.setHandler(() => ({ status: 403, body: 'Forbidden by corporate proxy policy #12' }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('Forbidden by corporate proxy policy #12');
  });

  it('parses retry-after on 429', async () => {
    fake.setHandler(() => ({ status: 429, message: 'Number of request tokens has exceeded your per-minute rate limit', headers: { 'retry-after': '17' } }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryable).toBe(true);
    expect(err.details.retryAfter).toBe(17);
    expect(err.message).toContain('429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit');
  });

  it.each([
    [500, 'api_error', 'transient'],
    [529, 'overloaded_error', 'transient'],
    [400, 'invalid_request_error', 'invalid_request'],
    [404, 'not_found_error', 'invalid_request'],
    [422, 'invalid_request_error', 'invalid_request'],
    [402, 'billing_error', 'quota'],
  ] as const)('maps %i %s to %s', async (status, errorType, kind) => {
    fake.setHandler(() => ({ status, errorType, message: `backend said ${status}` }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(`${status} ${errorType}: backend said ${status}`);
  });

  it('maps a 400 about credit balance to quota', async () => {
    fake.setHandler(() => ({ status: 400, message: 'Your credit balance is too low to access the Anthropic API.' }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('quota');
    expect(err.message).toContain('Your credit balance is too low to access the Anthropic API.');
  });

  it('maps a connection reset to transient', async () => {
    fake.setHandler(() => ({ reset: true }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('transient');
    expect(err.details.errorType).toBe('connection_error');
    expect(err.message).toContain(`127.0.0.1:${fake.port}`);
  });

  it('maps a hang to a transient timeout', async () => {
    fake.setHandler(() => ({ hang: true }));
    const err = await caught(sendOnce(open(env(), {}, 300).session));
    expect(err.kind).toBe('transient');
    expect(err.details.errorType).toBe('timeout');
    expect(err.message).toContain('timed out after 0.3s');
  });

  it('maps a body cut mid-way to transient', async () => {
    fake.setHandler(() => ({ truncate: true, text: 'x'.repeat(2000) }));
    const err = await caught(sendOnce(open(env()).session));
    expect(err.kind).toBe('transient');
  });

  it('aborts in-flight requests on close() and refuses sends afterwards', async () => {
    fake.setHandler(() => ({ hang: true }));
    const { session } = open(env());
    const pending = caught(sendOnce(session));
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await session.close();
    const err = await pending;
    expect(err.details.errorType).toBe('aborted');
    const again = await caught(sendOnce(session));
    expect(again.kind).toBe('invalid_request');
  });

  it('honours the caller abort signal', async () => {
    fake.setHandler(() => ({ hang: true }));
    const { session } = open(env());
    const ac = new AbortController();
    const pending = caught(session.send({ system: SYSTEM, turns: [userTurn('x')], signal: ac.signal }));
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    expect((await pending).details.errorType).toBe('aborted');
  });
});

describe('ClaudeProvider configuration', () => {
  it('refuses to start without a key, naming the .env path and the command to fix it', () => {
    let err: unknown;
    try {
      new ClaudeProvider({}, { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    const pe = err as ProviderError;
    expect(pe.kind).toBe('config');
    expect(pe.message).toContain(path.join(dataDir, '.env'));
    expect(pe.message).toContain('claude-mem env set ANTHROPIC_API_KEY');
  });

  it('ignores blank credentials', () => {
    expect(() => new ClaudeProvider({}, { ANTHROPIC_API_KEY: '  ', ANTHROPIC_AUTH_TOKEN: '' })).toThrow(/ANTHROPIC_API_KEY/);
  });

  it('rejects an unknown transport and a base URL that is not http(s), naming the field', () => {
    expect(() => new ClaudeProvider({ CLAUDE_MEM_CLAUDE_TRANSPORT: 'cli' }, { ANTHROPIC_API_KEY: 'k' })).toThrow(/CLAUDE_MEM_CLAUDE_TRANSPORT/);
    expect(() => new ClaudeProvider({}, { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: '127.0.0.1:8080' })).toThrow(/ANTHROPIC_BASE_URL/);
  });

  it('reports the public host when no base URL is set, and never a credential', () => {
    const p = new ClaudeProvider({ CLAUDE_MEM_MODEL: 'glm-4.7' }, { ANTHROPIC_API_KEY: 'sk-secret' });
    expect(p.info).toEqual({ provider: 'claude', model: 'glm-4.7', baseUrlHost: 'api.anthropic.com', baseUrl: 'https://api.anthropic.com' });
    expect(JSON.stringify(p.info)).not.toContain('sk-secret');
  });

  it('rejects a request that does not end with a user turn', async () => {
    const { session } = open({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url });
    const err = await caught(session.send({ system: SYSTEM, turns: [] }));
    expect(err.kind).toBe('invalid_request');
    expect(fake.requests).toHaveLength(0);
  });
});
