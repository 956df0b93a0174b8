import { describe, expect, it } from 'vitest';
import { ClaudeProvider } from '../../src/agent/providers/ClaudeProvider.js';
import { GeminiProvider } from '../../src/agent/providers/GeminiProvider.js';
import { OpenAICompatibleProvider } from '../../src/agent/providers/OpenAICompatibleProvider.js';
import { createProvider, describeProvider } from '../../src/agent/providers/providerFactory.js';
import { ProviderError } from '../../src/agent/providers/providers.js';

function configError(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('config');
    return err as ProviderError;
  }
  throw new Error('expected a config error');
}

const opts = { envPath: '/home/u/.claude-mem/.env' };

describe('createProvider', () => {
  it('builds the provider CLAUDE_MEM_PROVIDER names (claude by default)', () => {
    expect(createProvider({}, { ANTHROPIC_API_KEY: 'k' }, opts)).toBeInstanceOf(ClaudeProvider);
    expect(createProvider({ CLAUDE_MEM_PROVIDER: 'claude' }, { ANTHROPIC_API_KEY: 'k' }, opts)).toBeInstanceOf(ClaudeProvider);
    const or = createProvider({ CLAUDE_MEM_PROVIDER: 'openrouter', CLAUDE_MEM_OPENROUTER_MODEL: 'm' }, { OPENROUTER_API_KEY: 'k' }, opts);
    expect(or).toBeInstanceOf(OpenAICompatibleProvider);
    expect(or.info.provider).toBe('openrouter');
    const oa = createProvider(
      { CLAUDE_MEM_PROVIDER: 'openai', CLAUDE_MEM_OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', CLAUDE_MEM_OPENAI_MODEL: 'llama3' },
      {},
      opts,
    );
    expect(oa.info).toEqual({ provider: 'openai', model: 'llama3', baseUrlHost: '127.0.0.1:11434', baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(createProvider({ CLAUDE_MEM_PROVIDER: 'gemini' }, { GEMINI_API_KEY: 'k' }, opts)).toBeInstanceOf(GeminiProvider);
  });

  it('never falls back: a provider without its credentials is a config error naming what to set', () => {
    // Other providers' credentials being present must not matter.
    const everythingElse = { OPENROUTER_API_KEY: 'x', GEMINI_API_KEY: 'y', OPENAI_API_KEY: 'z' };
    expect(configError(() => createProvider({}, everythingElse, opts)).message).toContain('ANTHROPIC_API_KEY');
    expect(configError(() => createProvider({}, everythingElse, opts)).message).toContain('/home/u/.claude-mem/.env');
    expect(
      configError(() => createProvider({ CLAUDE_MEM_PROVIDER: 'openrouter', CLAUDE_MEM_OPENROUTER_MODEL: 'm' }, { ANTHROPIC_API_KEY: 'a' }, opts)).message,
    ).toContain('OPENROUTER_API_KEY');
    expect(configError(() => createProvider({ CLAUDE_MEM_PROVIDER: 'gemini' }, { ANTHROPIC_API_KEY: 'a' }, opts)).message).toContain('GEMINI_API_KEY');
    expect(configError(() => createProvider({ CLAUDE_MEM_PROVIDER: 'openai' }, { ANTHROPIC_API_KEY: 'a' }, opts)).message).toContain(
      'CLAUDE_MEM_OPENAI_BASE_URL',
    );
  });

  it('rejects an unknown provider name, listing the allowed ones', () => {
    const err = configError(() => createProvider({ CLAUDE_MEM_PROVIDER: 'anthropic' }, { ANTHROPIC_API_KEY: 'k' }, opts));
    expect(err.message).toContain('CLAUDE_MEM_PROVIDER');
    expect(err.message).toContain('claude, openrouter, gemini, openai');
  });
});

describe('describeProvider', () => {
  it('describes even a misconfigured provider without throwing or leaking credentials', () => {
    expect(describeProvider({}, {})).toEqual({ provider: 'claude', model: 'claude-haiku-4-5-20251001', baseUrlHost: 'api.anthropic.com', baseUrl: 'https://api.anthropic.com' });
    expect(
      describeProvider({ CLAUDE_MEM_MODEL: 'glm-4.7' }, { ANTHROPIC_BASE_URL: 'https://user:pw@gw.example.com:8443/anthropic', ANTHROPIC_API_KEY: 'sk-s' }),
    ).toEqual({ provider: 'claude', model: 'glm-4.7', baseUrlHost: 'gw.example.com:8443', baseUrl: 'https://gw.example.com:8443/anthropic' }) // userinfo never shown;
    expect(describeProvider({ CLAUDE_MEM_PROVIDER: 'openrouter' }, {})).toEqual({
      provider: 'openrouter',
      model: '',
      baseUrlHost: 'openrouter.ai',
      baseUrl: 'https://openrouter.ai/api/v1',
    });
    expect(describeProvider({ CLAUDE_MEM_PROVIDER: 'openai' }, {})).toEqual({ provider: 'openai', model: '', baseUrlHost: '(not set)', baseUrl: '(not set)' });
    expect(describeProvider({ CLAUDE_MEM_PROVIDER: 'gemini' }, {})).toEqual({
      provider: 'gemini',
      model: 'gemini-2.5-flash-lite',
      baseUrlHost: 'generativelanguage.googleapis.com',
      baseUrl: 'https://generativelanguage.googleapis.com',
    });
    expect(describeProvider({ CLAUDE_MEM_PROVIDER: 'bogus' }, {})).toEqual({ provider: 'bogus', model: '', baseUrlHost: '', baseUrl: '' });
    expect(describeProvider({}, { ANTHROPIC_BASE_URL: 'not a url' }).baseUrlHost).toBe('(invalid URL)');
    // A doubled /v1 stays visible; a query string (which may carry a key) never shows.
    expect(describeProvider({}, { ANTHROPIC_BASE_URL: 'https://gw.example.com/v1?key=sk-q' }).baseUrl).toBe('https://gw.example.com/v1');
  });
});
