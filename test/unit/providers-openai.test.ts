import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleProvider } from '../../src/agent/providers/OpenAICompatibleProvider.js';
import { ProviderError, type ProviderSession } from '../../src/agent/providers/providers.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';

const ctx = { contentSessionId: 's', project: 'p' };
let fake: FakeOpenAI;
let dataDir: string;
const sessions: ProviderSession[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-oa-'));
  process.env.CLAUDE_MEM_DATA_DIR = dataDir;
  fake.requests.length = 0;
  fake.setHandler(() => ({ text: 'ok <observation/>' }));
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  delete process.env.CLAUDE_MEM_DATA_DIR;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function openrouter(settings: Record<string, string> = {}, env: Record<string, string> = { OPENROUTER_API_KEY: 'or-key' }, timeoutMs?: number) {
  const p = new OpenAICompatibleProvider(
    'openrouter',
    { CLAUDE_MEM_OPENROUTER_BASE_URL: `${fake.url}/api/v1`, CLAUDE_MEM_OPENROUTER_MODEL: 'anthropic/claude-haiku-4.5', ...settings },
    env,
    { timeoutMs },
  );
  const s = p.startSession(ctx);
  sessions.push(s);
  return { p, s };
}

function openai(settings: Record<string, string> = {}, env: Record<string, string> = {}) {
  const p = new OpenAICompatibleProvider(
    'openai',
    { CLAUDE_MEM_OPENAI_BASE_URL: `${fake.url}/v1`, CLAUDE_MEM_OPENAI_MODEL: 'qwen2.5-coder:7b', ...settings },
    env,
  );
  const s = p.startSession(ctx);
  sessions.push(s);
  return { p, s };
}

const send = (s: ProviderSession, content = 'event') => s.send({ system: 'SYS', turns: [{ role: 'user', content }] });

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a rejection');
}

describe('openrouter preset', () => {
  it('sends a Bearer key, attribution headers, the system message and the model, to the base URL as written', async () => {
    const { s, p } = openrouter({ CLAUDE_MEM_OPENROUTER_SITE_URL: 'https://example.dev/mem', CLAUDE_MEM_OPENROUTER_APP_NAME: 'my-mem' });
    const res = await s.send({
      system: 'SYS',
      turns: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
      maxTokens: 99,
    });
    expect(res.text).toBe('ok <observation/>');
    const r = fake.requests[0];
    expect(r.path).toBe('/api/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer or-key');
    expect(r.headers['http-referer']).toBe('https://example.dev/mem');
    expect(r.headers['x-title']).toBe('my-mem');
    expect(r.body.model).toBe('anthropic/claude-haiku-4.5');
    expect(r.body.max_tokens).toBe(99);
    expect(r.body.messages).toEqual([
      { role: 'system', content: 'SYS' },
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ]);
    expect(res.model).toBe('anthropic/claude-haiku-4.5');
    expect(res.requestId).toMatch(/^req_fake_oa_/);
    expect(p.info).toMatchObject({ provider: 'openrouter', model: 'anthropic/claude-haiku-4.5', baseUrlHost: `127.0.0.1:${fake.port}` });
  });

  it('defaults X-Title to claude-mem and omits HTTP-Referer when no site URL is set', async () => {
    await send(openrouter().s);
    expect(fake.requests[0].headers['x-title']).toBe('claude-mem');
    expect(fake.requests[0].headers['http-referer']).toBeUndefined();
  });

  it('prefers the settings key over the .env key', async () => {
    await send(openrouter({ CLAUDE_MEM_OPENROUTER_API_KEY: 'from-settings' }).s);
    expect(fake.requests[0].headers.authorization).toBe('Bearer from-settings');
  });

  it('maps usage, counting cached prompt tokens as cache reads', async () => {
    fake.setHandler(() => ({ text: 'x', usage: { prompt_tokens: 120, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 100 } } }));
    const res = await send(openrouter().s);
    expect(res.usage).toEqual({ input_tokens: 20, output_tokens: 7, cache_read_tokens: 100, cache_write_tokens: 0 });
  });

  it('refuses to start without a key, naming OPENROUTER_API_KEY and the .env path', () => {
    let err: unknown;
    try {
      openrouter({}, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('config');
    expect((err as ProviderError).message).toContain('OPENROUTER_API_KEY');
    expect((err as ProviderError).message).toContain(path.join(dataDir, '.env'));
  });

  it('requires a model', () => {
    expect(() => openrouter({ CLAUDE_MEM_OPENROUTER_MODEL: '' })).toThrow(/CLAUDE_MEM_OPENROUTER_MODEL/);
  });
});

describe('openai preset (any OpenAI-compatible endpoint)', () => {
  it('works without a key and then sends no Authorization header', async () => {
    const { s } = openai();
    await send(s);
    expect(fake.requests[0].path).toBe('/v1/chat/completions');
    expect(fake.requests[0].headers.authorization).toBeUndefined();
    expect(fake.requests[0].body.model).toBe('qwen2.5-coder:7b');
  });

  it('sends OPENAI_API_KEY as Bearer when set', async () => {
    await send(openai({}, { OPENAI_API_KEY: 'sk-local' }).s);
    expect(fake.requests[0].headers.authorization).toBe('Bearer sk-local');
  });

  it('requires the base URL and the model, naming the keys', () => {
    expect(() => openai({ CLAUDE_MEM_OPENAI_BASE_URL: '' })).toThrow(/CLAUDE_MEM_OPENAI_BASE_URL/);
    expect(() => openai({ CLAUDE_MEM_OPENAI_MODEL: '' })).toThrow(/CLAUDE_MEM_OPENAI_MODEL/);
    expect(() => openai({ CLAUDE_MEM_OPENAI_BASE_URL: 'localhost:11434/v1' })).toThrow(/CLAUDE_MEM_OPENAI_BASE_URL/);
  });
});

describe('OpenAI-compatible errors', () => {
  it('keeps a 401 verbatim with its request id', async () => {
    fake.setHandler(() => ({ status: 401, message: 'No auth credentials found', errorType: 'invalid_request_error', code: 'invalid_api_key' }));
    const err = await caught(send(openrouter().s));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/^401 invalid_request_error: No auth credentials found \(request-id: req_fake_oa_\d+\)$/);
    expect(err.details.provider).toBe('openrouter');
  });

  it('parses retry-after on 429 and treats insufficient_quota as quota', async () => {
    fake.setHandler(() => ({ status: 429, message: 'Rate limit exceeded: free-models-per-min', headers: { 'retry-after': '3' } }));
    const rl = await caught(send(openrouter().s));
    expect(rl.kind).toBe('rate_limit');
    expect(rl.details.retryAfter).toBe(3);

    fake.setHandler(() => ({ status: 429, message: 'You exceeded your current quota', errorType: 'insufficient_quota', code: 'insufficient_quota' }));
    const q = await caught(send(openrouter().s));
    expect(q.kind).toBe('quota');
  });

  it.each([
    [500, 'transient'],
    [502, 'transient'],
    [400, 'invalid_request'],
    [404, 'invalid_request'],
    [402, 'quota'],
  ] as const)('maps %i to %s', async (status, kind) => {
    fake.setHandler(() => ({ status, message: `upstream says ${status}` }));
    const err = await caught(send(openai().s));
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(`upstream says ${status}`);
  });

  it('maps reset and hang to transient', async () => {
    fake.setHandler(() => ({ reset: true }));
    expect((await caught(send(openrouter().s))).details.errorType).toBe('connection_error');
    fake.setHandler(() => ({ hang: true }));
    const err = await caught(send(openrouter({}, { OPENROUTER_API_KEY: 'k' }, 300).s));
    expect(err.kind).toBe('transient');
    expect(err.details.errorType).toBe('timeout');
  });
});
