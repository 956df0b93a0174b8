// The one worker client (src/api/workerClient.ts): every method goes through request(), the single
// place headers are set; failures come back as the two error types the CLI and MCP words rely on.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorkerClient, workerBaseUrl, WorkerHttpError, WorkerUnreachableError } from '../../src/api/workerClient.js';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Replaces fetch with a recorder answering `reply` (JSON unless a string is given). */
function recordFetch(reply: (url: URL) => { status?: number; body: unknown } = () => ({ body: {} })): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (input: URL, init: RequestInit) => {
    calls.push({ method: String(init.method), url: input.toString(), headers: { ...(init.headers as Record<string, string>) }, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const r = reply(input);
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const type = typeof r.body === 'string' ? 'text/plain' : 'application/json';
    return new Response(text, { status: r.status ?? 200, headers: { 'content-type': type } });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('worker client', () => {
  it('resolves the address like the worker binds it', () => {
    expect(workerBaseUrl({ env: {} })).toBe('http://127.0.0.1:37777');
    expect(workerBaseUrl({ host: '0.0.0.0', port: '4000', env: {} })).toBe('http://127.0.0.1:4000');
    expect(workerBaseUrl({ host: '::', port: 4000, env: {} })).toBe('http://[::1]:4000');
    expect(workerBaseUrl({ env: { CLAUDE_MEM_WORKER_PORT: '41000' } })).toBe('http://127.0.0.1:41000');
    expect(() => workerBaseUrl({ port: '70000', env: {} })).toThrow(/CLAUDE_MEM_WORKER_PORT must be an integer between 1 and 65535 \(got "70000"\)/);
  });

  it('sends every method through one request function: same headers, JSON bodies, lists as csv', async () => {
    const calls = recordFetch((url) => ({ body: url.pathname === '/api/context/inject' ? 'text' : {} }));
    const c = createWorkerClient({ baseUrl: 'http://127.0.0.1:9/', env: {} });
    await c.health();
    await c.search({ query: 'a b', type: ['bugfix', 'decision'], kinds: [], dateEnd: '2026-11-25' });
    await c.getObservations([1, 2], 'p');
    await c.listObservations({ limit: 5 });
    await c.timeline({ anchor: 3 });
    await c.listSummaries();
    await c.listPrompts();
    await c.projects();
    await c.contextInject({ cwd: '/w' });
    await c.importData({ observations: [] });
    await c.exportData('p');

    expect(calls.map((x) => `${x.method} ${x.url}`)).toEqual([
      'GET http://127.0.0.1:9/api/health',
      'GET http://127.0.0.1:9/api/search?query=a+b&type=bugfix%2Cdecision&dateEnd=2026-11-25',
      'POST http://127.0.0.1:9/api/observations/batch',
      'GET http://127.0.0.1:9/api/observations?limit=5',
      'GET http://127.0.0.1:9/api/timeline?anchor=3',
      'GET http://127.0.0.1:9/api/summaries',
      'GET http://127.0.0.1:9/api/prompts',
      'GET http://127.0.0.1:9/api/projects',
      'GET http://127.0.0.1:9/api/context/inject?cwd=%2Fw',
      'POST http://127.0.0.1:9/api/import',
      'GET http://127.0.0.1:9/api/export?project=p',
    ]);
    // One header policy for all: a body is JSON, nothing else is added per method.
    for (const x of calls) expect(x.headers, `${x.method} ${x.url}`).toEqual(x.body === undefined ? {} : { 'content-type': 'application/json' });
    expect(calls[2].body).toEqual({ ids: [1, 2], project: 'p' });
  });

  it("a 4xx/5xx is a WorkerHttpError carrying the worker's own message", async () => {
    recordFetch(() => ({ status: 400, body: { error: 'limit: must be 500 or less' } }));
    const c = createWorkerClient({ baseUrl: 'http://127.0.0.1:9', env: {} });
    const err = await c.search({ query: 'x', limit: 501 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerHttpError);
    expect(err).toMatchObject({ status: 400, message: 'limit: must be 500 or less' });

    recordFetch(() => ({ status: 502, body: 'Bad Gateway' }));
    const plain = await c.projects().catch((e: unknown) => e);
    expect(plain).toMatchObject({ status: 502, body: 'Bad Gateway' });
    expect((plain as Error).message).toBe('GET /api/projects failed with HTTP 502: Bad Gateway');
  });

  it('nothing answering is a WorkerUnreachableError naming the address and the cause', async () => {
    vi.stubGlobal('fetch', async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const c = createWorkerClient({ baseUrl: 'http://127.0.0.1:9', env: {} });
    const err = await c.projects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerUnreachableError);
    expect(err).toMatchObject({ baseUrl: 'http://127.0.0.1:9', reason: 'ECONNREFUSED' });
    expect(await c.isHealthy()).toBe(false);

    vi.stubGlobal('fetch', async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    expect(await c.projects().catch((e: unknown) => e)).toMatchObject({ reason: 'request timed out' });
  });
});
