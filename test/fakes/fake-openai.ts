// A fake OpenAI-compatible chat-completions backend (OpenRouter, Ollama, vLLM… all speak this).
// Serves `POST <any prefix>/chat/completions` (JSON, or SSE when `stream: true`), plus a
// deterministic `POST <prefix>/embeddings`, records every request and lets a test script replies.
import type http from 'node:http';
import { createHash } from 'node:crypto';
import {
  applyFault,
  chunksOf,
  contentText,
  defaultObservationXml,
  isFault,
  promptChars,
  sendJson,
  startFakeHttp,
  startSse,
  type FakeServerBase,
  type FaultReply,
  type RecordedRequest,
} from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

export type OpenAIReply =
  | { text: string; usage?: Partial<OpenAIUsage>; model?: string; finishReason?: string; headers?: Record<string, string> }
  /**
   * An HTTP error. Without `body`, `{error:{message,type,code}}` is built from the fields; a string
   * `body` is sent as text/plain. An `x-request-id` header is always added.
   */
  | { status: number; body?: unknown; message?: string; errorType?: string; code?: string | null; headers?: Record<string, string> }
  | { truncate: true; text?: string }
  | FaultReply;

export type OpenAIHandler = (req: RecordedRequest) => OpenAIReply | Promise<OpenAIReply>;

export interface FakeOpenAI extends FakeServerBase {
  setHandler(fn: OpenAIHandler): void;
  /** Requests to `.../chat/completions` only. */
  chatRequests(): RecordedRequest[];
}

export interface FakeOpenAIOptions {
  handler?: OpenAIHandler;
  /** Length of the vectors `/embeddings` returns (default 8). */
  embeddingDim?: number;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'server_error',
};

export function openaiErrorBody(status: number, message: string, errorType?: string, code: string | null = null) {
  return { error: { message, type: errorType ?? ERROR_TYPES[status] ?? 'server_error', param: null, code } };
}

export function lastUserChatText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return contentText(messages[i].content);
  }
  return '';
}

export const defaultOpenAIHandler: OpenAIHandler = (req) => ({ text: defaultObservationXml(lastUserChatText(req.body)) });

/** A unit-length vector derived from the text's hash: equal texts embed equally. */
export function fakeEmbedding(text: string, dim: number): number[] {
  const bytes = createHash('sha256').update(text).digest();
  const v = Array.from({ length: dim }, (_, i) => bytes[i % bytes.length] / 255 - 0.5);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const pathOnly = (p: string) => p.split('?')[0].replace(/\/+$/, '');

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let handler: OpenAIHandler = opts.handler ?? defaultOpenAIHandler;
  const dim = opts.embeddingDim ?? 8;
  let counter = 0;

  async function onChat(req: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const n = ++counter;
    const requestId = `req_fake_oa_${String(n).padStart(6, '0')}`;
    const reply = await handler(req);
    if (isFault(reply)) return applyFault(reply, res);
    const body = req.body ?? {};
    const model = typeof body.model === 'string' ? body.model : 'fake-model';

    if ('status' in reply) {
      const headers = { 'x-request-id': requestId, ...(reply.headers ?? {}) };
      if (typeof reply.body === 'string') {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...headers });
        res.end(reply.body);
        return;
      }
      const errBody = reply.body ?? openaiErrorBody(reply.status, reply.message ?? `fake error ${reply.status}`, reply.errorType, reply.code ?? null);
      return sendJson(res, reply.status, errBody, headers);
    }

    const text = reply.text ?? '';
    const truncate = 'truncate' in reply;
    const promptTokens = Math.ceil(promptChars(body.messages ?? []) / 4);
    const completionTokens = Math.max(1, Math.ceil(text.length / 4));
    const usage: OpenAIUsage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...('usage' in reply ? reply.usage : {}),
    };
    const finishReason = ('finishReason' in reply && reply.finishReason) || 'stop';
    const replyModel = ('model' in reply && reply.model) || model;
    const extraHeaders = ('headers' in reply && reply.headers) || {};
    const id = `chatcmpl-fake-${n}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream !== true) {
      const completion = {
        id,
        object: 'chat.completion',
        created,
        model: replyModel,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs: null }],
        usage,
      };
      if (truncate) {
        const full = JSON.stringify(completion);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full), 'x-request-id': requestId });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      return sendJson(res, 200, completion, { 'x-request-id': requestId, ...extraHeaders });
    }

    const sse = startSse(res, { 'x-request-id': requestId, ...extraHeaders });
    const chunk = (delta: object, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: replyModel,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    sse.event(undefined, chunk({ role: 'assistant', content: '' }, null));
    for (const part of chunksOf(text)) {
      sse.event(undefined, chunk({ content: part }, null));
      if (truncate) return sse.cut();
    }
    if (truncate) return sse.cut();
    sse.event(undefined, chunk({}, finishReason));
    if (body.stream_options?.include_usage) {
      sse.event(undefined, { id, object: 'chat.completion.chunk', created, model: replyModel, choices: [], usage });
    }
    sse.event(undefined, '[DONE]');
    sse.end();
  }

  const base = await startFakeHttp(async (req, res) => {
    const p = pathOnly(req.path);
    if (req.method === 'POST' && p.endsWith('/chat/completions')) return onChat(req, res);
    if (req.method === 'POST' && p.endsWith('/embeddings')) {
      const input: string[] = Array.isArray(req.body?.input) ? req.body.input : [String(req.body?.input ?? '')];
      // The openai SDK asks for base64 (little-endian float32) by default and decodes it itself.
      const base64 = req.body?.encoding_format === 'base64';
      const encode = (v: number[]) => (base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
      return sendJson(res, 200, {
        object: 'list',
        model: req.body?.model ?? 'fake-embed',
        data: input.map((text, index) => ({ object: 'embedding', index, embedding: encode(fakeEmbedding(text, dim)) })),
        usage: { prompt_tokens: Math.ceil(promptChars(input) / 4), total_tokens: Math.ceil(promptChars(input) / 4) },
      });
    }
    return sendJson(res, 404, openaiErrorBody(404, `fake-openai: no route for ${req.method} ${req.path}`));
  });

  return {
    ...base,
    setHandler(fn) {
      handler = fn;
    },
    chatRequests: () => base.requests.filter((r) => pathOnly(r.path).endsWith('/chat/completions')),
  };
}
