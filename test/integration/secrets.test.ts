// API keys, tokens, passwords and
// <private> text are planted in prompts, tool inputs, tool outputs, failures, the Stop message,
// settings (POST /api/settings), credentials (POST /api/credentials), `.env`, the worker's own
// environment and even the LLM's reply; after the full flow with a fake LLM, the database file
// bytes (+ WAL), both logs, every API response, the SSE stream and every request the fake LLM
// received are searched for every planted value. (2) Loopback only: bound to 127.0.0.1, foreign
// Host/Origin refused, no traversal out of the viewer's directory, owner-only modes on the data dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { authedFetch, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { cli, health, hook, observationXml, sleep, summaryXml, waitForValue } from './agent-support.js';
import { authedRequest } from './fault-support.js';

// Distinctive bodies so partial leaks are caught too.
const S = {
  anthropicInPrompt: 'sk-ant-api03-PROMPTq9Xz7Lw2Vb8Nc4Md6Ke1Jf3Hg5' + 'A'.repeat(40) + '-QQ',
  anthropicEnv: 'sk-ant-api03-DOTENVr8Ty6Ui4Op2As0Df9Gh7Jk5' + 'B'.repeat(40) + '-RR',
  openaiEnv: 'sk-proj-DOTENVopenaiZx8Cv6Bn4Mm2Ll0Kk9Jj7Hh5Gg3Ff1',
  github: 'ghp_GITHUBtok3nAbCdEfGhIjKlMnOpQrStUvWx12',
  githubShellEnv: 'ghp_SHELLENVtok3nZyXwVuTsRqPoNmLkJiHg3456',
  aws: 'AKIAQWERTYUIOPASDF77',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY99',
  slack: 'xoxb-123456789012-SLACKtokenQwErTy',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoYXJkZW5pbmcifQ.SIGNATUREjwtPart99',
  password: 'Tr0ub4dor-PASSWORD-hardening',
  bearer: 'BEARERtok3n9x8c7v6b5n4m3q2w1e0',
  privatePhrase: 'PRIVATE-phrase-never-stored-5521',
  openrouterSetting: 'sk-or-v1-SETTINGS0123456789abcdef0123456789abcdef0123456789abcdef',
  openrouterCredential: 'sk-or-v1-CREDENTIAL9876543210fedcba9876543210fedcba9876543210',
  llmLeak: 'sk-ant-api03-LLMREPLYm1N2b3V4c5X6z7L8k9J0' + 'C'.repeat(40) + '-SS',
};

let gateway: FakeAnthropic;
let w: WorkerHandle;
const sse = { text: '', abort: new AbortController() };

beforeAll(async () => {
  gateway = await startFakeAnthropic({
    handler: (req) => {
      const text = lastUserText(req.body);
      if (text.includes('Summarize the turn')) return { text: summaryXml(`summary ${S.llmLeak}`) };
      // Echo what the agent was shown (so anything that reached the LLM would be stored and
      // found), plus a key-shaped string of the model's own.
      return {
        text: observationXml({
          title: `Saw ${/^tool: (.+)$/m.exec(text)?.[1] ?? 'event'}`,
          narrative: `Model output mentions ${S.llmLeak}. Prompt was: ${text.slice(0, 3000)}`,
          facts: [`key ${S.llmLeak}`],
        }),
      };
    },
  });
  w = await startWorker({
    // One event per request, so the echo above shows the model everything one event carried.
    settings: { CLAUDE_MEM_BATCH_MAX_EVENTS: '1' },
    dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=${S.anthropicEnv}\nOPENAI_API_KEY=${S.openaiEnv}\n`,
    // The user's shell holds a token too: it must never travel anywhere.
    env: { GITHUB_TOKEN: S.githubShellEnv, CLAUDE_MEM_LOG_LEVEL: 'DEBUG' },
  });
});
afterAll(async () => {
  sse.abort.abort();
  await w?.stop();
  await gateway?.close();
});

const SESSION = 'secrets-session';
const CWD = '/tmp/secrets-project';
const base = { session_id: SESSION, cwd: CWD, transcript_path: '/tmp/t.jsonl' };

async function captureSse(): Promise<void> {
  const res = await authedFetch(`${w.url}/stream`, { signal: sse.abort.signal });
  const reader = res.body!.getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        sse.text += Buffer.from(value).toString('utf8');
      }
    } catch {
      /* aborted */
    }
  })();
}

describe('no planted secret leaks anywhere', () => {
  it('runs the full flow with every secret planted, then finds none of them outside .env/settings.json and the auth header', async () => {
    await captureSse();
    const post = (p: string, body: unknown) =>
      authedRequest(w.port, 'POST', p, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect((await post('/api/settings', { CLAUDE_MEM_OPENROUTER_API_KEY: S.openrouterSetting })).status).toBe(200);
    expect((await post('/api/credentials', { OPENROUTER_API_KEY: S.openrouterCredential })).status).toBe(200);

    hook('session-start', { ...base, hook_event_name: 'SessionStart', source: 'startup' }, w.env);
    hook(
      'user-prompt-submit',
      {
        ...base,
        hook_event_name: 'UserPromptSubmit',
        prompt: `Deploy with key ${S.anthropicInPrompt} and password=${S.password}. <private>${S.privatePhrase}</private> Thanks.`,
      },
      w.env,
    );
    hook(
      'post-tool-use',
      {
        ...base,
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        tool_input: { command: `curl -H "Authorization: Bearer ${S.bearer}" https://api.github.com -u x:${S.github}; export AWS_ACCESS_KEY_ID=${S.aws}` },
        tool_response: {
          stdout: `ANTHROPIC_API_KEY=${S.anthropicInPrompt}\naws_secret_access_key = ${S.awsSecret}\nSLACK=${S.slack}\njwt ${S.jwt}\n<private>${S.privatePhrase}</private>`,
          stderr: '',
          config: { apiKey: S.password, nested: { token: S.github } },
        },
        tool_use_id: 'toolu_secrets_1',
      },
      w.env,
    );
    hook(
      'post-tool-use-failure',
      {
        ...base,
        hook_event_name: 'PostToolUseFailure',
        tool_name: 'Bash',
        tool_input: { command: `psql postgres://admin:${S.password}@db.internal/app` },
        error: `FATAL: password authentication failed; token ${S.github}; Bearer ${S.bearer}`,
        tool_use_id: 'toolu_secrets_2',
      },
      w.env,
    );
    hook('stop', { ...base, hook_event_name: 'Stop', last_assistant_message: `Done. Used ${S.aws} and ${S.slack}. <private>${S.privatePhrase}</private>` }, w.env);

    await waitForValue(async () => {
      const h = await health(w);
      return h.queueDepth === 0 && gateway.messageRequests().length >= 3 ? h : null;
    }, 30_000, 'the queue to drain');
    await sleep(300);

    // Every GET endpoint, with ids and queries that reach the stored rows.
    const obs = JSON.parse((await authedRequest(w.port, 'GET', '/api/observations?limit=100')).text) as { observations: Array<{ id: number }> };
    expect(obs.observations.length).toBeGreaterThanOrEqual(2);
    const id = obs.observations[0].id;
    const gets = [
      '/api/health',
      '/api/search?query=key',
      `/api/search?query=${encodeURIComponent(S.github)}`,
      '/api/search?query=password&kinds=observations,sessions,prompts',
      '/api/observations?limit=100',
      `/api/observation/${id}`,
      '/api/summaries',
      '/api/prompts',
      '/api/projects',
      `/api/timeline?anchor=${id}`,
      '/api/context/inject?project=secrets-project',
      `/api/file-context?path=${encodeURIComponent(CWD + '/a.ts')}&cwd=${encodeURIComponent(CWD)}`,
      '/api/queue',
      '/api/logs?file=worker&lines=5000',
      '/api/logs?file=error&lines=5000',
      '/api/settings',
      '/api/export',
      '/api/embeddings',
      '/',
    ];
    const responses: Array<[string, string]> = [];
    for (const p of gets) {
      const r = await authedRequest(w.port, 'GET', p);
      expect(r.status, `${p}: ${r.text.slice(0, 200)}`).toBe(200);
      responses.push([p, r.text]);
    }
    const batch = await post('/api/observations/batch', { ids: obs.observations.map((o) => o.id) });
    responses.push(['POST /api/observations/batch', batch.text]);
    await sleep(200);
    sse.abort.abort();
    expect(sse.text).toContain('event: observation');

    // Files: everything in the data dir except the two files whose job is to hold credentials.
    const files: Array<[string, string]> = [];
    for (const entry of fs.readdirSync(w.dataDir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || entry.name === '.env' || entry.name === 'settings.json') continue;
      const p = path.join(entry.parentPath, entry.name);
      files.push([path.relative(w.dataDir, p), fs.readFileSync(p).toString('latin1')]);
    }
    expect(files.map(([f]) => f)).toEqual(expect.arrayContaining(['claude-mem.db', path.join('logs', 'worker.log')]));

    // What the LLM received: every body, and every header except the one carrying its own key.
    const llm = gateway.requests.map((r, i): [string, string] => {
      const headers = Object.entries(r.headers).filter(([k]) => k !== 'x-api-key');
      return [`LLM request ${i}`, r.rawBody + JSON.stringify(headers)];
    });
    for (const r of gateway.requests) expect(r.headers['x-api-key']).toBe(S.anthropicEnv);

    const haystacks: Array<[string, string]> = [...files, ...responses, ['SSE /stream', sse.text], ...llm];
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(S)) {
      // The distinctive middle of each value: a partly redacted key is still a leak.
      const needle = value.length > 24 ? value.slice(8, 28) : value;
      for (const [where, text] of haystacks) if (text.includes(needle)) leaks.push(`${name} in ${where}`);
    }
    console.log(`[secrets] searched ${haystacks.length} places (${files.length} files, ${responses.length} responses, SSE ${sse.text.length} chars, ${llm.length} LLM requests) for ${Object.keys(S).length} planted values: ${leaks.length} leaks`);
    expect(leaks).toEqual([]);

    // The flow really ran: redaction markers where the secrets were, and the summary stored.
    const exportText = responses.find(([p]) => p === '/api/export')![1];
    expect(exportText).toContain('[REDACTED]');
    expect(JSON.parse(exportText).summaries.length).toBeGreaterThanOrEqual(1);
    expect(gateway.messageRequests().map((r) => lastUserText(r.body)).join('\n')).toContain('[REDACTED]');
  }, 60_000);
});

describe('loopback only', () => {
  it('binds 127.0.0.1 by default: the pid file says so and a non-loopback address of this machine is refused', async () => {
    const pid = JSON.parse(fs.readFileSync(path.join(w.dataDir, 'worker.pid'), 'utf8')) as { host: string };
    expect(pid.host).toBe('127.0.0.1');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return console.log('[security] no non-loopback IPv4 address here: bind check limited to the pid file');
    const err = await fetch(`http://${external.address}:${w.port}/api/health`, { signal: AbortSignal.timeout(3000) }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err, `the worker answered on ${external.address}`).not.toBeNull();
  });

  it('Host and Origin variants a rebinding or cross-site attacker would use are refused; loopback spellings pass', async () => {
    const refusedHosts = [
      'localhost.evil.com',
      '127.0.0.1.nip.io',
      'evil.com:80',
      `attacker.example:${w.port}`,
      '0.0.0.0',
      '127.0.0.2',
      '[::ffff:7f00:1]',
      'localhost:80@evil.com',
    ];
    for (const host of refusedHosts) {
      for (const [method, p] of [
        ['GET', '/api/export'],
        ['POST', '/api/settings'],
      ] as const) {
        const r = await authedRequest(w.port, method, p, { headers: { host, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
        // 403 from the guard; a Host that is not even a valid authority is a 400 before any route.
        expect([400, 403], `${method} ${p} Host: ${host} → ${r.status}`).toContain(r.status);
        if (r.status === 403) expect(JSON.parse(r.text).error).toMatch(/not allowed/);
        expect(r.text).not.toContain('"observations"');
      }
    }
    for (const origin of ['http://evil.com', 'https://localhost.evil.com', 'null', 'file://', 'http://127.0.0.1@evil.com', 'chrome-extension://abc']) {
      const r = await authedRequest(w.port, 'POST', '/api/worker/restart', { headers: { origin, 'content-type': 'text/plain' }, body: '{}' });
      expect(r.status, `Origin: ${origin}`).toBe(403);
    }
    for (const host of [`127.0.0.1:${w.port}`, `localhost:${w.port}`, `LOCALHOST:${w.port}`, `[::1]:${w.port}`]) {
      expect((await authedRequest(w.port, 'GET', '/api/health', { headers: { host } })).status, host).toBe(200);
    }
    // A refused request changed nothing: the worker did not restart.
    expect((await health(w)).pid).toBe(w.proc.pid);
  });

  it('a cross-site read gets no CORS grant: no Access-Control-Allow-Origin for any origin, preflights refused', async () => {
    for (const origin of [`http://127.0.0.1:${w.port}`, 'http://evil.com']) {
      const r = await authedRequest(w.port, 'OPTIONS', '/api/settings', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('the viewer serves no file outside its directory, however the path is spelled', async () => {
    const attempts = [
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/..%2f..%2fpackage.json',
      '/assets/../../package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%252e%252e/%252e%252e/package.json',
      '/..\\..\\package.json',
      '/..%5c..%5cpackage.json',
      '/....//....//etc/passwd',
      '//etc/passwd',
      '/index.html%00.js',
      '/assets/%00',
      '/%00/../../package.json',
      '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/package.json',
      '/assets/%',
      `/${'../'.repeat(20)}etc/passwd`,
      '/worker/worker-main.js',
      '/../cli/claude-mem.js',
    ];
    for (const p of attempts) {
      const r = await authedRequest(w.port, 'GET', p);
      expect(r.text, p).not.toMatch(/root:x?:0:0|"name":\s*"claude-mem"|createRequire|#!\/usr\/bin\/env node/);
      expect([200, 400, 404], `${p} → ${r.status}`).toContain(r.status);
      if (r.status === 200) expect(r.headers['content-type'], p).toMatch(/text\/html/); // the viewer itself, nothing else
    }
  });

  it('owner-only modes: data dir and logs 0700; .env, settings.json, logs, the pid file, the database and its WAL 0600; nothing group/world accessible', () => {
    const mode = (p: string) => fs.statSync(path.join(w.dataDir, p)).mode & 0o777;
    expect(mode('.')).toBe(0o700);
    expect(mode('logs')).toBe(0o700);
    const files = ['.env', 'settings.json', 'worker.pid', path.join('logs', 'worker.log'), path.join('logs', 'worker-error.log')];
    for (const f of files.filter((x) => fs.existsSync(path.join(w.dataDir, x)))) expect(mode(f), f).toBe(0o600);
    // The database and its WAL are the user's alone too (0600), not only behind the 0700 dir.
    for (const f of ['claude-mem.db', 'claude-mem.db-wal']) expect(mode(f), f).toBe(0o600);
    for (const entry of fs.readdirSync(w.dataDir, { withFileTypes: true, recursive: true })) {
      const p = path.relative(w.dataDir, path.join(entry.parentPath, entry.name));
      expect(mode(p) & 0o002, `${p} is world-writable`).toBe(0);
    }
  });
});

// A gateway that echoes the configured key in its error. A corporate key has no
// recognisable shape, so only the exact configured value can be redacted.
describe('a backend error echoing the configured key', () => {
  it('the key is in no log, health field, API answer, CLI status or the database', async () => {
    const corpKey = 'Qx7mPa2LwZ9kRt4VbN8cYh3JfD6sGu1EoXi5WqMz0TyKe7Rd2PaLs9VnBc4Hj8UfGw6Zt1Xk3MrQy5Na7Db0Ls2Pe9Vc4Jh1';
    const echo = await startFakeAnthropic({
      handler: (req) => ({ status: 401, errorType: 'authentication_error', message: `rejected ${String(req.headers['x-api-key'])} for this workspace` }),
    });
    const ew = await startWorker({ dotenv: `ANTHROPIC_BASE_URL=${echo.url}\nANTHROPIC_API_KEY=${corpKey}\n` });
    try {
      const post = (p: string, body: unknown) =>
        authedRequest(ew.port, 'POST', p, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      expect((await post('/api/sessions/init', { session_id: 'echo-s', cwd: '/tmp/echo-project', prompt: 'hello' })).status).toBe(200);
      expect(
        (await post('/api/sessions/observations', { session_id: 'echo-s', cwd: '/tmp/echo-project', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_response: { stdout: 'a' }, tool_use_id: 'toolu_echo' })).status,
      ).toBe(202);
      // The gateway really echoed the key, and the worker recorded the failure.
      await waitForValue(async () => (echo.messageRequests().length > 0 ? true : null), 20_000, 'the agent to call the gateway');
      const h = await waitForValue(async () => {
        const r = await authedRequest(ew.port, 'GET', '/api/health');
        return /for this workspace/.test(r.text) ? r.text : null;
      }, 20_000, 'the echoed error in /api/health');
      expect(echo.messageRequests()[0].headers['x-api-key']).toBe(corpKey);

      const places: Array<[string, string]> = [['/api/health', h]];
      for (const p of ['/api/logs?file=error&lines=5000', '/api/logs?file=worker&lines=5000', '/api/queue', '/api/export']) {
        places.push([p, (await authedRequest(ew.port, 'GET', p)).text]);
      }
      const status = await cli(['worker', 'status'], ew.env);
      places.push(['worker status', status.stdout + status.stderr]);
      for (const entry of fs.readdirSync(ew.dataDir, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile() || entry.name === '.env') continue;
        const p = path.join(entry.parentPath, entry.name);
        places.push([path.relative(ew.dataDir, p), fs.readFileSync(p).toString('latin1')]);
      }
      expect(places.find(([p]) => p === '/api/logs?file=error&lines=5000')![1]).toContain('for this workspace');
      const leaks = places.filter(([, text]) => text.includes(corpKey.slice(30, 50))).map(([p]) => p);
      console.log(`[secrets] echoed key searched in ${places.length} places: ${leaks.length} leaks`);
      expect(leaks).toEqual([]);
      expect(h).toContain('[REDACTED]');
    } finally {
      await ew.stop();
      await echo.close();
    }
  }, 60_000);
});
