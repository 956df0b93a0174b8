// Only the user gets in (issue 16, points 1–4), against a real worker (authentication is always on):
// every route but health answers 401 without the token and works with it; the hooks' credential
// records events and opens no read route; the viewer logs in with a one-time code for an HttpOnly,
// SameSite=Strict cookie; the worker proves it holds the token without sending it; a second real
// OS user can neither read the token nor get anything but health; 2,000 bad tokens all get 401 in
// the same time; credentials and a network-facing host cannot be changed behind the user's back.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveHookCredential, hookCredentialPath, newNonce, proveToken, readWorkerToken, verifyWorker, workerTokenPath } from '../../src/worker/auth.js';
import { startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';
import { rawRequest, runHookAsync } from './fault-support.js';
import { cli } from './agent-support.js';

let w: WorkerHandle;
let token: string;
let hookCred: string;

beforeAll(async () => {
  w = await startWorker();
  token = readWorkerToken(w.dataDir)!;
  hookCred = fs.readFileSync(hookCredentialPath(w.dataDir), 'utf8').trim();
}, 30_000);
afterAll(async () => {
  await w?.stop();
  if (w) fs.rmSync(w.dataDir, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const S = { session_id: 'auth-s', cwd: '/tmp/auth-project' };

/** Every route, with a request that succeeds when authorised (status expected with the token). */
const ROUTES: Array<{ method: string; path: string; body?: unknown; ok: number[] }> = [
  { method: 'GET', path: '/api/queue', ok: [200] },
  { method: 'GET', path: '/api/logs?file=worker&lines=5', ok: [200] },
  { method: 'GET', path: '/api/logs?file=error&lines=5', ok: [200] },
  { method: 'GET', path: '/api/settings', ok: [200] },
  { method: 'GET', path: '/api/export', ok: [200] },
  { method: 'GET', path: '/api/embeddings', ok: [200] },
  { method: 'GET', path: '/api/search?query=anything', ok: [200] },
  { method: 'GET', path: '/api/observations', ok: [200] },
  { method: 'GET', path: '/api/observation/1', ok: [404] },
  { method: 'GET', path: '/api/summaries', ok: [200] },
  { method: 'GET', path: '/api/prompts', ok: [200] },
  { method: 'GET', path: '/api/projects', ok: [200] },
  { method: 'GET', path: '/api/timeline?anchor=1', ok: [404] },
  { method: 'GET', path: '/api/context/inject?project=auth-project', ok: [200] },
  { method: 'GET', path: '/api/file-context?path=/tmp/auth-project/a.ts&cwd=/tmp/auth-project', ok: [200] },
  { method: 'POST', path: '/api/observations/batch', body: { ids: [1] }, ok: [200] },
  { method: 'POST', path: '/api/import', body: { observations: [], summaries: [] }, ok: [200] },
  { method: 'POST', path: '/api/settings', body: { CLAUDE_MEM_LOG_LEVEL: 'INFO' }, ok: [200] },
  { method: 'POST', path: '/api/credentials', body: { GEMINI_API_KEY: 'gemini-test-key-123456' }, ok: [200] },
  { method: 'POST', path: '/api/queue/dead/1/retry', ok: [404] },
  { method: 'POST', path: '/api/auth/code', ok: [200] },
  { method: 'POST', path: '/api/sessions/init', body: { ...S, prompt: 'hello' }, ok: [200] },
  { method: 'POST', path: '/api/sessions/observations', body: { ...S, tool_name: 'Bash', tool_input: { command: 'ls' }, tool_response: { stdout: '' }, tool_use_id: 't1' }, ok: [200, 202] },
  { method: 'POST', path: '/api/sessions/summarize', body: { ...S, last_assistant_message: 'done' }, ok: [200, 202] },
  { method: 'POST', path: '/api/sessions/end', body: S, ok: [200] },
  { method: 'POST', path: '/api/hooks/SessionStart', body: { ...S, hook_event_name: 'SessionStart', source: 'startup' }, ok: [200] },
  { method: 'POST', path: '/api/hooks/UserPromptSubmit', body: { ...S, hook_event_name: 'UserPromptSubmit', prompt: 'hi' }, ok: [200] },
  { method: 'POST', path: '/api/hooks/PreToolUse', body: { ...S, hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/tmp/x' } }, ok: [200] },
  { method: 'POST', path: '/api/hooks/PostToolUse', body: { ...S, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: {}, tool_response: {}, tool_use_id: 't2' }, ok: [200] },
  { method: 'POST', path: '/api/hooks/Stop', body: { ...S, hook_event_name: 'Stop', last_assistant_message: 'ok' }, ok: [200] },
  { method: 'POST', path: '/api/hooks/SessionEnd', body: { ...S, hook_event_name: 'SessionEnd', reason: 'exit' }, ok: [200] },
];
/** Reached only without a credential (with one they would restart the worker or open a stream). */
const UNAUTH_ONLY = [
  { method: 'POST', path: '/api/worker/restart' },
  { method: 'GET', path: '/stream' },
  { method: 'POST', path: '/api/auth/logout' },
];
const CAPTURE = new Set(['/api/sessions/init', '/api/sessions/observations', '/api/sessions/summarize', '/api/sessions/end']);
const isCapture = (r: { method: string; path: string }) => r.method === 'POST' && (CAPTURE.has(r.path) || (r.path.startsWith('/api/hooks/') && r.path !== '/api/hooks/PreToolUse'));

const send = (r: { method: string; path: string; body?: unknown }, headers: Record<string, string> = {}) =>
  rawRequest(w.port, r.method, r.path, r.body === undefined ? { headers } : { body: JSON.stringify(r.body), headers: { ...json, ...headers } });

describe('the worker token', () => {
  it('is created on first start: 256 random bits, 0600, with a 0600 hook credential derived from it', () => {
    expect(token).toMatch(/^cmw_[0-9a-f]{64}$/);
    expect(fs.statSync(workerTokenPath(w.dataDir)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(hookCredentialPath(w.dataDir)).mode & 0o777).toBe(0o600);
    expect(hookCred).toBe(deriveHookCredential(token));
    expect(hookCred).not.toContain(token.slice(4, 20));
  });

  it('without it every route but health answers 401 with a message saying how to get in; with it they work', async () => {
    const health = await send({ method: 'GET', path: '/api/health' });
    expect(health.status).toBe(200);
    // Health tells a stranger only that a worker is up: no pid, endpoint, error or queue.
    expect(Object.keys(JSON.parse(health.text)).sort()).toEqual(['authRequired', 'status', 'version']);
    const refused: string[] = [];
    for (const r of [...ROUTES, ...UNAUTH_ONLY]) {
      const res = await send(r);
      if (res.status !== 401) refused.push(`${r.method} ${r.path} → ${res.status}`);
      else expect(JSON.parse(res.text).error).toMatch(/worker\.token.*claude-mem open/s);
    }
    expect(refused).toEqual([]);
    const wrong: string[] = [];
    for (const r of ROUTES) {
      const res = await send(r, bearer(token));
      if (!r.ok.includes(res.status)) wrong.push(`${r.method} ${r.path} → ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
    const full = JSON.parse((await send({ method: 'GET', path: '/api/health' }, bearer(token))).text);
    expect(full.pid).toBe(w.proc.pid);
  }, 30_000);

  it('the hooks credential records events and opens no read route (403 naming why)', async () => {
    const opened: string[] = [];
    for (const r of ROUTES) {
      const res = await send(r, bearer(hookCred));
      if (isCapture(r)) {
        if (!r.ok.includes(res.status)) opened.push(`capture ${r.path} → ${res.status}`);
      } else if (res.status !== 403) opened.push(`${r.method} ${r.path} → ${res.status}`);
    }
    expect(opened).toEqual([]);
    const res = await send({ method: 'GET', path: '/api/export' }, bearer(hookCred));
    expect(JSON.parse(res.text).error).toMatch(/hook credential only records events/);
  }, 30_000);

  it('the worker proves it holds the token without sending it; another data dir cannot', async () => {
    const nonce = newNonce();
    const res = await send({ method: 'POST', path: '/api/auth/prove', body: { nonce } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).proof).toBe(proveToken(token, nonce));
    expect(res.text).not.toContain(token.slice(4));
    expect(await verifyWorker(w.url, w.dataDir)).toBe(true);
    const other = tempDir('cm-auth-other-');
    try {
      fs.writeFileSync(path.join(other, 'worker.token'), `cmw_${'ab'.repeat(32)}\n`, { mode: 0o600 });
      expect(await verifyWorker(w.url, other)).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    expect((await send({ method: 'POST', path: '/api/auth/prove', body: { nonce: 'short' } })).status).toBe(400);
  });
});

describe('the viewer login', () => {
  it('a one-time code from the token becomes an HttpOnly SameSite=Strict cookie; the code works once; foreign origins stay refused', async () => {
    const page = await send({ method: 'GET', path: '/' });
    expect(page.status).toBe(200); // the page itself holds no memory; its API calls need the cookie
    const issued = JSON.parse((await send({ method: 'POST', path: '/api/auth/code' }, bearer(token))).text) as { path: string };
    const login = await send({ method: 'GET', path: issued.path });
    expect(login.status).toBe(303);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^cm_session=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0];
    expect((await send({ method: 'GET', path: '/api/search?query=x' }, { cookie })).status).toBe(200);
    expect((await send({ method: 'GET', path: '/api/search?query=x' }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await send({ method: 'GET', path: issued.path })).status).toBe(401); // used
    expect((await send({ method: 'GET', path: '/api/search?query=x' }, { cookie: 'cm_session=forged' })).status).toBe(401);
    expect((await send({ method: 'POST', path: '/api/auth/logout' }, { cookie })).status).toBe(200);
    expect((await send({ method: 'GET', path: '/api/search?query=x' }, { cookie })).status).toBe(401);
  });
});

describe('hooks with authentication on', () => {
  it('SessionStart verifies the worker, then injects its context; the capture hooks record with the hook credential', async () => {
    const project = tempDir('cm-auth-proj-');
    try {
      const start = await runHookAsync('session-start', { session_id: 'auth-h', cwd: project, hook_event_name: 'SessionStart', source: 'startup', transcript_path: '/tmp/none.jsonl' }, w.env);
      expect(start.code, start.stderr).toBe(0);
      const ctx = (JSON.parse(start.stdout) as { hookSpecificOutput?: { additionalContext?: string } }).hookSpecificOutput?.additionalContext ?? '';
      expect(ctx).toContain('<claude-mem-context>');
      const prompt = await runHookAsync('user-prompt-submit', { session_id: 'auth-h', cwd: project, hook_event_name: 'UserPromptSubmit', prompt: 'remember the auth hooks' }, w.env);
      expect(prompt.code, prompt.stderr).toBe(0);
      const prompts = JSON.parse((await send({ method: 'GET', path: '/api/prompts' }, bearer(token))).text) as { prompts: Array<{ prompt_text: string }> };
      expect(prompts.prompts.map((p) => p.prompt_text)).toContain('remember the auth hooks');
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('claude-mem open', () => {
  it('prints a one-time link that logs a browser in', async () => {
    const r = await cli(['open', '--print'], w.env);
    expect(r.code, r.stderr).toBe(0);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/auth\/login\?code=[A-Za-z0-9_-]+)/.exec(r.stdout)?.[1];
    expect(link, r.stdout).toBeTruthy();
    const u = new URL(link!);
    const login = await rawRequest(Number(u.port), 'GET', u.pathname + u.search);
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    expect((await rawRequest(w.port, 'GET', '/api/projects', { headers: { cookie } })).status).toBe(200);
    expect((await rawRequest(Number(u.port), 'GET', u.pathname + u.search)).status).toBe(401);
  });

  it('a viewer session outlives a worker restart (only its hash is on disk); logging out ends it', async () => {
    const code = JSON.parse((await send({ method: 'POST', path: '/api/auth/code' }, bearer(token))).text).path as string;
    const login = await rawRequest(w.port, 'GET', code);
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const sessionId = cookie.split('=')[1];
    const file = path.join(w.dataDir, 'viewer-sessions.json');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(sessionId);

    const { dataDir, port } = w;
    expect(await w.stop()).toBe(0);
    w = await startWorker({ dataDir, port });
    expect((await rawRequest(w.port, 'GET', '/api/projects', { headers: { cookie } })).status).toBe(200);
    // A cookie that is not a live session still gets nothing.
    expect((await rawRequest(w.port, 'GET', '/api/projects', { headers: { cookie: `${cookie.split('=')[0]}=${'A'.repeat(43)}` } })).status).toBe(401);

    expect((await rawRequest(w.port, 'POST', '/api/auth/logout', { headers: { cookie } })).status).toBe(200);
    expect((await rawRequest(w.port, 'GET', '/api/projects', { headers: { cookie } })).status).toBe(401);
    expect(await w.stop()).toBe(0);
    w = await startWorker({ dataDir, port });
    expect((await rawRequest(w.port, 'GET', '/api/projects', { headers: { cookie } })).status).toBe(401);
  }, 60_000);
});

describe('credentials and endpoints are the user’s alone', () => {
  it('a network-facing CLAUDE_MEM_WORKER_HOST is refused over HTTP even with the token; credential changes are logged without values', async () => {
    const res = await send({ method: 'POST', path: '/api/settings', body: { CLAUDE_MEM_WORKER_HOST: '0.0.0.0' } }, bearer(token));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).fields.CLAUDE_MEM_WORKER_HOST).toMatch(/settings\.json by hand/);
    const secretValue = 'corp-gateway-token-value-0042';
    const url = 'http://attacker.example:9999';
    expect((await send({ method: 'POST', path: '/api/credentials', body: { ANTHROPIC_BASE_URL: url } })).status).toBe(401);
    expect(fs.readFileSync(path.join(w.dataDir, '.env'), 'utf8')).not.toContain('attacker');
    expect((await send({ method: 'POST', path: '/api/credentials', body: { ANTHROPIC_AUTH_TOKEN: secretValue } }, bearer(token))).status).toBe(200);
    const log = fs.readFileSync(path.join(w.dataDir, 'logs', 'worker.log'), 'utf8');
    expect(log).toMatch(/Credentials changed over HTTP: ANTHROPIC_AUTH_TOKEN \(values not logged\)/);
    expect(log).not.toContain(secretValue);
    // The worker never echoes a credential, even its own token.
    const logs = (await send({ method: 'GET', path: '/api/logs?file=worker&lines=5000' }, bearer(token))).text;
    expect(logs).not.toContain(secretValue);
    expect(logs).not.toContain(token);
  });
});

describe('fuzz: 2,000 requests with bad tokens', () => {
  it('missing, wrong, truncated and over-long tokens all get 401, none slower than the others beyond noise', async () => {
    const kinds: Record<string, (i: number) => Record<string, string>> = {
      missing: () => ({}),
      wrong: (i) => bearer(`cmw_${(i.toString(16).padStart(4, '0') + 'f'.repeat(64)).slice(0, 64)}`),
      truncated: (i) => bearer(token.slice(0, 5 + (i % (token.length - 6)))),
      overlong: (i) => bearer(token + 'a'.repeat(1 + (i % 2000))),
      nearMiss: () => bearer(token.slice(0, -1) + (token.endsWith('0') ? '1' : '0')),
      hookOnRead: () => bearer(hookCred),
      garbage: (i) => ({ authorization: ['Basic abc', 'Bearer', 'bearer  ', `Token ${token}`, `${token}`][i % 5] }),
    };
    const names = Object.keys(kinds);
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const statuses: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const kind = names[i % names.length];
      const started = process.hrtime.bigint();
      const res = await send({ method: 'GET', path: '/api/search?query=x' }, kinds[kind](i));
      times[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      const expected = kind === 'hookOnRead' ? 403 : 401;
      if (res.status !== expected) statuses.push(`${kind} #${i} → ${res.status}`);
    }
    expect(statuses).toEqual([]);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const medians = Object.fromEntries(names.map((n) => [n, median(times[n])]));
    const values = Object.values(medians);
    const spread = Math.max(...values) - Math.min(...values);
    console.log(`[auth fuzz] 2000 requests; median ms per kind: ${names.map((n) => `${n} ${medians[n].toFixed(2)}`).join(', ')}; spread ${spread.toFixed(2)} ms`);
    // Noise on a shared loopback: the medians agree within 1 ms or 50 %.
    expect(spread).toBeLessThan(Math.max(1, 0.5 * Math.min(...values)));
  }, 120_000);
});

describe('a second OS user', () => {
  const canTry = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('useradd', ['--help']).status === 0;
  const user = `cmauth${process.pid}`;
  afterAll(() => {
    if (canTry) spawnSync('userdel', [user]);
  });

  it.skipIf(!canTry)('can neither read the token nor get anything but health from the API', () => {
    const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
    if (made.status !== 0) {
      console.log(`[auth] skipped the second-user check: useradd failed (${made.stderr.trim()})`);
      return;
    }
    const script = `
      const fs = require('node:fs');
      const out = { read: null, statuses: {} };
      try { fs.readFileSync(${JSON.stringify(workerTokenPath(w.dataDir))}, 'utf8'); out.read = 'READ'; } catch (e) { out.read = e.code; }
      const paths = ${JSON.stringify(ROUTES.map((r) => [r.method, r.path, r.body === undefined ? null : JSON.stringify(r.body)]))};
      (async () => {
        out.health = await (await fetch('${w.url}/api/health')).json();
        for (const [method, p, body] of paths) {
          const res = await fetch('${w.url}' + p, { method, body: body ?? undefined, headers: body ? { 'content-type': 'application/json' } : {} });
          out.statuses[method + ' ' + p] = res.status;
        }
        console.log(JSON.stringify(out));
      })();`;
    const r = spawnSync('runuser', ['-u', user, '--', process.execPath, '-e', script], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { read: string; health: Record<string, unknown>; statuses: Record<string, number> };
    expect(out.read).toBe('EACCES');
    expect(Object.keys(out.health).sort()).toEqual(['authRequired', 'status', 'version']);
    const notRefused = Object.entries(out.statuses).filter(([, s]) => s !== 401);
    expect(notRefused).toEqual([]);
  }, 90_000);

  // Where a second user cannot be made, say why once (the test above is reported as skipped).
  if (!canTry) console.log('[auth] second-user check skipped: needs Linux, root and useradd to create a throwaway user');
});
