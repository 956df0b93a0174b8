// The MCP server's kept-alive worker connection (api/provenConnection.ts): the listener proves it
// holds the token once per TCP connection, the token travels only on a proven connection, and a
// connection the worker closed is proven again before the next request.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { provenConnection } from '../../src/api/provenConnection.js';
import { ensureWorkerToken, proveToken } from '../../src/config/workerToken.js';
import { tempDir } from '../helpers/worker.js';

let server: http.Server;
let url: string;
let token: string;
let savedDir: string | undefined;
/** Each request: its path, its connection's number, whether it carried the token. */
const log: Array<{ path: string; conn: number; authed: boolean }> = [];
const conns = new WeakMap<Socket, number>();
let nextConn = 0;

beforeAll(async () => {
  const dir = tempDir('cm-proven-');
  savedDir = process.env.CLAUDE_MEM_DATA_DIR;
  process.env.CLAUDE_MEM_DATA_DIR = dir;
  token = ensureWorkerToken(dir).token;
  expect(fs.existsSync(path.join(dir, 'worker.token'))).toBe(true);
  // Plays the worker: answers the proof with the real HMAC, and everything else with {}.
  server = http.createServer((req, res) => {
    if (!conns.has(req.socket)) conns.set(req.socket, ++nextConn);
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      log.push({ path: req.url ?? '', conn: conns.get(req.socket)!, authed: req.headers.authorization === `Bearer ${token}` });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/api/auth/prove') res.end(JSON.stringify({ proof: proveToken(token, (JSON.parse(body) as { nonce: string }).nonce) }));
      else res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (savedDir === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
  else process.env.CLAUDE_MEM_DATA_DIR = savedDir;
});

it('proves the worker once per connection and sends the token only on a proven one', async () => {
  const conn = provenConnection(url);
  for (let i = 0; i < 5; i++) expect((await conn.request('POST', '/api/hooks/PreToolUse', { i })).status).toBe(200);
  expect(log.map((l) => l.path)).toEqual(['/api/auth/prove', ...Array(5).fill('/api/hooks/PreToolUse')]);
  // One connection for all six, and the token on every request but the proof.
  expect(new Set(log.map((l) => l.conn)).size).toBe(1);
  expect(log.map((l) => l.authed)).toEqual([false, true, true, true, true, true]);

  // The worker drops the idle connection (a restart, its keep-alive timeout): prove the new one first.
  log.length = 0;
  server.closeIdleConnections();
  await new Promise((r) => setTimeout(r, 50));
  expect((await conn.request('GET', '/api/x')).status).toBe(200);
  expect(log.map((l) => [l.path, l.authed])).toEqual([
    ['/api/auth/prove', false],
    ['/api/x', true],
  ]);
  expect(log[0].conn).toBe(log[1].conn);
});
