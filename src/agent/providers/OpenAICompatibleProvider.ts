// OpenAI chat-completions providers (SPEC §4.5): `openrouter` and `openai` (any OpenAI-compatible
// endpoint — Ollama, vLLM, LM Studio, DeepSeek, LiteLLM). Same wire protocol, different presets.
import OpenAI from 'openai';
import { envFilePath } from '../../config/paths.js';
import { checkBaseUrl, displayUrl, hostOf, httpProviderError, mapSdkError } from './errors.js';
import { checkTurns, InFlight, nonEmpty, type ProviderEnv, type ProviderSettings } from './providerShared.js';
import {
  ProviderError,
  type Provider,
  type ProviderInfo,
  type ProviderSession,
  type SendRequest,
  type SendResult,
  type SessionContext,
} from './providers.js';
import { DEFAULT_MAX_TOKENS, DEFAULT_TIMEOUT_MS } from './ClaudeProvider.js';

export type OpenAIPreset = 'openrouter' | 'openai';

export const OPENROUTER_DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';
export const OPENROUTER_DEFAULT_APP_NAME = 'claude-mem';

/** Everything a preset resolves to; `apiKey` is absent for keyless local servers. */
export interface OpenAIConfig {
  preset: OpenAIPreset;
  baseURL: string;
  model: string;
  apiKey?: string;
  headers: Record<string, string>;
}

export interface OpenAICompatibleOptions {
  timeoutMs?: number;
  envPath?: string;
}

function configError(preset: OpenAIPreset, message: string): ProviderError {
  return new ProviderError('config', message, { errorType: 'config', provider: preset });
}

/** The preset's settings without validation (for status pages that must not throw). */
export function openAIDraft(preset: OpenAIPreset, settings: ProviderSettings, env: ProviderEnv) {
  if (preset === 'openrouter') {
    return {
      baseURL: nonEmpty(settings.CLAUDE_MEM_OPENROUTER_BASE_URL) ?? OPENROUTER_DEFAULT_BASE_URL,
      model: nonEmpty(settings.CLAUDE_MEM_OPENROUTER_MODEL) ?? '',
      apiKey: nonEmpty(settings.CLAUDE_MEM_OPENROUTER_API_KEY) ?? nonEmpty(env.OPENROUTER_API_KEY),
    };
  }
  return {
    baseURL: nonEmpty(settings.CLAUDE_MEM_OPENAI_BASE_URL) ?? '',
    model: nonEmpty(settings.CLAUDE_MEM_OPENAI_MODEL) ?? '',
    apiKey: nonEmpty(settings.CLAUDE_MEM_OPENAI_API_KEY) ?? nonEmpty(env.OPENAI_API_KEY),
  };
}

export function describeOpenAI(preset: OpenAIPreset, settings: ProviderSettings, env: ProviderEnv): ProviderInfo {
  const d = openAIDraft(preset, settings, env);
  return { provider: preset, model: d.model, baseUrlHost: hostOf(d.baseURL || undefined, '(not set)'), baseUrl: displayUrl(d.baseURL || undefined, '(not set)') };
}

/** Validate a preset's settings; every error names the key to set and where. */
export function resolveOpenAIConfig(
  preset: OpenAIPreset,
  settings: ProviderSettings,
  env: ProviderEnv,
  envPath: string = envFilePath(),
): OpenAIConfig {
  const d = openAIDraft(preset, settings, env);
  if (preset === 'openrouter') {
    if (!d.apiKey) {
      throw configError(
        preset,
        `The openrouter provider needs an API key: set OPENROUTER_API_KEY in ${envPath} ` +
          '(`claude-mem env set OPENROUTER_API_KEY <key>`) or CLAUDE_MEM_OPENROUTER_API_KEY in settings, then restart the worker.',
      );
    }
    if (!d.model) {
      throw configError(preset, 'The openrouter provider needs CLAUDE_MEM_OPENROUTER_MODEL (e.g. "anthropic/claude-haiku-4.5") in settings.');
    }
    checkBaseUrl(d.baseURL, 'CLAUDE_MEM_OPENROUTER_BASE_URL', `Use ${OPENROUTER_DEFAULT_BASE_URL} or your proxy's URL.`);
    const headers: Record<string, string> = {
      'X-Title': nonEmpty(settings.CLAUDE_MEM_OPENROUTER_APP_NAME) ?? OPENROUTER_DEFAULT_APP_NAME,
    };
    const site = nonEmpty(settings.CLAUDE_MEM_OPENROUTER_SITE_URL);
    if (site) headers['HTTP-Referer'] = site;
    return { preset, baseURL: d.baseURL, model: d.model, apiKey: d.apiKey, headers };
  }
  if (!d.baseURL) {
    throw configError(
      preset,
      'The openai provider needs CLAUDE_MEM_OPENAI_BASE_URL in settings, including /v1 (e.g. http://127.0.0.1:11434/v1 for Ollama).',
    );
  }
  checkBaseUrl(d.baseURL, 'CLAUDE_MEM_OPENAI_BASE_URL', 'It must include the scheme and /v1, e.g. http://127.0.0.1:11434/v1.');
  if (!d.model) {
    throw configError(preset, 'The openai provider needs CLAUDE_MEM_OPENAI_MODEL in settings (the model name your endpoint serves).');
  }
  return { preset, baseURL: d.baseURL, model: d.model, apiKey: d.apiKey, headers: {} };
}

class OpenAISession implements ProviderSession {
  private readonly inflight = new InFlight();

  constructor(
    private readonly client: OpenAI,
    private readonly cfg: OpenAIConfig,
    private readonly timeoutMs: number,
    private readonly host: string,
  ) {}

  async send(req: SendRequest): Promise<SendResult> {
    checkTurns(req, this.cfg.preset);
    const { signal, done } = this.inflight.begin(req.signal, this.cfg.preset);
    try {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        ...(req.system ? [{ role: 'system' as const, content: req.system }] : []),
        ...req.turns.map((t) => ({ role: t.role, content: t.content })),
      ];
      const res = await this.client.chat.completions.create(
        { model: this.cfg.model, max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS, messages },
        { signal, timeout: this.timeoutMs },
      );
      // OpenRouter can answer 200 with `{error:{code,message}}` when the upstream model fails.
      const bodyError = (res as unknown as { error?: { code?: unknown } }).error;
      if (!Array.isArray(res.choices) && bodyError) {
        const code = typeof bodyError.code === 'number' ? bodyError.code : 502;
        throw httpProviderError({ provider: this.cfg.preset, status: code, body: { error: bodyError } });
      }
      const text = res.choices?.[0]?.message?.content ?? '';
      const u = res.usage;
      const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
      return {
        text,
        usage: {
          input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
          output_tokens: u?.completion_tokens ?? 0,
          cache_read_tokens: cached,
          cache_write_tokens: 0,
        },
        model: res.model || this.cfg.model,
        requestId: (res as unknown as { _request_id?: string | null })._request_id ?? res.id ?? undefined,
      };
    } catch (err) {
      throw mapSdkError(err, this.ctx(signal));
    } finally {
      done();
    }
  }

  private ctx(signal: AbortSignal) {
    return { provider: this.cfg.preset, host: this.host, timeoutMs: this.timeoutMs, signal };
  }

  async close(): Promise<void> {
    this.inflight.abortAll();
  }
}

export class OpenAICompatibleProvider implements Provider {
  readonly info: ProviderInfo;
  private readonly cfg: OpenAIConfig;
  private readonly timeoutMs: number;

  constructor(preset: OpenAIPreset, settings: ProviderSettings, env: ProviderEnv, opts: OpenAICompatibleOptions = {}) {
    this.cfg = resolveOpenAIConfig(preset, settings, env, opts.envPath);
    this.info = describeOpenAI(preset, settings, env);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  startSession(_ctx: SessionContext): ProviderSession {
    const client = new OpenAI({
      baseURL: this.cfg.baseURL, // as written; the SDK appends /chat/completions
      // The SDK refuses to start without a key; for keyless local servers a placeholder satisfies
      // it and the null Authorization header below keeps it off the wire.
      apiKey: this.cfg.apiKey ?? 'not-needed',
      defaultHeaders: { ...this.cfg.headers, ...(this.cfg.apiKey ? {} : { Authorization: null }) },
      maxRetries: 0, // the memory agent owns retries
      timeout: this.timeoutMs,
      // Explicit values keep the SDK from reading these from process.env.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      logLevel: 'off',
    });
    return new OpenAISession(client, this.cfg, this.timeoutMs, this.info.baseUrlHost);
  }
}
