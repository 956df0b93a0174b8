// The plumbing shared by the fake LLM backends: a node:http server on 127.0.0.1 with an ephemeral
// port that records every request and can misbehave on demand (hang, reset, cut a stream).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path including the query string, e.g. `/gateway/anthropic/v1/messages?beta=true`. */
  path: string;
  /** Lowercased names (as node delivers them); repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: any;
  rawBody: string;
}

/** Misbehaviour every fake understands. */
export type FaultReply =
  /** Never answer (until close()). */
  | { hang: true }
  /** Destroy the socket without a response. */
  | { reset: true };

export function isFault(reply: object): reply is FaultReply {
  return 'hang' in reply || 'reset' in reply;
}

export interface FakeServerBase {
  /** `http://127.0.0.1:<port>` — no trailing slash. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Route = (req: RecordedRequest, res: http.ServerResponse) => Promise<void> | void;

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function parseBody(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `port` 0 picks a free one; a fixed port lets a test bring a backend back where it was. */
export async function startFakeHttp(route: Route, port = 0): Promise<FakeServerBase> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: flattenHeaders(req.headers),
        body: parseBody(rawBody),
        rawBody,
      };
      requests.push(rec);
      Promise.resolve()
        .then(() => route(rec, res))
        .catch((err: unknown) => {
          // A broken handler is a test bug: answer 500 with the reason rather than hanging.
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ type: 'error', error: { type: 'fake_handler_error', message: String(err) } }));
          } else {
            res.destroy();
          }
        });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Apply a FaultReply: `hang` leaves the response open, `reset` kills the connection. */
export function applyFault(reply: FaultReply, res: http.ServerResponse): void {
  if ('reset' in reply) res.socket?.destroy();
  // hang: do nothing; close() destroys the socket.
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Start an SSE response; returns a writer for `event:`/`data:` frames. */
export function startSse(res: http.ServerResponse, headers: Record<string, string> = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  return {
    event(name: string | undefined, data: unknown): void {
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      res.write(`${name ? `event: ${name}\n` : ''}data: ${payload}\n\n`);
    },
    end(): void {
      res.end();
    },
    /** Cut the stream mid-way: flush what was written, then kill the connection. */
    cut(): void {
      // Give the written frames a moment to reach the client so it is really "mid-way".
      setTimeout(() => res.socket?.destroy(), 20);
    },
  };
}

/** Collect every string under `text`/`content`/`input` style keys — a rough size of a prompt. */
export function promptChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + promptChars(v), 0);
  if (value && typeof value === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'cache_control' || k === 'type' || k === 'role' || k === 'id' || k === 'tool_use_id') continue;
      n += promptChars(v);
    }
    return n;
  }
  return 0;
}

/** Plain-text view of a chat message's content (string or content blocks). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        if (typeof b === 'string') return b;
        if (b && typeof b === 'object') {
          const o = b as Record<string, unknown>;
          if (typeof o.text === 'string') return o.text;
          if (o.content !== undefined) return contentText(o.content);
        }
        return '';
      })
      .join('');
  }
  return '';
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The default memory-agent answer: one `<observation>` derived from the last user message. */
export function defaultObservationXml(lastUserText: string): string {
  const oneLine = lastUserText.replace(/\s+/g, ' ').trim();
  const title = escapeXml(oneLine.slice(0, 60) || 'Empty event');
  const narrative = escapeXml(oneLine.slice(0, 300));
  return [
    '<observation>',
    '  <type>discovery</type>',
    `  <title>${title}</title>`,
    '  <subtitle>Recorded by the fake backend</subtitle>',
    `  <facts><fact>${title}</fact></facts>`,
    `  <narrative>${narrative}</narrative>`,
    '  <concepts><concept>how-it-works</concept></concepts>',
    '  <files_read></files_read>',
    '  <files_modified></files_modified>',
    '</observation>',
  ].join('\n');
}

/** Split text into a few chunks so streams have more than one delta. */
export function chunksOf(text: string, parts = 3): string[] {
  if (text.length <= parts) return text ? [text] : [];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
