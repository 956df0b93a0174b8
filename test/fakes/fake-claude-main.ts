/**
 * A scripted fake of the Anthropic Messages API, good enough to drive the real Claude Code CLI
 * (2.1.332) headless in end-to-end tests.
 *
 * Requests whose `tools` include `Bash` come from the main agent and play the script; anything
 * else (title generation, memory-agent calls that reuse ANTHROPIC_BASE_URL, ...) gets a short text.
 *
 * The script position is derived from the conversation itself: the number of assistant turns
 * after the last human message (a user message without tool_result blocks). That keeps it stable
 * when Claude Code retries a request, and lets a `--resume`d session (whose history already holds
 * earlier turns) start its own script at step 0. Use `reset(script)` between CLI runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface ScriptedToolUse {
  name: string;
  input: Record<string, unknown>;
}

/** One main-agent turn: call tool(s) (optionally after some text), or answer with final text. */
export type ScriptStep =
  | { toolUse: ScriptedToolUse; text?: string }
  | { toolUses: ScriptedToolUse[]; text?: string }
  | { text: string };

export type RequestKind = 'main' | 'side' | 'count_tokens' | 'other';

export interface RecordedRequest {
  method: string;
  /** Path including the query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON (undefined when empty). */
  body: unknown;
  kind: RequestKind;
  /** For `main` requests: the script step that was played (may be >= script length). */
  step?: number;
  /** The reply, for debugging failed e2e runs. */
  reply?: { stopReason: string; text?: string; toolUses?: Array<{ id: string; name: string }> };
}

export interface ScriptedClaude {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  /** Replace the script (for the next CLI run); recorded requests are kept. */
  reset(script: ScriptStep[]): void;
  /** The main-agent requests only. */
  mainRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export interface ScriptedClaudeOptions {
  /** Final text once the script is exhausted. */
  fallbackText?: string;
  /** Text answered to side requests (no Bash tool offered). */
  sideText?: string;
  /**
   * Computes the answer to a side request instead of `sideText`: e.g. the memory agent when its
   * provider points at this same fake (hooks and the worker inherit Claude Code's ANTHROPIC_BASE_URL).
   */
  sideReply?: (request: RecordedRequest) => string;
  /** Model id echoed back when the request names none. */
  model?: string;
  /**
   * Awaited before a main-agent step is answered (e.g. kill or restart the memory worker at a given
   * point of the session). Called once per step number even if Claude Code retries the request.
   */
  beforeStep?: (step: number) => Promise<void> | void;
}

interface MessageLike {
  role?: string;
  content?: unknown;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let out = prefix;
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

function validateScript(script: ScriptStep[]): ScriptStep[] {
  if (!Array.isArray(script)) throw new TypeError('script must be an array of ScriptStep');
  script.forEach((step, i) => {
    const s = step as Partial<Record<'toolUse' | 'toolUses' | 'text', unknown>>;
    const uses = s.toolUse !== undefined ? [s.toolUse] : s.toolUses;
    if (uses === undefined) {
      if (typeof s.text !== 'string') throw new TypeError(`script[${i}] needs toolUse, toolUses or text`);
      return;
    }
    if (!Array.isArray(uses) || uses.length === 0) throw new TypeError(`script[${i}].toolUses must be a non-empty array`);
    for (const u of uses as Array<Partial<ScriptedToolUse>>) {
      if (!u || typeof u.name !== 'string' || !u.name) throw new TypeError(`script[${i}] tool use needs a string name`);
      if (!u.input || typeof u.input !== 'object') throw new TypeError(`script[${i}] tool use "${u.name}" needs an input object`);
    }
  });
  return script;
}

function hasToolResult(content: unknown): boolean {
  return Array.isArray(content) && content.some((b) => (b as { type?: string })?.type === 'tool_result');
}

/** Assistant turns since the last human message: the main agent's position in the script. */
export function scriptPosition(messages: MessageLike[]): number {
  let lastHuman = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user' && !hasToolResult(m.content)) lastHuman = i;
  });
  return messages.slice(lastHuman + 1).filter((m) => m.role === 'assistant').length;
}

function offersTool(body: unknown, name: string): boolean {
  const tools = (body as { tools?: unknown })?.tools;
  return Array.isArray(tools) && tools.some((t) => (t as { name?: string })?.name === name);
}

interface Reply {
  text?: string;
  toolUses: Array<{ id: string; name: string; input: Record<string, unknown> }>;
}

function replyFor(step: ScriptStep | undefined, fallback: string): Reply {
  if (!step) return { text: fallback, toolUses: [] };
  const uses = 'toolUse' in step ? [step.toolUse] : 'toolUses' in step ? step.toolUses : [];
  return {
    text: step.text,
    toolUses: uses.map((u) => ({ id: randomId('toolu_01'), name: u.name, input: u.input })),
  };
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function usage(outputTokens: number) {
  return {
    input_tokens: 100,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function writeStream(res: http.ServerResponse, model: string, reply: Reply): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': randomId('req_'),
  });
  const stopReason = reply.toolUses.length > 0 ? 'tool_use' : 'end_turn';
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id: randomId('msg_01'),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage(1),
    },
  });
  let index = 0;
  if (reply.text) {
    sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: reply.text } });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  for (const use of reply.toolUses) {
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: use.id, name: use.name, input: {} },
    });
    sse(res, 'content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(use.input) },
    });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: usage(20) });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function writeJsonMessage(res: http.ServerResponse, model: string, reply: Reply): void {
  const content: unknown[] = [];
  if (reply.text) content.push({ type: 'text', text: reply.text });
  for (const u of reply.toolUses) content.push({ type: 'tool_use', id: u.id, name: u.name, input: u.input });
  writeJson(res, 200, {
    id: randomId('msg_01'),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: reply.toolUses.length > 0 ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usage(20),
  });
}

function writeJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function parseBody(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startScriptedClaude(
  script: ScriptStep[],
  options: ScriptedClaudeOptions = {},
): Promise<ScriptedClaude> {
  let current = validateScript(script);
  const requests: RecordedRequest[] = [];
  const fallbackText = options.fallbackText ?? 'Done.';
  const sideText = options.sideText ?? 'Scripted session';

  const stepsRun = new Set<number>();
  const answer = (res: http.ServerResponse, model: string, reply: Reply, rec: RecordedRequest) => {
    rec.reply = {
      stopReason: reply.toolUses.length > 0 ? 'tool_use' : 'end_turn',
      text: reply.text,
      toolUses: reply.toolUses.map(({ id, name }) => ({ id, name })),
    };
    if ((rec.body as { stream?: boolean } | undefined)?.stream) writeStream(res, model, reply);
    else writeJsonMessage(res, model, reply);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const pathname = path.split('?')[0];
      const body = parseBody(Buffer.concat(chunks).toString('utf8'));
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, kind: 'other' };
      requests.push(rec);

      if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
        rec.kind = 'count_tokens';
        writeJson(res, 200, { input_tokens: 100 });
        return;
      }
      if (req.method === 'POST' && pathname === '/v1/messages') {
        const b = (body ?? {}) as { model?: string; stream?: boolean; messages?: MessageLike[] };
        const model = b.model ?? options.model ?? 'claude-sonnet-4-5';
        let reply: Reply;
        if (offersTool(body, 'Bash')) {
          rec.kind = 'main';
          rec.step = scriptPosition(Array.isArray(b.messages) ? b.messages : []);
          const step = rec.step;
          if (options.beforeStep && !stepsRun.has(step)) {
            stepsRun.add(step);
            void Promise.resolve(options.beforeStep(step)).then(
              () => answer(res, model, replyFor(current[step], fallbackText), rec),
              (err: unknown) =>
                writeJson(res, 500, { type: 'error', error: { type: 'api_error', message: `fake: beforeStep failed: ${String(err)}` } }),
            );
            return;
          }
          reply = replyFor(current[rec.step], fallbackText);
        } else {
          rec.kind = 'side';
          reply = { text: options.sideReply ? options.sideReply(rec) : sideText, toolUses: [] };
        }
        answer(res, model, reply, rec);
        return;
      }
      // Claude Code's reachability probe; only sent when nonessential traffic is enabled.
      if (req.method === 'GET' && pathname === '/api/hello') {
        writeJson(res, 200, { message: 'hello' });
        return;
      }
      // Anything else (none seen from 2.1.332 with nonessential traffic disabled): recorded, 404.
      writeJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `fake: no route ${req.method} ${pathname}` } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reset(next: ScriptStep[]) {
      current = validateScript(next);
      stepsRun.clear();
    },
    mainRequests: () => requests.filter((r) => r.kind === 'main'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
