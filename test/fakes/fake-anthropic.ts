// A fake Anthropic Messages API for tests. Serves `POST <any prefix>/v1/messages` (JSON or SSE when
// `stream: true`) and `<prefix>/v1/messages/count_tokens`, records every request, and lets a test
// script each reply: text, a tool_use block, an API error, a hang, a reset or a cut stream.
//
// Usage numbers are deterministic: ~1 token per 4 characters of system + messages. When the system
// prompt carries `cache_control` the system part is reported as a cache write the first time a given
// system text is seen and as a cache read afterwards; like the real API, `input_tokens` then counts
// only the uncached remainder.
import type http from 'node:http';
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

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface ToolUseSpec {
  name: string;
  input: unknown;
  id?: string;
}

export type AnthropicReply =
  /** A normal answer. `usage` overrides the computed numbers field by field. */
  | { text: string; usage?: Partial<AnthropicUsage>; model?: string; stopReason?: string; headers?: Record<string, string> }
  /** A tool_use content block (after optional text); stop_reason `tool_use`. */
  | { toolUse: ToolUseSpec; text?: string; usage?: Partial<AnthropicUsage> }
  /**
   * An HTTP error. Without `body` the Anthropic shape is built from `errorType`/`message`; a string
   * `body` is sent as text/plain (what some gateways do). A `request-id` header is always added.
   */
  | { status: number; body?: unknown; errorType?: string; message?: string; headers?: Record<string, string> }
  /** Stream (or JSON body) cut off mid-way by destroying the socket. */
  | { truncate: true; text?: string }
  | FaultReply;

export type AnthropicHandler = (req: RecordedRequest) => AnthropicReply | Promise<AnthropicReply>;

export interface FakeAnthropic extends FakeServerBase {
  setHandler(fn: AnthropicHandler): void;
  /** Requests to `.../v1/messages` only (not count_tokens or unknown paths). */
  messageRequests(): RecordedRequest[];
}

export interface FakeAnthropicOptions {
  handler?: AnthropicHandler;
  /** Listen on this port (default: a free one). */
  port?: number;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, message: string, errorType?: string) {
  return { type: 'error', error: { type: errorType ?? ERROR_TYPES[status] ?? 'api_error', message } };
}

/** The last user message's plain text (what the default handler summarises). */
export function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return contentText(messages[i].content);
  }
  return '';
}

export const defaultAnthropicHandler: AnthropicHandler = (req) => ({ text: defaultObservationXml(lastUserText(req.body)) });

const pathOnly = (p: string) => p.split('?')[0].replace(/\/+$/, '');

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  let handler: AnthropicHandler = opts.handler ?? defaultAnthropicHandler;
  const seenSystems = new Set<string>();
  let counter = 0;

  function computeUsage(body: any, outputText: string): AnthropicUsage {
    const system = body?.system;
    const total = Math.ceil(promptChars([system ?? '', body?.messages ?? []]) / 4);
    const usage: AnthropicUsage = {
      input_tokens: total,
      output_tokens: Math.max(1, Math.ceil(outputText.length / 4)),
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    };
    const cacheable = Array.isArray(system) && system.some((b: any) => b && typeof b === 'object' && b.cache_control);
    if (cacheable) {
      const key = contentText(system);
      const systemTokens = Math.ceil(promptChars(system) / 4);
      if (seenSystems.has(key)) usage.cache_read_input_tokens = systemTokens;
      else usage.cache_creation_input_tokens = systemTokens;
      seenSystems.add(key);
      usage.input_tokens = Math.max(0, total - systemTokens);
    }
    return usage;
  }

  async function onMessages(req: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const n = ++counter;
    const requestId = `req_fake_${String(n).padStart(6, '0')}`;
    const reply = await handler(req);
    if (isFault(reply)) return applyFault(reply, res);
    const body = req.body ?? {};
    const model = typeof body.model === 'string' ? body.model : 'claude-fake';
    const stream = body.stream === true;

    if ('status' in reply) {
      const headers = { 'request-id': requestId, ...(reply.headers ?? {}) };
      if (typeof reply.body === 'string') {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...headers });
        res.end(reply.body);
        return;
      }
      const errBody = reply.body ?? anthropicErrorBody(reply.status, reply.message ?? `fake error ${reply.status}`, reply.errorType);
      return sendJson(res, reply.status, errBody, headers);
    }

    const text = 'text' in reply && typeof reply.text === 'string' ? reply.text : '';
    const toolUse = 'toolUse' in reply ? { id: `toolu_fake_${n}`, ...reply.toolUse } : undefined;
    const truncate = 'truncate' in reply;
    const usage = {
      ...computeUsage(body, text + (toolUse ? JSON.stringify(toolUse.input) : '')),
      ...('usage' in reply ? reply.usage : {}),
    };
    const stopReason = toolUse ? 'tool_use' : ('stopReason' in reply && reply.stopReason) || 'end_turn';
    const replyModel = ('model' in reply && reply.model) || model;
    const extraHeaders = ('headers' in reply && reply.headers) || {};
    const id = `msg_fake_${n}`;

    const blocks: any[] = [];
    if (text || !toolUse) blocks.push({ type: 'text', text });
    if (toolUse) blocks.push({ type: 'tool_use', id: toolUse.id, name: toolUse.name, input: toolUse.input ?? {} });

    if (!stream) {
      const message = {
        id,
        type: 'message',
        role: 'assistant',
        model: replyModel,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      };
      if (truncate) {
        const full = JSON.stringify(message);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full), 'request-id': requestId });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      return sendJson(res, 200, message, { 'request-id': requestId, ...extraHeaders });
    }

    const sse = startSse(res, { 'request-id': requestId, ...extraHeaders });
    sse.event('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: replyModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    sse.event('ping', { type: 'ping' });
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        sse.event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        const parts = chunksOf(block.text);
        for (const [i, part] of parts.entries()) {
          sse.event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
          if (truncate && i === 0) return sse.cut();
        }
        if (truncate && parts.length === 0) return sse.cut();
      } else {
        sse.event('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        for (const part of chunksOf(JSON.stringify(block.input))) {
          sse.event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        }
      }
      sse.event('content_block_stop', { type: 'content_block_stop', index });
    }
    sse.event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    sse.event('message_stop', { type: 'message_stop' });
    sse.end();
  }

  const base = await startFakeHttp(async (req, res) => {
    const p = pathOnly(req.path);
    if (req.method === 'POST' && p.endsWith('/v1/messages')) return onMessages(req, res);
    if (req.method === 'POST' && p.endsWith('/v1/messages/count_tokens')) {
      return sendJson(res, 200, { input_tokens: Math.ceil(promptChars([req.body?.system ?? '', req.body?.messages ?? []]) / 4) });
    }
    return sendJson(res, 404, anthropicErrorBody(404, `fake-anthropic: no route for ${req.method} ${req.path}`), {
      'request-id': `req_fake_404_${++counter}`,
    });
  }, opts.port);

  return {
    ...base,
    setHandler(fn) {
      handler = fn;
    },
    messageRequests: () => base.requests.filter((r) => pathOnly(r.path).endsWith('/v1/messages')),
  };
}
