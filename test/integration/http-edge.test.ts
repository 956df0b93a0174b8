// The worker's HTTP edges — validation that names the field, non-JSON,
// DNS-rebinding and cross-origin refusal, no wildcard CORS, body size limit, JSON 404s — and the
// worker never falls over on bad input.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, getJson, runHook, startWorker, type WorkerHandle } from '../helpers/worker.js';

let w: WorkerHandle;
beforeAll(async () => {
  w = await startWorker();
});
afterAll(async () => {
  await w?.stop();
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => Record<string, unknown>;
}

/** node:http rather than fetch: fetch will not send a foreign Host header. */
function raw(method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // The worker token (issue 16): these tests are about the edges, not about getting in.
    const headers: Record<string, string | number> = { ...authHeaders(w.url), ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = http.request({ host: '127.0.0.1', port: w.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', (e) => reject(e));
    req.end(opts.body);
  });
}

/**
 * Status line of a large POST sent over a plain socket. Declared size (Content-Length): only the
 * headers are sent, so a 413 proves the worker refuses by the declared size without reading the
 * body (and no early-close race can hide the answer). Chunked: the body is streamed, so the worker
 * has to count while reading.
 */
function statusOfLargePost(path: string, body: string, mode: 'declared' | 'chunked'): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(w.port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        resolve(Number(m[1]));
        sock.destroy();
      }
    });
    sock.on('error', () => {}); // EPIPE/ECONNRESET once the worker stopped reading: expected
    sock.on('close', () => reject(new Error(`connection closed without a status line: ${JSON.stringify(got.slice(0, 200))}`)));
    const buf = Buffer.from(body);
    const head = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${w.port}`, 'Content-Type: application/json', 'Connection: close'];
    for (const [k, v] of Object.entries(authHeaders(w.url))) head.push(`${k}: ${v}`);
    head.push(mode === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${buf.length}`);
    sock.write(head.join('\r\n') + '\r\n\r\n');
    if (mode === 'declared') return;
    for (let i = 0; i < buf.length; i += 1 << 20) {
      const part = buf.subarray(i, i + (1 << 20));
      sock.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
    }
    sock.write('0\r\n\r\n');
  });
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  raw('POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

const good = {
  init: { session_id: 's-http', cwd: '/tmp/http-project', prompt: 'hello' },
  observations: { session_id: 's-http', cwd: '/tmp/http-project', tool_name: 'Read', tool_input: {}, tool_response: 'ok', tool_use_id: 'toolu_http_1' },
  summarize: { session_id: 's-http', cwd: '/tmp/http-project', last_assistant_message: 'done' },
  end: { session_id: 's-http' },
} as const;

describe('hook endpoints validate their bodies', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['/api/sessions/init', { cwd: '/tmp/x' }, /session_id/],
    ['/api/sessions/init', { session_id: 's', cwd: 42 }, /cwd/],
    ['/api/sessions/init', { session_id: '', cwd: '/tmp/x' }, /session_id/],
    ['/api/sessions/init', { session_id: 's', cwd: '/tmp/x', prompt: { text: 'hi' } }, /prompt/],
    ['/api/sessions/observations', { ...good.observations, tool_use_id: undefined }, /tool_use_id/],
    ['/api/sessions/observations', { ...good.observations, tool_name: 7 }, /tool_name/],
    ['/api/sessions/observations', { ...good.observations, tool_response: undefined }, /tool_response|error/],
    ['/api/sessions/observations', { ...good.observations, session_id: 'x'.repeat(600) }, /session_id/],
    ['/api/sessions/observations', { ...good.observations, error: 12, tool_response: undefined }, /error/],
    ['/api/sessions/summarize', { session_id: 's', cwd: '/tmp/x', last_assistant_message: 5 }, /last_assistant_message/],
    ['/api/sessions/summarize', { last_assistant_message: 'x', cwd: '/tmp/x' }, /session_id/],
    ['/api/sessions/end', { reason: 'other' }, /session_id/],
    ['/api/sessions/end', { session_id: ['a'] }, /session_id/],
  ];
  for (const [path, body, field] of cases) {
    it(`${path} ${JSON.stringify(body).slice(0, 70)} → 400 naming ${field.source}`, async () => {
      const r = await post(path, body);
      expect(r.status, r.text).toBe(400);
      expect(String(r.json().error)).toMatch(field);
    });
  }

  for (const path of ['/api/sessions/init', '/api/sessions/observations', '/api/sessions/summarize', '/api/sessions/end']) {
    it(`${path}: non-JSON, a JSON array, and an empty body → 400`, async () => {
      for (const body of ['{not json', '[1,2,3]', '', 'null']) {
        const r = await post(path, body);
        expect(r.status, `${JSON.stringify(body)} → ${r.text}`).toBe(400);
        expect(typeof r.json().error).toBe('string');
      }
    });
  }

  it('the valid bodies are accepted (so the 400s above are about the field, not the route)', async () => {
    expect((await post('/api/sessions/init', good.init)).status).toBe(200);
    expect((await post('/api/sessions/observations', good.observations)).status).toBe(202);
    expect((await post('/api/sessions/summarize', good.summarize)).status).toBe(202);
    expect((await post('/api/sessions/end', good.end)).status).toBe(200);
  });
});

describe("claude-mem's own tools are never captured", () => {
  const own = [
    { tool_name: 'mcp__plugin_claude-mem_mem-search__search', tool_input: { query: 'queue' } },
    { tool_name: 'mcp__claude-mem__timeline', tool_input: { anchor: 1 } },
    { tool_name: 'Bash', tool_input: { command: 'cd /tmp/http-project && claude-mem search queue', description: 'search memory' } },
    { tool_name: 'Bash', tool_input: { command: 'npx claude-mem worker status' } },
  ];
  let n = 0;
  const event = (e: { tool_name: string; tool_input: unknown }) => ({ ...good.observations, ...e, session_id: 's-own', tool_use_id: `toolu_own_${++n}` });
  const queued = async () => (await getJson<{ pending: Array<{ content_session_id: string }> }>(`${w.url}/api/queue`)).pending.filter((p) => p.content_session_id === 's-own').length;

  it('the worker skips them when posted directly', async () => {
    for (const e of own) {
      const r = await post('/api/sessions/observations', event(e));
      expect(r.status, e.tool_name).toBe(200);
      expect(r.json()).toEqual({ status: 'skipped', reason: 'claude-mem tool' });
    }
    expect(await queued()).toBe(0);
    // Other MCP servers and commands that merely mention claude-mem are captured as usual.
    expect((await post('/api/sessions/observations', event({ tool_name: 'mcp__github__search_code', tool_input: { q: 'x' } }))).status).toBe(202);
    expect((await post('/api/sessions/observations', event({ tool_name: 'Bash', tool_input: { command: 'grep -rn claude-mem src' } }))).status).toBe(202);
    expect(await queued()).toBe(2);
  });

  it('through the real PostToolUse hook they are not captured either (the hook exits 0)', async () => {
    const before = await queued();
    for (const e of own) {
      const r = runHook('post-tool-use', { hook_event_name: 'PostToolUse', ...event(e), tool_response: { stdout: 'memory' } }, w.env);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({});
    }
    const r = runHook('post-tool-use', { hook_event_name: 'PostToolUse', ...event({ tool_name: 'Bash', tool_input: { command: 'ls' } }) }, w.env);
    expect(r.code).toBe(0);
    expect(await queued()).toBe(before + 1);
  });
});

describe('origin and host guards', () => {
  it('refuses a foreign Host (DNS rebinding) with 403 on reads and writes', async () => {
    for (const [method, path] of [
      ['GET', '/api/health'],
      ['GET', '/api/search?query=x'],
      ['GET', '/'],
    ] as const) {
      const r = await raw(method, path, { headers: { host: `evil.com:${w.port}` } });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    const r = await post('/api/sessions/observations', { ...good.observations, tool_use_id: 'toolu_evil_host' }, { host: 'evil.com' });
    expect(r.status).toBe(403);
  });

  it('refuses a foreign Origin with 403, even with a local Host; local origins pass', async () => {
    const evil = await post('/api/sessions/init', good.init, { origin: 'http://evil.com' });
    expect(evil.status).toBe(403);
    expect((await raw('GET', '/api/settings', { headers: { origin: 'http://evil.com' } })).status).toBe(403);
    expect((await raw('GET', '/api/health', { headers: { origin: 'null' } })).status).toBe(403);
    expect((await raw('GET', '/api/health', { headers: { origin: 'http://127.0.0.1.evil.com' } })).status).toBe(403);
    const local = await raw('GET', '/api/health', { headers: { origin: `http://localhost:${w.port}` } });
    expect(local.status).toBe(200);
    // Nothing from the refused write was stored.
    const q = await getJson<{ pending: Array<{ tool_use_id: string | null }> }>(`${w.url}/api/queue`);
    expect(q.pending.map((p) => p.tool_use_id)).not.toContain('toolu_evil_host');
  });

  it('never sends a wildcard Access-Control-Allow-Origin', async () => {
    const origin = { origin: `http://127.0.0.1:${w.port}` };
    const responses = [
      await raw('GET', '/api/health', { headers: origin }),
      await raw('GET', '/api/queue'),
      await raw('GET', '/api/search?query=hello'),
      await raw('GET', '/api/projects', { headers: origin }),
      await raw('GET', '/', { headers: origin }),
      await raw('GET', '/nope'),
      await raw('OPTIONS', '/api/sessions/init', { headers: { ...origin, 'access-control-request-method': 'POST' } }),
      await raw('OPTIONS', '/api/sessions/init', { headers: { origin: 'http://evil.com', 'access-control-request-method': 'POST' } }),
      await post('/api/sessions/end', good.end, origin),
    ];
    for (const r of responses) expect(r.headers['access-control-allow-origin']).not.toBe('*');
  });
});

describe('sizes and unknown routes', () => {
  it('a body over 8 MB → 413 (declared by Content-Length, or chunked)', async () => {
    const big = JSON.stringify({ ...good.observations, tool_use_id: 'toolu_big', tool_response: 'x'.repeat(9 * 1024 * 1024) });
    expect(await statusOfLargePost('/api/sessions/observations', big, 'declared')).toBe(413);
    expect(await statusOfLargePost('/api/sessions/observations', big, 'chunked')).toBe(413);
    expect(await statusOfLargePost('/api/sessions/init', JSON.stringify({ ...good.init, prompt: 'p'.repeat(9 << 20) }), 'declared')).toBe(413);
    const q = await getJson<{ pending: Array<{ tool_use_id: string | null }> }>(`${w.url}/api/queue`);
    expect(q.pending.map((p) => p.tool_use_id)).not.toContain('toolu_big');
  });

  it('a body just under the limit is accepted', async () => {
    const body = JSON.stringify({ ...good.observations, tool_use_id: 'toolu_7mb', tool_response: 'y'.repeat(7 * 1024 * 1024) });
    const r = await post('/api/sessions/observations', body);
    expect(r.status, r.text).toBe(202);
  });

  it('unknown routes → 404 with a JSON error', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/sessions/nope'],
      ['DELETE', '/api/health'],
      ['GET', '/stream/x'],
    ] as const) {
      const r = await raw(method, path, method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {});
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(typeof r.json().error).toBe('string');
    }
  });

  it('the worker is still healthy after all of that', async () => {
    const h = await getJson<{ status: string; pid: number }>(`${w.url}/api/health`);
    expect(h).toMatchObject({ status: 'ok', pid: w.proc.pid });
    expect(w.proc.exitCode).toBeNull();
  });
});
