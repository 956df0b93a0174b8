// Picks the provider named by CLAUDE_MEM_PROVIDER. A provider selected without what it needs is an
// error naming the missing key — never a quiet switch to another provider (SPEC §4.5).
import { ClaudeProvider, describeClaude, type ClaudeProviderOptions } from './ClaudeProvider.js';
import { describeGemini, GeminiProvider } from './GeminiProvider.js';
import { describeOpenAI, OpenAICompatibleProvider } from './OpenAICompatibleProvider.js';
import type { ProviderEnv, ProviderSettings } from './providerShared.js';
import { ProviderError, type Provider, type ProviderInfo } from './providers.js';

export const PROVIDER_NAMES = ['claude', 'openrouter', 'gemini', 'openai'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export type ProviderFactoryOptions = ClaudeProviderOptions;

/** The selected provider's name; empty means the default `claude`. Undefined when unknown. */
function selected(settings: ProviderSettings): { name?: ProviderName; raw: string } {
  const raw = (settings.CLAUDE_MEM_PROVIDER ?? '').trim();
  const name = raw === '' ? 'claude' : (PROVIDER_NAMES as readonly string[]).includes(raw) ? (raw as ProviderName) : undefined;
  return { name, raw };
}

/** CLAUDE_MEM_REQUEST_TIMEOUT_MS when it is a usable number; otherwise the provider's default. */
function timeoutSetting(settings: ProviderSettings): number | undefined {
  const n = Number(settings.CLAUDE_MEM_REQUEST_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function createProvider(settings: ProviderSettings, env: ProviderEnv, options: ProviderFactoryOptions = {}): Provider {
  const { name, raw } = selected(settings);
  const opts = { ...options, timeoutMs: options.timeoutMs ?? timeoutSetting(settings) };
  switch (name) {
    case 'claude':
      return new ClaudeProvider(settings, env, opts);
    case 'openrouter':
    case 'openai':
      return new OpenAICompatibleProvider(name, settings, env, opts);
    case 'gemini':
      return new GeminiProvider(settings, env, opts);
    default:
      throw new ProviderError(
        'config',
        `CLAUDE_MEM_PROVIDER must be one of ${PROVIDER_NAMES.join(', ')}; got "${raw}". Fix it in settings.json or the settings page.`,
        { errorType: 'config' },
      );
  }
}

/** What the worker would talk to, for health/status pages. Never throws, never shows a credential. */
export function describeProvider(settings: ProviderSettings, env: ProviderEnv): ProviderInfo {
  const { name, raw } = selected(settings);
  switch (name) {
    case 'claude':
      return describeClaude(settings, env);
    case 'openrouter':
    case 'openai':
      return describeOpenAI(name, settings, env);
    case 'gemini':
      return describeGemini(settings, env);
    default:
      return { provider: raw, model: '', baseUrlHost: '', baseUrl: '' };
  }
}
