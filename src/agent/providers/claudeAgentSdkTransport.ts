// The `agent-sdk` transport of the claude provider: each send() runs one short Claude Agent SDK
// query (a Claude Code subprocess) with no tools and no settings, so users signed in to Claude Code
// can use that login instead of an API key.
//
// Design: one query per send, with the bounded history rendered into the prompt. A long-lived
// streaming query would keep a subprocess (~100+ MB) alive per Claude Code session and makes its
// own decisions about history and compaction; a one-shot query with maxTurns 1 costs a process
// start per event but holds nothing between events, honours the memory agent's bounded window
// exactly, and leaves nothing to reap if the worker dies.
import { formatHttpErrorMessage, kindForStatus, networkCauseText } from './errors.js';
import { checkTurns, InFlight, mapAnthropicUsage, type ProviderEnv } from './providerShared.js';
import { ProviderError, type ProviderErrorKind, type ProviderSession, type SendRequest, type SendResult, type Turn } from './providers.js';

export const AGENT_SDK_PACKAGE = '@anthropic-ai/claude-agent-sdk';

/** The slice of the Agent SDK this transport uses. */
export interface AgentSdkQuery extends AsyncIterable<Record<string, any>> {
  close(): void;
}
export interface AgentSdkModule {
  query(params: { prompt: string; options?: Record<string, unknown> }): AgentSdkQuery;
}
export type AgentSdkLoader = () => Promise<AgentSdkModule>;

const defaultLoader: AgentSdkLoader = async () => {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const specifier = AGENT_SDK_PACKAGE;
  return (await import(/* @vite-ignore */ specifier)) as AgentSdkModule;
};

export function agentSdkMissingError(cause: unknown): ProviderError {
  return new ProviderError(
    'config',
    `CLAUDE_MEM_CLAUDE_TRANSPORT=agent-sdk needs the optional package ${AGENT_SDK_PACKAGE}, which could not be loaded ` +
      `(${networkCauseText(cause)}). Install it with \`npm install ${AGENT_SDK_PACKAGE}\` next to claude-mem, ` +
      'or set CLAUDE_MEM_CLAUDE_TRANSPORT=api.',
    { errorType: 'config', provider: 'claude' },
  );
}

/** History as one prompt: earlier turns as a transcript, the newest user turn last and unwrapped. */
export function renderTurnsAsPrompt(turns: Turn[]): string {
  if (turns.length === 1) return turns[0].content;
  const history = turns
    .slice(0, -1)
    .map((t) => `<turn role="${t.role}">\n${t.content}\n</turn>`)
    .join('\n');
  return [
    'Earlier turns of this conversation, oldest first:',
    `<conversation_history>\n${history}\n</conversation_history>`,
    '',
    'Current message:',
    turns[turns.length - 1].content,
  ].join('\n');
}

/** Claude Code's `SDKAssistantMessageError` values → our kinds. */
const ASSISTANT_ERROR_KINDS: Record<string, ProviderErrorKind> = {
  authentication_failed: 'auth',
  oauth_org_not_allowed: 'auth',
  account_on_hold: 'auth',
  verification_required: 'auth',
  cloud_credential_error: 'auth',
  billing_error: 'quota',
  rate_limit: 'rate_limit',
  overloaded: 'transient',
  server_error: 'transient',
  invalid_request: 'invalid_request',
  model_not_found: 'invalid_request',
  max_output_tokens: 'invalid_request',
};

interface AgentSdkSessionOptions {
  env: ProviderEnv;
  model: string;
  timeoutMs: number;
  host: string;
  load?: AgentSdkLoader;
  cwd?: string;
}

const STDERR_TAIL = 2000;

export class AgentSdkSession implements ProviderSession {
  private readonly inflight = new InFlight();
  private readonly running = new Set<AgentSdkQuery>();
  private sdk?: Promise<AgentSdkModule>;

  constructor(private readonly o: AgentSdkSessionOptions) {}

  private loadSdk(): Promise<AgentSdkModule> {
    this.sdk ??= (this.o.load ?? defaultLoader)().catch((err: unknown) => {
      this.sdk = undefined; // let a later send retry after the user installs it
      throw agentSdkMissingError(err);
    });
    return this.sdk;
  }

  async send(req: SendRequest): Promise<SendResult> {
    checkTurns(req, 'claude');
    const sdk = await this.loadSdk();
    const { signal, done } = this.inflight.begin(req.signal, 'claude');
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abortController.abort();
    }, this.o.timeoutMs);
    let stderr = '';

    const q = sdk.query({
      prompt: renderTurnsAsPrompt(req.turns),
      options: {
        model: this.o.model,
        systemPrompt: req.system,
        // The subprocess gets the isolated env and nothing else (the SDK replaces, not merges).
        // Two additions: Claude Code's own retries are off because the memory agent owns retries,
        // and it must not phone home for updates/telemetry on the user's behalf.
        env: {
          ...this.o.env,
          CLAUDE_CODE_MAX_RETRIES: this.o.env.CLAUDE_CODE_MAX_RETRIES ?? '0',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: this.o.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ?? '1',
        },
        tools: [],
        allowedTools: [],
        mcpServers: {},
        strictMcpConfig: true,
        settingSources: [], // no user/project settings: no hooks, plugins or CLAUDE.md
        permissionMode: 'dontAsk',
        maxTurns: 1,
        persistSession: false, // no transcripts in ~/.claude/projects
        abortController,
        ...(this.o.cwd ? { cwd: this.o.cwd } : {}),
        stderr: (data: string) => {
          stderr = (stderr + data).slice(-STDERR_TAIL);
        },
      },
    });
    this.running.add(q);

    try {
      let result: Record<string, any> | undefined;
      let assistant: Record<string, any> | undefined;
      for await (const m of q) {
        if (m.type === 'assistant') assistant = m;
        if (m.type === 'result') {
          result = m;
          break;
        }
      }
      if (!result) throw new Error('Claude Code exited without a result');
      return this.toResult(result, assistant);
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (timedOut) {
        throw new ProviderError('transient', `Request timed out after ${this.o.timeoutMs / 1000}s waiting for ${this.o.host} (agent-sdk)`, {
          errorType: 'timeout',
          provider: 'claude',
        });
      }
      if (signal.aborted) {
        throw new ProviderError('transient', 'Request aborted before the backend answered', { errorType: 'aborted', provider: 'claude' });
      }
      const tail = stderr.trim() ? ` — stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
      throw new ProviderError('transient', `Claude Agent SDK failed: ${networkCauseText(err)}${tail}`, {
        errorType: 'agent_sdk_error',
        provider: 'claude',
      });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.running.delete(q);
      q.close(); // terminates the subprocess if it is still alive
      done();
    }
  }

  private toResult(result: Record<string, any>, assistant: Record<string, any> | undefined): SendResult {
    const requestId: string | undefined = assistant?.request_id ?? undefined;
    const failed = result.is_error === true || result.subtype !== 'success';
    if (!failed) {
      const model = assistant?.message?.model ?? this.o.model;
      return { text: String(result.result ?? ''), usage: mapAnthropicUsage(result.usage), model, requestId };
    }
    // Claude Code reports API failures as text. For some statuses (401) it replaces the backend's
    // message with its own advice; the status, error type and request id still come through.
    const message =
      (typeof result.result === 'string' && result.result) ||
      (Array.isArray(result.errors) && result.errors.join('; ')) ||
      `Claude Code ended with ${result.subtype}`;
    const status = numberOr(result.api_error_status, assistant?.api_error_status);
    const apiType: string | undefined = result.api_error_type ?? assistant?.api_error_type ?? undefined;
    const kind: ProviderErrorKind =
      status !== undefined
        ? kindForStatus(status, apiType, message)
        : (ASSISTANT_ERROR_KINDS[assistant?.error as string] ?? 'transient');
    const text =
      status !== undefined
        ? formatHttpErrorMessage({ status, errorType: apiType, message, requestId })
        : `${message}${requestId ? ` (request-id: ${requestId})` : ''}`;
    throw new ProviderError(kind, text, { status, requestId, errorType: apiType ?? assistant?.error, provider: 'claude' });
  }

  async close(): Promise<void> {
    this.inflight.abortAll();
    for (const q of this.running) q.close();
    this.running.clear();
  }
}

function numberOr(...values: unknown[]): number | undefined {
  return values.find((v): v is number => typeof v === 'number');
}
