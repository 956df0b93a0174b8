import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeminiProvider } from '../../src/agent/providers/GeminiProvider.js';
import { ProviderError } from '../../src/agent/providers/providers.js';
import { startFakeGemini, type FakeGemini } from '../fakes/fake-gemini.js';

const ctx = { contentSessionId: 's', project: 'p' };
let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setHandler(() => ({ text: '<observation><title>t</title></observation>', usage: { promptTokenCount: 50, candidatesTokenCount: 9, cachedContentTokenCount: 30 } }));
});

const provider = (settings: Record<string, string> = {}, env: Record<string, string> = { GEMINI_API_KEY: 'g-key' }) =>
  new GeminiProvider({ CLAUDE_MEM_GEMINI_BASE_URL: `${fake.url}/google`, ...settings }, env, { envPath: '/tmp/x/.env' });

describe('GeminiProvider', () => {
  it('posts generateContent with x-goog-api-key, system instruction and roles, and maps the answer', async () => {
    const s = provider().startSession(ctx);
    const res = await s.send({
      system: 'SYS',
      turns: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
    });
    const r = fake.requests[0];
    expect(r.path).toBe('/google/v1beta/models/gemini-2.5-flash-lite:generateContent');
    expect(r.headers['x-goog-api-key']).toBe('g-key');
    expect(r.path).not.toContain('key=');
    expect(r.body.systemInstruction).toEqual({ parts: [{ text: 'SYS' }] });
    expect(r.body.contents.map((c: any) => c.role)).toEqual(['user', 'model', 'user']);
    expect(res.text).toBe('<observation><title>t</title></observation>');
    expect(res.usage).toEqual({ input_tokens: 20, output_tokens: 9, cache_read_tokens: 30, cache_write_tokens: 0 });
    expect(res.model).toBe('gemini-2.5-flash-lite');
    await s.close();
  });

  it('uses CLAUDE_MEM_GEMINI_MODEL and the settings key when given', async () => {
    const s = provider({ CLAUDE_MEM_GEMINI_MODEL: 'gemini-2.5-pro', CLAUDE_MEM_GEMINI_API_KEY: 'from-settings' }).startSession(ctx);
    await s.send({ system: '', turns: [{ role: 'user', content: 'x' }] });
    expect(fake.requests[0].path).toContain('/models/gemini-2.5-pro:generateContent');
    expect(fake.requests[0].headers['x-goog-api-key']).toBe('from-settings');
    expect(fake.requests[0].body.systemInstruction).toBeUndefined();
  });

  it('keeps the backend error message and maps the status', async () => {
    fake.setHandler(() => ({ status: 400, message: 'API key not valid. Please pass a valid API key.' }));
    const s = provider().startSession(ctx);
    const err = await s.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('invalid_request');
    expect((err as ProviderError).message).toBe('400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key.');

    fake.setHandler(() => ({ status: 429, message: 'Resource has been exhausted (e.g. check quota).', headers: { 'retry-after': '9' } }));
    const rl = (await s.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as ProviderError;
    expect(rl.kind).toBe('rate_limit');
    expect(rl.details.retryAfter).toBe(9);

    fake.setHandler(() => ({ status: 503, message: 'The model is overloaded.' }));
    const t = (await s.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as ProviderError;
    expect(t.kind).toBe('transient');
  });

  it('maps reset and hang to transient', async () => {
    fake.setHandler(() => ({ reset: true }));
    const s = new GeminiProvider({ CLAUDE_MEM_GEMINI_BASE_URL: fake.url }, { GEMINI_API_KEY: 'k' }, { timeoutMs: 300 }).startSession(ctx);
    const reset = (await s.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as ProviderError;
    expect(reset.details.errorType).toBe('connection_error');
    fake.setHandler(() => ({ hang: true }));
    const hang = (await s.send({ system: 'S', turns: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as ProviderError;
    expect(hang.kind).toBe('transient');
    expect(hang.details.errorType).toBe('timeout');
  });

  it('refuses to start without a key, naming GEMINI_API_KEY and the .env path', () => {
    expect(() => provider({}, {})).toThrow(/GEMINI_API_KEY in \/tmp\/x\/\.env/);
  });
});
