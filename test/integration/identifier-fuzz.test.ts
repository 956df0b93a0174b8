// Every identifier the worker accepts, fuzzed with lone surrogates, NULs and other control
// characters, overlong and empty values and both Unicode normalisation forms, against a real worker
// (dist/) whose memory agent talks to the fake Anthropic gateway. Each request is refused with a 400
// naming the field, or stored and read back exactly as sent. Afterwards the worker must be idle (a
// lone surrogate used to be stored as U+FFFD, selected forever and never claimed: 100 % CPU) and
// healthy, and so must a worker restarted on the same database.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { authedFetch, getJson, postJson, runHook, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { health, markedReply, sleep } from './agent-support.js';

type Kind = 'id' | 'path';

// The same name in both normalisation forms: stored as sent, never merged (see schemas.ts).
const NFC = 'Ångström-café';
const NFD = NFC.normalize('NFD');

interface Variant {
  name: string;
  /** `tag` keeps the valid values of different fields apart (they are stored). */
  value: (kind: Kind, tag: string) => string;
  /** The refusal message, or 'ok' when the value is valid. */
  expect: RegExp | 'ok';
}

const VARIANTS: Variant[] = [
  { name: 'lone high surrogate', value: () => 'fz\ud800x', expect: /lone UTF-16 surrogate \(U\+D800 at position 2\)/ },
  { name: 'lone low surrogate', value: () => 'fz\udc00x', expect: /lone UTF-16 surrogate \(U\+DC00 at position 2\)/ },
  { name: 'surrogates in the wrong order', value: () => 'fz\udc00\ud800', expect: /lone UTF-16 surrogate/ },
  { name: 'trailing high surrogate', value: () => 'fz\udbff', expect: /lone UTF-16 surrogate \(U\+DBFF/ },
  { name: 'NUL', value: () => 'fz\u0000x', expect: /control character U\+0000 at position 2/ },
  { name: 'escape sequence', value: () => 'fz\u001b[31m', expect: /control character U\+001B/ },
  { name: 'newline', value: () => 'fz\nx', expect: /control character U\+000A/ },
  { name: 'DEL', value: () => 'fz\u007f', expect: /control character U\+007F/ },
  { name: 'C1 control (NEL)', value: () => 'fz\u0085', expect: /control character U\+0085/ },
  { name: 'overlong', value: (k) => (k === 'id' ? 'x'.repeat(513) : `/${'x'.repeat(4096)}`), expect: /characters long; .* at most \d+$/ },
  { name: 'empty', value: () => '', expect: /must not be empty/ },
  { name: 'NFC', value: (k, tag) => (k === 'path' ? `/srv/fuzz/${tag}-${NFC}` : `${tag}-${NFC}`), expect: 'ok' },
  { name: 'NFD', value: (k, tag) => (k === 'path' ? `/srv/fuzz/${tag}-${NFD}` : `${tag}-${NFD}`), expect: 'ok' },
];

let gateway: FakeAnthropic;
let w: WorkerHandle;
let serial = 0;
const uniq = (tag: string) => `fz-${tag}-${++serial}`;

beforeAll(async () => {
  gateway = await startFakeAnthropic({ handler: markedReply('fuzz') });
  w = await startWorker({ dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-fuzz-test\n` });
});
afterAll(async () => {
  await w?.stop();
  await gateway?.close();
});

const post = (route: string, body: unknown) => postJson<any>(`${w.url}${route}`, body);

/** Percent-encodes like encodeURIComponent, but a lone surrogate becomes its 3-byte WTF-8 form. */
function rawEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

async function get(route: string): Promise<{ status: number; body: any }> {
  const res = await authedFetch(`${w.url}${route}`);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

function expectRefused(r: { status: number; body: any }, field: string, v: Variant, encodedInQuery = false): void {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  const message: string = r.body.error;
  expect(message.startsWith(`${field}: `), message).toBe(true);
  // A lone surrogate cannot be percent-encoded as UTF-8 at all: the query refusal says so.
  if (encodedInQuery && /surrogate/.test(v.name)) expect(message).toMatch(/percent-encoding is not valid UTF-8/);
  else expect(message).toMatch(v.expect as RegExp);
}

const basename = (p: string) => path.basename(p) || 'unknown';

// ---- hook endpoints --------------------------------------------------------------------------

interface BodyField {
  route: string;
  field: string;
  kind: Kind;
  /** An empty value is valid (cwd: project "unknown"; a project filter: all projects). */
  emptyOk?: boolean;
  body: (v: string) => Record<string, unknown>;
  /** For a valid value: checks (possibly after the agent ran) that it reads back exactly. */
  readBack?: (v: string, res: any, body: Record<string, unknown>) => Promise<void> | void;
}

/** Checks that must wait for the memory agent to process the queued events. */
const afterDrain: Array<() => Promise<void>> = [];

const toolEvent = (over: Record<string, unknown>) => ({
  session_id: uniq('sess'),
  cwd: '/srv/fuzz/tools',
  tool_name: 'Bash',
  tool_input: { command: 'ls' },
  tool_response: { stdout: 'a\nb' },
  tool_use_id: uniq('toolu'),
  ...over,
});

const gatewaySaw = (needle: string) => gateway.messageRequests().some((r) => lastUserText(r.body).includes(needle));

async function observationsOf(sessionId: string): Promise<any[]> {
  const all = await getJson<{ observations: any[] }>(`${w.url}/api/observations?limit=1000`);
  return all.observations.filter((o) => o.content_session_id === sessionId);
}

const BODY_FIELDS: BodyField[] = [
  {
    route: '/api/sessions/init',
    field: 'session_id',
    kind: 'id',
    body: (v) => ({ session_id: v, cwd: '/srv/fuzz/init', prompt: 'fuzz prompt' }),
    readBack: async (v) => {
      const { prompts } = await getJson<{ prompts: any[] }>(`${w.url}/api/prompts?project=init&limit=1000`);
      expect(prompts.filter((p) => p.content_session_id === v)).toHaveLength(1);
    },
  },
  {
    route: '/api/sessions/init',
    field: 'cwd',
    kind: 'path',
    emptyOk: true,
    body: (v) => ({ session_id: uniq('init-cwd'), cwd: v, prompt: 'fuzz prompt' }),
    readBack: async (v, res, body) => {
      expect(res.project).toBe(basename(v));
      const { prompts } = await getJson<{ prompts: any[] }>(`${w.url}/api/prompts?project=${encodeURIComponent(basename(v))}&limit=1000`);
      const mine = prompts.filter((p) => p.content_session_id === body.session_id);
      expect(mine.map((p) => p.project)).toEqual([basename(v)]);
    },
  },
  {
    route: '/api/sessions/init',
    field: 'source',
    kind: 'id',
    body: (v) => ({ session_id: uniq('init-src'), cwd: '/srv/fuzz/init', source: v }),
  },
  {
    route: '/api/sessions/observations',
    field: 'session_id',
    kind: 'id',
    body: (v) => toolEvent({ session_id: v }),
    readBack: (v) => void afterDrain.push(async () => expect((await observationsOf(v)).length).toBeGreaterThan(0)),
  },
  {
    route: '/api/sessions/observations',
    field: 'cwd',
    kind: 'path',
    emptyOk: true,
    body: (v) => toolEvent({ cwd: v }),
    readBack: (v, res, body) => {
      expect(res.project).toBe(basename(v));
      afterDrain.push(async () => {
        const obs = await observationsOf(body.session_id as string);
        expect(obs.map((o) => o.project)).toEqual([basename(v)]);
        if (v) expect(gatewaySaw(`\ncwd: ${v}\n`)).toBe(true);
      });
    },
  },
  {
    route: '/api/sessions/observations',
    field: 'tool_name',
    kind: 'id',
    body: (v) => toolEvent({ tool_name: v }),
    readBack: (v) => void afterDrain.push(async () => expect(gatewaySaw(`\ntool: ${v}\n`)).toBe(true)),
  },
  {
    route: '/api/sessions/observations',
    field: 'tool_use_id',
    kind: 'id',
    body: (v) => toolEvent({ tool_use_id: v }),
    readBack: async (v, res) => {
      // Stored exactly: the other normalisation form was not taken for this one, and the same id
      // again is recognised as a duplicate.
      expect(res.status).toBe('queued');
      const again = await post('/api/sessions/observations', toolEvent({ tool_use_id: v }));
      expect(again.body.status).toBe('duplicate');
    },
  },
  {
    route: '/api/sessions/observations',
    field: 'agent_id',
    kind: 'id',
    body: (v) => toolEvent({ agent_id: v, agent_type: 'Explore' }),
    readBack: (v, _res, body) =>
      void afterDrain.push(async () => {
        const obs = await observationsOf(body.session_id as string);
        expect(obs.map((o) => o.agent_id)).toEqual([v]);
      }),
  },
  {
    route: '/api/sessions/observations',
    field: 'agent_type',
    kind: 'id',
    body: (v) => toolEvent({ agent_id: uniq('agent'), agent_type: v }),
    readBack: (v) => void afterDrain.push(async () => expect(gatewaySaw(`by: subagent ${v} (`)).toBe(true)),
  },
  {
    route: '/api/sessions/summarize',
    field: 'session_id',
    kind: 'id',
    body: (v) => ({ session_id: v, cwd: '/srv/fuzz/summaries', last_assistant_message: 'done' }),
    readBack: (v) =>
      void afterDrain.push(async () => {
        const { summaries } = await getJson<{ summaries: any[] }>(`${w.url}/api/summaries?project=summaries&limit=1000`);
        expect(summaries.filter((s) => s.content_session_id === v)).toHaveLength(1);
      }),
  },
  {
    route: '/api/sessions/summarize',
    field: 'agent_id',
    kind: 'id',
    body: (v) => ({ session_id: uniq('sum'), cwd: '/srv/fuzz/summaries', last_assistant_message: 'done', agent_id: v }),
    readBack: (_v, res) => expect(res).toEqual({ status: 'skipped', reason: 'subagent' }),
  },
  {
    route: '/api/sessions/end',
    field: 'session_id',
    kind: 'id',
    body: (v) => ({ session_id: v, reason: 'other' }),
    readBack: async (v, res) => {
      expect(res.status).toBe('unknown-session');
      // Once a session exists under this exact id, ending it finds it.
      expect((await post('/api/sessions/init', { session_id: v, cwd: '/srv/fuzz/end' })).status).toBe(200);
      expect((await post('/api/sessions/end', { session_id: v })).body.status).toBe('ended');
    },
  },
  {
    route: '/api/sessions/end',
    field: 'reason',
    kind: 'id',
    body: (v) => ({ session_id: uniq('end'), reason: v }),
  },
  {
    route: '/api/observations/batch',
    field: 'project',
    kind: 'id',
    emptyOk: true,
    body: (v) => ({ ids: [1], project: v }),
  },
  ...(['content_session_id', 'project', 'agent_id', 'model'] as const).map(
    (f): BodyField => ({
      route: '/api/import',
      field: `observations.0.${f}`,
      kind: 'id',
      // A model may be recorded as empty (older exports hold "").
      emptyOk: f === 'model',
      body: (v) => ({
        observations: [{ content_session_id: uniq('imp'), project: 'imported-fuzz', type: 'discovery', title: uniq('title'), [f]: v }],
      }),
      readBack: async (v, res) => {
        const row = await getJson<any>(`${w.url}/api/observation/${res.observations.ids[0]}`);
        expect(row[f]).toBe(v);
      },
    }),
  ),
  ...(['content_session_id', 'project'] as const).map(
    (f): BodyField => ({
      route: '/api/import',
      field: `prompts.0.${f}`,
      kind: 'id',
      body: (v) => ({ prompts: [{ content_session_id: uniq('imp'), project: 'imported-fuzz', prompt_number: 1, prompt_text: 'p', [f]: v }] }),
      readBack: async (v, _res, body) => {
        const sent = (body.prompts as any[])[0];
        expect(sent[f]).toBe(v);
        const { prompts } = await getJson<{ prompts: any[] }>(`${w.url}/api/prompts?project=${encodeURIComponent(sent.project)}&limit=1000`);
        expect(prompts.filter((p) => p.content_session_id === sent.content_session_id && p.project === sent.project)).toHaveLength(1);
      },
    }),
  ),
];

describe('identifiers in request bodies', () => {
  for (const f of BODY_FIELDS) {
    it(`${f.route} ${f.field}`, async () => {
      const sentNormalForms: string[] = [];
      for (const v of VARIANTS) {
        const value = v.value(f.kind, `${path.basename(f.route)}.${f.field}`);
        const body = f.body(value);
        const r = await post(f.route, body);
        const valid = v.expect === 'ok' || (v.name === 'empty' && f.emptyOk);
        if (!valid) {
          expectRefused(r, f.field, v);
          continue;
        }
        expect(r.status, `${v.name}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
        if (v.expect === 'ok') sentNormalForms.push(value);
        await f.readBack?.(value, r.body, body);
      }
      expect(sentNormalForms).toHaveLength(2);
      expect(sentNormalForms[0]).not.toBe(sentNormalForms[1]);
    });
  }

  it('a body that is not valid UTF-8 is refused, not stored with U+FFFD', async () => {
    const json = Buffer.concat([Buffer.from('{"session_id":"fz'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","cwd":"/srv/fuzz/x","prompt":"p"}')]);
    const res = await authedFetch(`${w.url}/api/sessions/init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toBe('body: is not valid UTF-8; send the JSON as UTF-8 text');
    const { prompts } = await getJson<{ prompts: any[] }>(`${w.url}/api/prompts?project=x`);
    expect(prompts).toEqual([]);
  });
});

// ---- query parameters and route ids ------------------------------------------------------------

interface QueryField {
  field: string;
  kind: Kind;
  emptyOk?: boolean;
  route: (encoded: string) => string;
}

const QUERY_FIELDS: QueryField[] = [
  ...['/api/observations', '/api/summaries', '/api/prompts', '/api/export'].map(
    (r): QueryField => ({ field: 'project', kind: 'id', emptyOk: true, route: (e) => `${r}?project=${e}` }),
  ),
  { field: 'project', kind: 'id', emptyOk: true, route: (e) => `/api/search?query=queue&project=${e}` },
  { field: 'project', kind: 'id', emptyOk: true, route: (e) => `/api/timeline?query=queue&project=${e}` },
  { field: 'project', kind: 'id', route: (e) => `/api/context/inject?project=${e}` },
  { field: 'cwd', kind: 'path', route: (e) => `/api/context/inject?cwd=${e}` },
  { field: 'path', kind: 'path', route: (e) => `/api/file-context?cwd=/srv/fuzz&path=${e}` },
  { field: 'cwd', kind: 'path', emptyOk: true, route: (e) => `/api/file-context?path=/srv/fuzz/a.ts&cwd=${e}` },
];

describe('identifiers in query strings', () => {
  for (const q of QUERY_FIELDS) {
    it(q.route('…'), async () => {
      for (const v of VARIANTS) {
        // An empty context query names neither project nor cwd: refused by that rule instead.
        if (v.name === 'empty' && q.route('').includes('/api/context/inject')) continue;
        const r = await get(q.route(rawEncode(v.value(q.kind, q.field))));
        if (v.expect === 'ok' || (v.name === 'empty' && q.emptyOk)) expect(r.status, `${v.name}: ${JSON.stringify(r.body)}`).toBe(200);
        else expectRefused(r, q.field, v, true);
      }
    });
  }

  it('free text is not an identifier: a stray or undecodable % in a search query is searched as written', async () => {
    for (const q of ['%ED%A0%80', '100%', '%zz']) expect((await get(`/api/search?query=${q}`)).status, q).toBe(200);
  });

  it('a project filter matches the normalisation form it is given, and only that one', async () => {
    const project = (form: string) => `init.cwd-${form}`; // stored by the init cwd case
    for (const [form, other] of [
      [project(NFC), project(NFD)],
      [project(NFD), project(NFC)],
    ]) {
      const { prompts } = await getJson<{ prompts: any[] }>(`${w.url}/api/prompts?project=${encodeURIComponent(form)}&limit=1000`);
      expect(prompts.length).toBeGreaterThan(0);
      expect(prompts.every((p) => p.project === form && p.project !== other)).toBe(true);
    }
  });
});

describe('ids in routes', () => {
  const BAD_IDS = ['0', '-1', '1e3', '0x10', '%201', '1.0', 'abc', '%00', '%ED%A0%80', '99999999999999999999', `${'9'.repeat(600)}`];
  it.each([
    ['/api/observation/', '', 'GET', 'an observation id'],
    ['/api/queue/dead/', '/retry', 'POST', 'a dead-letter id'],
  ])('%s:id%s', async (prefix, suffix, method, what) => {
    for (const id of BAD_IDS) {
      const res = await authedFetch(`${w.url}${prefix}${id}${suffix}`, { method });
      const body = (await res.json()) as { error: string };
      expect(res.status, `${id}: ${body.error}`).toBe(400);
      expect(body.error).toMatch(new RegExp(`^id: ".*" is not ${what}; use the number as listed`));
    }
    // A well-formed id that does not exist is a 404, not a 400.
    const res = await authedFetch(`${w.url}${prefix}424242${suffix}`, { method });
    expect(res.status).toBe(404);
  });
});

// ---- through the real hook, then idle, healthy and restartable ---------------------------------

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command name).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function cpuShare(pid: number, ms = 2500): Promise<number> {
  const before = cpuSeconds(pid);
  await sleep(ms);
  return (cpuSeconds(pid) - before) / (ms / 1000);
}

describe('afterwards', () => {
  it('the PostToolUse hook exits 0 on a lone surrogate, drops that event and keeps valid ones', async () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/claude-code-hooks/04-PostToolUse-Read.json'), 'utf8'));
    const good = { ...fixture, session_id: uniq('hook'), tool_use_id: uniq('toolu'), cwd: '/srv/fuzz/hooked' };
    // JSON text with the escape, exactly as a broken client would send it.
    const bad = JSON.stringify({ ...good, tool_use_id: uniq('toolu') }).replace(`"session_id":"${good.session_id}"`, '"session_id":"fz\\ud800"');
    expect(bad).toContain('\\ud800');
    const r = runHook('post-tool-use', bad, w.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({});
    const ok = runHook('post-tool-use', good, w.env);
    expect(ok.code).toBe(0);
    afterDrain.push(async () => expect((await observationsOf(good.session_id)).length).toBe(1));
  });

  it('every accepted event is processed, and the worker is then idle and healthy', async () => {
    await waitFor(async () => (await health(w)).queueDepth === 0, 60_000, 'the queue to drain');
    for (const check of afterDrain) await check();
    const h = await health(w);
    expect(h.status).toBe('ok');
    expect(h.deadLetters).toBe(0);
    expect(await observationsOf('fz\ufffd')).toEqual([]);
    const share = await cpuShare(w.proc.pid!);
    console.log(`identifier-fuzz: worker CPU while idle ${(share * 100).toFixed(1)} %`);
    expect(share).toBeLessThan(0.05);
  });

  it('a worker restarted on the same database is healthy and idle', async () => {
    const { dataDir, port } = w;
    expect(await w.stop()).toBe(0);
    const dotenv = fs.readFileSync(path.join(dataDir, '.env'), 'utf8');
    w = await startWorker({ dataDir, port, dotenv });
    const h = await health(w);
    expect(h.status).toBe('ok');
    expect(h.queueDepth).toBe(0);
    expect(h.deadLetters).toBe(0);
    await sleep(500); // start-up work (migrations, claim expiry) is not idling
    const share = await cpuShare(w.proc.pid!);
    console.log(`identifier-fuzz: restarted worker CPU while idle ${(share * 100).toFixed(1)} %`);
    expect(share).toBeLessThan(0.05);
  });
});
