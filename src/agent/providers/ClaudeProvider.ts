// The `claude` provider: the Anthropic Messages API, configured only from buildIsolatedEnv() and
// settings (SPEC §4.3). Two transports: `api` (the official SDK in-process, the default) and
// `agent-sdk` (Claude Code's Agent SDK, for people who sign in through Claude Code).
import Anthropic from '@anthropic-ai/sdk';
import { envFilePath } from '../../config/paths.js';
import { checkBaseUrl, displayUrl, hostOf, mapSdkError } from './errors.js';
import {
  ProviderError,
  type Provider,
  type ProviderInfo,
  type ProviderSession,
  type SendRequest,
  type SendResult,
  type SessionContext,
} from './providers.js';
import { AgentSdkSession, type AgentSdkLoader } from './claudeAgentSdkTransport.js';
import { checkTurns, InFlight, mapAnthropicUsage, nonEmpty, type ProviderEnv, type ProviderSettings } from './providerShared.js';

export type { ProviderEnv, ProviderSettings } from './providerShared.js';

export const DEFAULT_CLAUDE_MODEL = 'claude-haiku-4-5-20251001';
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The version Claude Code sends; gateways configured for Claude Code expect it. */
export const ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_TOKENS = 4096;

const ALIAS_IDS = {
  haiku: DEFAULT_CLAUDE_MODEL,
  sonnet: 'claude-sonnet-4-5',
  opus: 'claude-opus-4-5',
} as const;

/**
 * Only the exact words `haiku`, `sonnet` and `opus` are aliases; every other string (a dated id,
 * `glm-4.7`, a Bedrock profile id, an ARN) is returned unchanged. Like Claude Code, an alias honours
 * `ANTHROPIC_DEFAULT_{HAIKU,SONNET,OPUS}_MODEL` from the isolated env, so a gateway's own model
 * names win over ours.
 */
export function resolveModelAlias(model: string, env: ProviderEnv = {}): string {
  if (model !== 'haiku' && model !== 'sonnet' && model !== 'opus') return model;
  const override = env[`ANTHROPIC_DEFAULT_${model.toUpperCase()}_MODEL`];
  return override && override.trim() ? override : ALIAS_IDS[model];
}

/** The model the claude provider sends: the setting byte for byte, or the default when empty. */
export function claudeModel(settings: ProviderSettings, env: ProviderEnv = {}): string {
  const raw = settings.CLAUDE_MEM_MODEL;
  return resolveModelAlias(raw && raw.trim() ? raw : DEFAULT_CLAUDE_MODEL, env);
}

export type ClaudeTransport = 'api' | 'agent-sdk';

export function claudeTransport(settings: ProviderSettings): ClaudeTransport {
  const raw = (settings.CLAUDE_MEM_CLAUDE_TRANSPORT ?? '').trim();
  if (raw === '' || raw === 'api') return 'api';
  if (raw === 'agent-sdk') return 'agent-sdk';
  throw new ProviderError(
    'config',
    `CLAUDE_MEM_CLAUDE_TRANSPORT must be "api" or "agent-sdk", got "${raw}". Fix it in settings.json or the settings page.`,
    { errorType: 'config', provider: 'claude' },
  );
}

export function describeClaude(settings: ProviderSettings, env: ProviderEnv): ProviderInfo {
  return {
    provider: 'claude',
    model: claudeModel(settings, env),
    baseUrlHost: hostOf(nonEmpty(env.ANTHROPIC_BASE_URL), 'api.anthropic.com'),
    baseUrl: displayUrl(nonEmpty(env.ANTHROPIC_BASE_URL), 'https://api.anthropic.com'),
  };
}

export interface ClaudeProviderOptions {
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Where the user keeps credentials, for error messages (default: envFilePath()). */
  envPath?: string;
  /** How to load `@anthropic-ai/claude-agent-sdk` (tests point this at a specific copy). */
  loadAgentSdk?: AgentSdkLoader;
  /** Working directory for the agent-sdk subprocess (default: the worker's). */
  cwd?: string;
}

export function missingAnthropicKeyError(envPath: string): ProviderError {
  return new ProviderError(
    'config',
    `The claude provider needs ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN for a Bearer-token gateway) in ${envPath}. ` +
      'Set it with `claude-mem env set ANTHROPIC_API_KEY <key>` (a gateway that ignores the key accepts any non-empty placeholder), ' +
      'then restart the worker with `claude-mem worker restart`. Keys in your shell environment are deliberately not used.',
    { errorType: 'config', provider: 'claude' },
  );
}

/** Wire headers that make the SDK talk like Claude Code: `x-api-key`, Bearer only for a token. */
export function claudeAuthOptions(apiKey: string | undefined, authToken: string | undefined) {
  const headers: Record<string, string | null> = { 'anthropic-version': ANTHROPIC_VERSION };
  if (apiKey) headers['x-api-key'] = apiKey;
  if (authToken) return { authToken, defaultHeaders: headers };
  // The SDK turns `apiKey` into `Authorization: Bearer`; a null default header removes it again,
  // leaving only x-api-key on the wire.
  headers.Authorization = null;
  return { apiKey, defaultHeaders: headers };
}

class ClaudeApiSession implements ProviderSession {
  private readonly inflight = new InFlight();

  constructor(
    private readonly client: Anthropic,
    private readonly model: string,
    private readonly timeoutMs: number,
    private readonly host: string,
  ) {}

  async send(req: SendRequest): Promise<SendResult> {
    checkTurns(req, 'claude');
    const { signal, done } = this.inflight.begin(req.signal, 'claude');
    try {
      const msg = await this.client.messages.create(
        {
          model: this.model,
          max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
          // One cached text block: the instructions are paid for once per cache lifetime.
          ...(req.system ? { system: [{ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } }] } : {}),
          messages: req.turns.map((t) => ({ role: t.role, content: t.content })),
        },
        { signal, timeout: this.timeoutMs },
      );
      const text = msg.content
        .map((b) => (b.type === 'text' ? b.text : ''))
        .join('');
      const requestId = (msg as unknown as { _request_id?: string | null })._request_id ?? undefined;
      return { text, usage: mapAnthropicUsage(msg.usage as unknown as Record<string, unknown>), model: msg.model || this.model, requestId };
    } catch (err) {
      throw mapSdkError(err, { provider: 'claude', host: this.host, timeoutMs: this.timeoutMs, signal });
    } finally {
      done();
    }
  }

  async close(): Promise<void> {
    this.inflight.abortAll();
  }
}

export class ClaudeProvider implements Provider {
  readonly info: ProviderInfo;
  readonly transport: ClaudeTransport;
  private readonly model: string;
  private readonly timeoutMs: number;
  private readonly baseURL: string;
  private readonly apiKey?: string;
  private readonly authToken?: string;

  constructor(
    settings: ProviderSettings,
    private readonly env: ProviderEnv,
    private readonly opts: ClaudeProviderOptions = {},
  ) {
    this.transport = claudeTransport(settings);
    this.info = describeClaude(settings, env);
    this.model = this.info.model;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const base = nonEmpty(env.ANTHROPIC_BASE_URL);
    if (base) {
      checkBaseUrl(base, 'ANTHROPIC_BASE_URL', `Fix it in ${opts.envPath ?? envFilePath()} (e.g. https://gateway.example.com/anthropic).`);
    }
    // Passed on exactly as written: the SDK appends `/v1/messages` itself.
    this.baseURL = base ?? ANTHROPIC_DEFAULT_BASE_URL;
    this.apiKey = nonEmpty(env.ANTHROPIC_API_KEY);
    this.authToken = nonEmpty(env.ANTHROPIC_AUTH_TOKEN);
    // The agent-sdk transport may authenticate through the user's Claude Code login instead.
    if (this.transport === 'api' && !this.apiKey && !this.authToken) {
      throw missingAnthropicKeyError(opts.envPath ?? envFilePath());
    }
  }

  startSession(_ctx: SessionContext): ProviderSession {
    if (this.transport === 'agent-sdk') {
      return new AgentSdkSession({
        env: this.env,
        model: this.model,
        timeoutMs: this.timeoutMs,
        host: this.info.baseUrlHost,
        load: this.opts.loadAgentSdk,
        cwd: this.opts.cwd,
      });
    }
    const client = new Anthropic({
      baseURL: this.baseURL,
      ...claudeAuthOptions(this.apiKey, this.authToken),
      maxRetries: 0, // the memory agent owns retries
      timeout: this.timeoutMs,
      // Explicit values keep the SDK from reading these from process.env.
      webhookKey: null,
      logLevel: 'off',
    });
    return new ClaudeApiSession(client, this.model, this.timeoutMs, this.info.baseUrlHost);
  }
}
