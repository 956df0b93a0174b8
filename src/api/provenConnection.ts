// One kept-alive connection to the worker that proved, once, that it holds this user's token — for a
// long-lived process that asks often (the MCP server answering hooks). workerClient.ts proves the
// listener before every request; here the proof is per connection: a squatter cannot take over an
// established TCP connection, so the token only ever travels on a socket that carried a valid proof.
// node:http, not fetch: loading undici costs ~40 ms, on the first prompt of every session.
import http from 'node:http';
import type { Socket } from 'node:net';
import { newNonce, PROVE_PATH, provesToken, readWorkerToken } from '../config/workerToken.js';
import { WorkerImpostorError, WorkerUnreachableError } from './workerClient.js';

export interface ProvenConnection {
  request(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; text: string }>;
  /** Proves the worker now, so the first real request does not wait for it; errors are ignored. */
  warm(): void;
}

class Unproven extends Error {}

/** `baseUrl`: the worker's, as workerBaseUrl() gives it. */
export function provenConnection(baseUrl: string): ProvenConnection {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const proven = new WeakSet<Socket>();

  /** `auth(socket)`: the Authorization header for this socket, or null to refuse sending on it. */
  const send = (method: string, path: string, body: unknown, timeoutMs: number, auth?: (s: Socket) => string | null) =>
    new Promise<{ status: number; text: string; socket: Socket }>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request({
        host,
        port,
        method,
        path,
        agent,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      });
      req.on('timeout', () => req.destroy(new WorkerUnreachableError(baseUrl, `no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof Unproven || e instanceof WorkerUnreachableError ? e : new WorkerUnreachableError(baseUrl, e.message)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), socket: req.socket as Socket }));
        res.on('error', (e) => reject(new WorkerUnreachableError(baseUrl, e.message)));
      });
      req.on('socket', (socket) => {
        if (auth) {
          const header = auth(socket);
          if (header === null) return req.destroy(new Unproven());
          req.setHeader('authorization', header);
        }
        req.end(payload);
      });
    });

  const prove = async (token: string, timeoutMs: number) => {
    const nonce = newNonce();
    const r = await send('POST', PROVE_PATH, { nonce }, timeoutMs);
    if (!provesToken(token, nonce, r.status, r.text)) throw new WorkerImpostorError(baseUrl);
    proven.add(r.socket);
  };

  const request: ProvenConnection['request'] = async (method, path, body, timeoutMs = 3000) => {
    const token = readWorkerToken();
    if (!token) throw new WorkerUnreachableError(baseUrl, 'no worker token in the data dir yet');
    // A new connection (first use, or the worker closed an idle one) is proven first.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const { status, text } = await send(method, path, body, timeoutMs, (s) => (proven.has(s) ? `Bearer ${token}` : null));
        return { status, text };
      } catch (err) {
        if (!(err instanceof Unproven)) throw err;
        await prove(token, timeoutMs);
      }
    }
    throw new WorkerUnreachableError(baseUrl, 'the proven connection kept closing');
  };

  return {
    request,
    warm() {
      const token = readWorkerToken();
      if (token) prove(token, 1000).catch(() => undefined);
    },
  };
}
