// The `gemini` provider over plain REST (`models/{model}:generateContent`), no SDK: Google's
// official one needs Node 22 and this is one POST.
import { envFilePath } from '../../config/paths.js';
import { abortedError, checkBaseUrl, connectionError, displayUrl, hostOf, httpProviderError, timeoutError } from './errors.js';
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

export const GEMINI_DEFAULT_MODEL = 'gemini-2.5-flash-lite';
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

export interface GeminiOptions {
  timeoutMs?: number;
  envPath?: string;
}

function draft(settings: ProviderSettings, env: ProviderEnv) {
  return {
    baseURL: nonEmpty(settings.CLAUDE_MEM_GEMINI_BASE_URL) ?? GEMINI_DEFAULT_BASE_URL,
    model: nonEmpty(settings.CLAUDE_MEM_GEMINI_MODEL) ?? GEMINI_DEFAULT_MODEL,
    apiKey: nonEmpty(settings.CLAUDE_MEM_GEMINI_API_KEY) ?? nonEmpty(env.GEMINI_API_KEY),
  };
}

export function describeGemini(settings: ProviderSettings, env: ProviderEnv): ProviderInfo {
  const d = draft(settings, env);
  return { provider: 'gemini', model: d.model, baseUrlHost: hostOf(d.baseURL, 'generativelanguage.googleapis.com'), baseUrl: displayUrl(d.baseURL, 'https://generativelanguage.googleapis.com') };
}

/** `<base>/v1beta/models/<model>:generateContent`; the base is used as written, minus a trailing `/`. */
export function geminiEndpoint(baseURL: string, model: string): string {
  return `${baseURL.replace(/\/+$/, '')}/v1beta/models/${encodeURIComponent(model)}:generateContent`;
}

interface GeminiResponse {
  candidates?: Array<{ content?: { parts?: Array<{ text?: string; thought?: boolean }> }; finishReason?: string }>;
  usageMetadata?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    cachedContentTokenCount?: number;
    thoughtsTokenCount?: number;
  };
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
}

class GeminiSession implements ProviderSession {
  private readonly inflight = new InFlight();

  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly model: string,
    private readonly timeoutMs: number,
    private readonly host: string,
  ) {}

  async send(req: SendRequest): Promise<SendResult> {
    checkTurns(req, 'gemini');
    const { signal, done } = this.inflight.begin(req.signal, 'gemini');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const body = {
      ...(req.system ? { systemInstruction: { parts: [{ text: req.system }] } } : {}),
      contents: req.turns.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: [{ text: t.content }] })),
      generationConfig: { maxOutputTokens: req.maxTokens ?? DEFAULT_MAX_TOKENS },
    };
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': this.apiKey },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, timeout]),
      });
      const rawText = await res.text();
      let json: unknown;
      try {
        json = rawText ? JSON.parse(rawText) : undefined;
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        throw httpProviderError({ provider: 'gemini', status: res.status, body: json ?? rawText, rawText, headers: res.headers });
      }
      const data = (json ?? {}) as GeminiResponse;
      if (!json || typeof json !== 'object') {
        throw new ProviderError('transient', `Gemini returned ${res.status} with a body that is not JSON: ${rawText.slice(0, 200)}`, {
          status: res.status,
          provider: 'gemini',
        });
      }
      const parts = data.candidates?.[0]?.content?.parts ?? [];
      const text = parts
        .filter((p) => !p.thought)
        .map((p) => p.text ?? '')
        .join('');
      if (!data.candidates?.length && data.promptFeedback?.blockReason) {
        throw new ProviderError('invalid_request', `Gemini blocked the prompt: ${data.promptFeedback.blockReason}`, {
          status: res.status,
          errorType: data.promptFeedback.blockReason,
          provider: 'gemini',
        });
      }
      const u = data.usageMetadata ?? {};
      const cached = u.cachedContentTokenCount ?? 0;
      return {
        text,
        usage: {
          input_tokens: Math.max(0, (u.promptTokenCount ?? 0) - cached),
          output_tokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
          cache_read_tokens: cached,
          cache_write_tokens: 0,
        },
        model: data.modelVersion || this.model,
        requestId: data.responseId,
      };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (signal.aborted) throw abortedError('gemini');
      if (timeout.aborted) throw timeoutError('gemini', this.timeoutMs, this.host);
      throw connectionError('gemini', err, this.host);
    } finally {
      done();
    }
  }

  async close(): Promise<void> {
    this.inflight.abortAll();
  }
}

export class GeminiProvider implements Provider {
  readonly info: ProviderInfo;
  private readonly url: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(settings: ProviderSettings, env: ProviderEnv, opts: GeminiOptions = {}) {
    const d = draft(settings, env);
    if (!d.apiKey) {
      throw new ProviderError(
        'config',
        `The gemini provider needs an API key: set GEMINI_API_KEY in ${opts.envPath ?? envFilePath()} ` +
          '(`claude-mem env set GEMINI_API_KEY <key>`) or CLAUDE_MEM_GEMINI_API_KEY in settings, then restart the worker.',
        { errorType: 'config', provider: 'gemini' },
      );
    }
    checkBaseUrl(d.baseURL, 'CLAUDE_MEM_GEMINI_BASE_URL', `Leave it empty for ${GEMINI_DEFAULT_BASE_URL}.`);
    this.apiKey = d.apiKey;
    this.url = geminiEndpoint(d.baseURL, d.model);
    this.info = describeGemini(settings, env);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  startSession(_ctx: SessionContext): ProviderSession {
    return new GeminiSession(this.url, this.apiKey, this.info.model, this.timeoutMs, this.info.baseUrlHost);
  }
}
