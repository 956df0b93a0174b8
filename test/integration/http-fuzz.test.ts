// Bad input. A seeded fuzzer sends ≥10,000 generated bodies to every POST endpoint (wrong
// types, missing fields, huge strings, deep nesting, invalid UTF-8, prototype-pollution keys,
// truncated JSON, wrong content types) and generated query strings to every GET endpoint, then a few
// hundred generated stdin payloads to every hook bundle. Pass: the worker never crashes (same pid,
// health 200 throughout), every HTTP answer is 2xx or a 4xx with a JSON `error` string, every hook
// exits 0 with one JSON object on stdout. Replay a failure with HARDENING_SEED=<seed printed below>.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HOOK_FOR_EVENT, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { hookOutput, prng, authedRequest, runHookAsync, seedFromEnv, type RawResponse } from './fault-support.js';

const HTTP_BODIES = 10_000;
const GET_QUERIES = 3_000;
const HOOK_PAYLOADS = 280;
const CONCURRENCY = 8;

const seed = seedFromEnv();
const rnd = prng(seed);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const chance = (p: number) => rnd() < p;

let w: WorkerHandle;
beforeAll(async () => {
  console.log(`[fuzz] seed ${seed} (replay with HARDENING_SEED=${seed})`);
  w = await startWorker();
});
afterAll(async () => {
  await w?.stop();
});

// ---- generators ---------------------------------------------------------------------------

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800', // lone surrogate
  '\udfff\ud800',
  '💥'.repeat(3),
  '../../../../etc/passwd',
  '<private>secret</private>',
  '<claude-mem-context>x</claude-mem-context>',
  "'; DROP TABLE observations; --",
  'NEAR(" " OR * ) AND "',
  '\\',
  '%00%ff%zz',
  '\r\n\r\nHTTP/1.1 200 OK',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  '\u202e\u200b\ufeff',
  'a'.repeat(600),
];
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

function randString(): string {
  switch (int(5)) {
    case 0:
      return pick(NASTY_STRINGS);
    case 1:
      return Array.from({ length: int(40) }, () => String.fromCharCode(int(0x10000))).join('');
    case 2:
      return 'x'.repeat(int(5000));
    case 3:
      return String(int(1e9));
    default:
      return Math.random().toString(36).slice(2, 2 + int(12));
  }
}

function randNumber(): number {
  return pick([0, -1, 1, 1.5, -0, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e-308, int(1e6), Number.MAX_SAFE_INTEGER]);
}

function randValue(depth = 0): unknown {
  const kinds = depth > 3 ? 4 : 6;
  switch (int(kinds)) {
    case 0:
      return randString();
    case 1:
      return randNumber();
    case 2:
      return pick([true, false]);
    case 3:
      return null;
    case 4:
      return Array.from({ length: int(5) }, () => randValue(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--) o[chance(0.2) ? pick(POLLUTION_KEYS) : randString().slice(0, 30)] = randValue(depth + 1);
      return o;
    }
  }
}

const sid = () => `fz-${int(20)}`;
const cwd = () => pick(['/tmp/fuzz-a', '/tmp/fuzz-b', '/', '', '~', 'relative/dir']);
const tid = () => `toolu_fz_${int(1e9)}`;

/** A valid body per POST endpoint (the fuzzer mutates these). */
const TEMPLATES: Record<string, () => Record<string, unknown>> = {
  '/api/sessions/init': () => ({ session_id: sid(), cwd: cwd(), prompt: 'fix the tests', source: 'startup' }),
  '/api/sessions/observations': () => ({
    session_id: sid(),
    cwd: cwd(),
    tool_name: pick(['Bash', 'Read', 'Edit', 'mcp__x__y']),
    tool_input: { command: 'ls' },
    tool_response: { stdout: 'a\nb', stderr: '' },
    tool_use_id: tid(),
    agent_id: null,
  }),
  '/api/sessions/summarize': () => ({ session_id: sid(), cwd: cwd(), last_assistant_message: 'Done.' }),
  '/api/sessions/end': () => ({ session_id: sid(), reason: 'other' }),
  '/api/observations/batch': () => ({ ids: [1, 2, 3], project: 'fuzz-a' }),
  '/api/import': () => ({
    observations: [{ project: 'fuzz-import', type: 'discovery', title: `t${int(50)}`, narrative: 'n', facts: ['f'], created_at: '2025-01-01T00:00:00Z' }],
    summaries: [{ project: 'fuzz-import', request: 'r', learned: 'l' }],
    prompts: [{ content_session_id: 'fz-import', project: 'fuzz-import', prompt_number: 1 + int(3), prompt_text: 'p' }],
  }),
  '/api/settings': () => ({ CLAUDE_MEM_CONTEXT_OBSERVATIONS: String(10 + int(40)), CLAUDE_MEM_CONTEXT_FULL_FIELD: 'narrative' }),
  '/api/credentials': () => ({ OPENAI_API_KEY: `sk-fuzz-${int(1e6)}` }),
  '/api/queue/dead/:id/retry': () => ({}),
  '/api/embeddings/reindex': () => ({ reset: chance(0.5) }),
};
const POST_PATHS = Object.keys(TEMPLATES);

function mutate(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  const keys = Object.keys(out);
  for (let m = 1 + int(3); m > 0; m--) {
    switch (int(4)) {
      case 0: // missing field
        if (keys.length) delete out[pick(keys)];
        break;
      case 1: // wrong type
        if (keys.length) out[pick(keys)] = randValue();
        break;
      case 2: // extra field
        out[randString().slice(0, 20) || 'extra'] = randValue();
        break;
      default: // nested junk
        if (keys.length) out[pick(keys)] = { [pick(POLLUTION_KEYS)]: randValue(), nested: [randValue(), randValue()] };
    }
  }
  return out;
}

function deepNesting(): string {
  const depth = pick([100, 1000, 5000, 20_000, 100_000]);
  const inner = chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  if (chance(0.5)) return inner;
  // Inside a field that accepts anything (tool_input / tool_response).
  const t = TEMPLATES['/api/sessions/observations']();
  return JSON.stringify({ ...t, tool_input: '@@' }).replace('"@@"', inner);
}

function pollutionText(template: Record<string, unknown>): string {
  const key = pick(POLLUTION_KEYS);
  const payload = chance(0.5) ? '{"polluted":"fz-pollution-marker","isAdmin":true}' : '{"prototype":{"polluted":"fz-pollution-marker"}}';
  const json = JSON.stringify(template);
  // Raw text: an object literal's __proto__ would be swallowed by JSON.stringify.
  return chance(0.5) ? `{"${key}":${payload},${json.slice(1)}` : json.replace(/\{"/, `{"${key}":${payload},"`);
}

function invalidUtf8(template: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify(template));
  const at = json.indexOf(0x22, json.indexOf(0x3a)) + 1; // inside the first string value
  const junk = Buffer.from(Array.from({ length: 1 + int(8) }, () => pick([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0xf8, 0x00])));
  return Buffer.concat([json.subarray(0, at), junk, json.subarray(at)]);
}

function hugeStrings(template: Record<string, unknown>): string {
  const keys = Object.keys(template);
  const size = pick([100_000, 600_000, 1_100_000, 2_000_000]);
  return JSON.stringify({ ...template, [keys.length ? pick(keys) : 'x']: 'h'.repeat(size) });
}

function truncatedOrBytes(template: Record<string, unknown>): Buffer {
  if (chance(0.5)) {
    const json = JSON.stringify(template);
    return Buffer.from(json.slice(0, int(json.length)));
  }
  return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
}

interface Case {
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer | string;
  headers: Record<string, string>;
  kind: string;
}

function postCase(): Case {
  let path = pick(POST_PATHS);
  const template = TEMPLATES[path]();
  if (path.includes(':id')) path = path.replace(':id', pick(['1', '0', '-1', 'abc', '1e3', '99999999999999999999', '%00', '..%2f..']));
  let body: Buffer | string;
  let kind: string;
  const r = rnd();
  if (r < 0.1) [body, kind] = [JSON.stringify(template), 'valid'];
  else if (r < 0.55) [body, kind] = [JSON.stringify(mutate(template)), 'mutated'];
  else if (r < 0.67) [body, kind] = [JSON.stringify(randValue()) ?? 'null', 'random-json'];
  else if (r < 0.74) [body, kind] = [deepNesting(), 'deep'];
  else if (r < 0.84) [body, kind] = [pollutionText(chance(0.5) ? template : mutate(template)), 'pollution'];
  else if (r < 0.92) [body, kind] = [invalidUtf8(template), 'invalid-utf8'];
  else if (r < 0.97) [body, kind] = [truncatedOrBytes(template), 'truncated/bytes'];
  else [body, kind] = [hugeStrings(template), 'huge'];
  const contentType = chance(0.9) ? 'application/json' : pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']);
  return { method: 'POST', path, body, headers: contentType ? { 'content-type': contentType } : {}, kind };
}

const GET_PARAMS: Record<string, string[]> = {
  '/api/health': [],
  '/api/search': ['query', 'project', 'type', 'concepts', 'files', 'dateStart', 'dateEnd', 'orderBy', 'limit', 'offset', 'kinds', 'format'],
  '/api/observations': ['project', 'limit', 'offset'],
  '/api/observation/:id': [],
  '/api/summaries': ['project', 'limit', 'offset'],
  '/api/prompts': ['project', 'limit', 'offset'],
  '/api/projects': [],
  '/api/timeline': ['anchor', 'query', 'project', 'before', 'after'],
  '/api/context/inject': ['project', 'cwd'],
  '/api/file-context': ['path', 'cwd'],
  '/api/queue': [],
  '/api/logs': ['file', 'lines'],
  '/api/settings': [],
  '/api/export': ['project'],
  '/api/embeddings': [],
};

/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on lone surrogates). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

function queryValue(): string {
  switch (int(7)) {
    case 0:
      return pct(randString());
    case 1:
      return pick(['%zz', '%', '%f', '%ff%fe', '%00', '%c0%af', '%ed%a0%80', '%E2%80%AE']);
    case 2:
      return String(randNumber());
    case 3:
      return pick(['-1', '0', '1e9', 'NaN', 'Infinity', '0x10', '1.5', '', 'true', 'bugfix,nope', 'observations,sessions,x']);
    case 4:
      return 'q'.repeat(pick([1000, 20_000, 120_000]));
    case 5:
      return pct(pick(['"unterminated', 'a OR b', 'NEAR(a b)', '*', '^', 'col:val', '{}', '[]']));
    default:
      return pct(new Date(int(2e12)).toISOString());
  }
}

function getCase(): Case {
  let path = pick(Object.keys(GET_PARAMS));
  const params = GET_PARAMS[path];
  if (path.includes(':id')) path = path.replace(':id', pick(['1', '0', 'x', '-5', '%00', '1.5', '9'.repeat(30)]));
  const parts: string[] = [];
  for (let i = int(6); i > 0; i--) {
    const key = params.length && chance(0.8) ? pick(params) : pick([...POLLUTION_KEYS, 'x', 'a[]', 'limit[0]', '']);
    parts.push(`${key}=${queryValue()}`);
  }
  return { method: 'GET', path: parts.length ? `${path}?${parts.join('&')}` : path, headers: {}, kind: 'query' };
}

// ---- running ------------------------------------------------------------------------------

interface Failure {
  c: Case;
  why: string;
  status?: number;
  text?: string;
}

function check(r: RawResponse): string | null {
  if (r.status >= 200 && r.status < 300) return null;
  if (r.status >= 500 || r.status < 200) return `status ${r.status}`;
  let json: unknown;
  try {
    json = JSON.parse(r.text);
  } catch {
    return `status ${r.status} without a JSON body`;
  }
  const error = (json as { error?: unknown } | null)?.error;
  if (typeof error !== 'string' || error.trim() === '') return `status ${r.status} without an error message`;
  return null;
}

function describeCase(c: Case): string {
  const body = c.body === undefined ? '' : Buffer.from(c.body).subarray(0, 160).toString('latin1');
  return `${c.kind} ${c.method} ${c.path.slice(0, 160)} ${JSON.stringify(c.headers)} ${JSON.stringify(body)}`;
}

async function runCases(cases: Case[], failures: Failure[], counts: Map<number, number>): Promise<void> {
  let next = 0;
  let healthChecks = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i];
        try {
          const r = await authedRequest(w.port, c.method, c.path, { body: c.body, headers: c.headers, timeoutMs: 30_000 });
          counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
          const why = check(r);
          if (why) failures.push({ c, why, status: r.status, text: r.text.slice(0, 300) });
        } catch (err) {
          // A large body the route does not need (a 400 on the path, or a body-less endpoint) is
          // answered before it is fully sent; the HTTP adapter drains the rest for at most 500 ms
          // and then closes, so a slow sender sees EPIPE/ECONNRESET. That is a refusal, not a
          // crash: the health checks below prove the worker stayed up.
          const large = c.body !== undefined && Buffer.byteLength(c.body) > 512 * 1024;
          if (large && /EPIPE|ECONNRESET/.test((err as Error).message)) {
            counts.set(-1, (counts.get(-1) ?? 0) + 1);
            continue;
          }
          failures.push({ c, why: `network error: ${(err as Error).message}` });
        }
        // Health throughout: one lane checks every 250 requests.
        if (lane === 0 && i >= (healthChecks + 1) * 250) {
          healthChecks++;
          const h = await authedRequest(w.port, 'GET', '/api/health');
          if (h.status !== 200 || JSON.parse(h.text).pid !== w.proc.pid) failures.push({ c, why: `health after case ${i}: ${h.status} ${h.text.slice(0, 200)}` });
        }
      }
    }),
  );
}

function report(label: string, failures: Failure[], counts: Map<number, number>, ms: number, total: number): void {
  const byStatus = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
  console.log(`[fuzz] ${label}: ${total} requests in ${ms} ms; statuses ${byStatus}; failures ${failures.length}`);
  for (const f of failures.slice(0, 8)) console.log(`[fuzz]   ${f.why} ← ${describeCase(f.c)} → ${f.text ?? ''}`);
}

it(`${HTTP_BODIES} generated POST bodies: 2xx or 4xx with a JSON error; the worker never falls over`, async () => {
  const cases = Array.from({ length: HTTP_BODIES }, postCase);
  const kinds = new Map<string, number>();
  for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
  console.log(`[fuzz] POST mix: ${[...kinds.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}; endpoints: ${POST_PATHS.join(' ')}`);
  const failures: Failure[] = [];
  const counts = new Map<number, number>();
  const t0 = Date.now();
  await runCases(cases, failures, counts);
  report('POST', failures, counts, Date.now() - t0, cases.length);
  expect(failures.map((f) => `${f.why} ← ${describeCase(f.c)}`).slice(0, 5)).toEqual([]);
  expect(w.proc.exitCode).toBeNull();
  const h = JSON.parse((await authedRequest(w.port, 'GET', '/api/health')).text);
  expect(h.pid).toBe(w.proc.pid);
  expect([...counts.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
  // Prototype-pollution keys were dropped or refused, never stored or merged anywhere.
  for (const p of ['/api/settings', '/api/export', '/api/health', '/api/queue']) {
    const text = (await authedRequest(w.port, 'GET', p)).text;
    expect(text, p).not.toContain('fz-pollution-marker');
    expect(text, p).not.toContain('isAdmin');
  }
  expect(fs.readFileSync(path.join(w.dataDir, 'settings.json'), 'utf8')).not.toContain('fz-pollution-marker');
  const errors = fs.existsSync(path.join(w.dataDir, 'logs', 'worker-error.log')) ? fs.readFileSync(path.join(w.dataDir, 'logs', 'worker-error.log'), 'utf8') : '';
  expect(errors).not.toMatch(/Unhandled error in request|Uncaught exception|Unhandled rejection/);
}, 240_000);

it('a credential value with a NUL byte is a 400 naming the key, not a 500 (found by this fuzzer)', async () => {
  const r = await authedRequest(w.port, 'POST', '/api/credentials', {
    body: JSON.stringify({ OPENAI_API_KEY: 'sk-fuzz\u0000tail' }),
    headers: { 'content-type': 'application/json' },
  });
  expect(r.status, r.text).toBe(400);
  expect(JSON.parse(r.text).error).toMatch(/^OPENAI_API_KEY: .*single line/);
  expect(r.text).not.toContain('sk-fuzz');
});

it('nesting: 100 levels in tool_input are accepted, 101 are refused naming the field (no stack overflow)', async () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const body = (depth: number, id: string) =>
    `{"session_id":"fz-nest","cwd":"/tmp/fuzz-a","tool_name":"Bash","tool_response":"ok","tool_use_id":"${id}","tool_input":${nested(depth)}}`;
  const ok = await authedRequest(w.port, 'POST', '/api/sessions/observations', { body: body(100, 'toolu_nest_100'), headers: { 'content-type': 'application/json' } });
  expect(ok.status, ok.text).toBe(202);
  const deep = await authedRequest(w.port, 'POST', '/api/sessions/observations', { body: body(101, 'toolu_nest_101'), headers: { 'content-type': 'application/json' } });
  expect(deep.status).toBe(400);
  expect(JSON.parse(deep.text).error).toBe('tool_input: nested more than 100 levels deep; send flatter data');
  const huge = await authedRequest(w.port, 'POST', '/api/sessions/observations', { body: body(200_000, 'toolu_nest_200k'), headers: { 'content-type': 'application/json' } });
  expect(huge.status).toBe(400);
});

it(`${GET_QUERIES} generated query strings on every GET endpoint: 2xx or 4xx with a JSON error`, async () => {
  const cases = Array.from({ length: GET_QUERIES }, getCase);
  const failures: Failure[] = [];
  const counts = new Map<number, number>();
  const t0 = Date.now();
  await runCases(cases, failures, counts);
  report('GET', failures, counts, Date.now() - t0, cases.length);
  expect(failures.map((f) => `${f.why} ← ${describeCase(f.c)}`).slice(0, 5)).toEqual([]);
  expect(JSON.parse((await authedRequest(w.port, 'GET', '/api/health')).text).pid).toBe(w.proc.pid);
}, 120_000);

// ---- hooks ----------------------------------------------------------------------------------

function hookInput(event: string): Buffer | string {
  const base: Record<string, unknown> = {
    session_id: sid(),
    transcript_path: '/tmp/t.jsonl',
    cwd: cwd(),
    hook_event_name: event,
    tool_name: pick(['Bash', 'Read', 'Write', 'TodoWrite']),
    tool_input: { file_path: '/tmp/fuzz-a/x.ts' },
    tool_response: { stdout: 'x' },
    tool_use_id: tid(),
    prompt: 'hello',
    source: 'startup',
    reason: 'other',
    last_assistant_message: 'ok',
    error: 'Exit code 1',
  };
  const r = rnd();
  if (r < 0.45) return JSON.stringify(mutate(base));
  if (r < 0.6) return JSON.stringify(randValue()) ?? '';
  if (r < 0.7) return invalidUtf8(base);
  if (r < 0.8) return truncatedOrBytes(base);
  if (r < 0.88) return pollutionText(base);
  if (r < 0.94) return deepNesting();
  return pick(['', ' ', '\n', 'null', '[]', '"str"', '42', '{', '\u0000']);
}

it(`${HOOK_PAYLOADS} generated stdin payloads across all hook bundles: exit 0, one JSON object each`, async () => {
  const events = Object.keys(HOOK_FOR_EVENT);
  const cases = Array.from({ length: HOOK_PAYLOADS }, (_, i) => ({ event: events[i % events.length], input: hookInput(events[i % events.length]) }));
  const failures: string[] = [];
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < cases.length) {
        const c = cases[next++];
        const r = await runHookAsync(HOOK_FOR_EVENT[c.event], c.input, w.env);
        const out = hookOutput(r);
        if (!out.ok) failures.push(`${HOOK_FOR_EVENT[c.event]}: ${out.why} ← ${JSON.stringify(Buffer.from(c.input).subarray(0, 160).toString('latin1'))}`);
      }
    }),
  );
  console.log(`[fuzz] hooks: ${cases.length} runs in ${Date.now() - t0} ms; failures ${failures.length}`);
  for (const f of failures.slice(0, 8)) console.log(`[fuzz]   ${f}`);
  expect(failures.slice(0, 5)).toEqual([]);
  expect(JSON.parse((await authedRequest(w.port, 'GET', '/api/health')).text).pid).toBe(w.proc.pid);
}, 180_000);
