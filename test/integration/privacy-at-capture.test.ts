// Privacy at capture, through the real hook processes into a real worker.
// <private> text is never stored, an entirely-private prompt suppresses its turn, planted keys are
// redacted (checked in the database file bytes too), excluded projects and the memory agent's own
// process capture nothing, and a huge tool response is stored truncated.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedFetch, freePort, runHook, startWorker, tempDir, testEnv, waitFor, type HookRun, type WorkerHandle } from '../helpers/worker.js';

const FAKE_KEY = 'sk-ant-api03-' + 'Zq7'.repeat(30) + '-AbC9xYz_w0';
const PRIVATE_WORDS = 'hunter2-the-private-passphrase';

let w: WorkerHandle;
beforeAll(async () => {
  w = await startWorker({ settings: { CLAUDE_MEM_EXCLUDED_PROJECTS: '**/client-*,~/never-remember' } });
});
afterAll(async () => {
  await w?.stop();
});

function oneJson(r: HookRun, label: string): Record<string, unknown> {
  expect(r.code, `${label} exit code (stderr: ${r.stderr})`).toBe(0);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `${label} stdout: ${r.stdout}`).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

function hook(name: string, payload: Record<string, unknown>, env = w.env): Record<string, unknown> {
  return oneJson(runHook(name, payload, env), `${name} ${String(payload.session_id)}`);
}

function query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(w.dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Every byte the worker keeps in its data dir (database, WAL, logs), as latin1 text. */
function dataDirBytes(dir = w.dataDir): string {
  let out = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1');
  }
  return out;
}

const base = (session: string, cwd = '/tmp/privacy-project') => ({ session_id: session, cwd, transcript_path: '/tmp/t.jsonl' });
const prompt = (session: string, text: string, cwd?: string) => ({ ...base(session, cwd), hook_event_name: 'UserPromptSubmit', prompt: text });
const tool = (session: string, id: string, response: unknown, cwd?: string) => ({
  ...base(session, cwd),
  hook_event_name: 'PostToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'cat .env' },
  tool_response: response,
  tool_use_id: id,
});
const stop = (session: string, cwd?: string) => ({ ...base(session, cwd), hook_event_name: 'Stop', last_assistant_message: 'Done.' });

describe('privacy at capture', () => {
  it('<private> text in a prompt is never stored', async () => {
    hook('user-prompt-submit', prompt('s-priv', `Fix the login bug. <private>${PRIVATE_WORDS}</private> Thanks`));
    // The hook route answers first and stores right after (docs/capture.md): wait for the row.
    const rows = (await waitFor(() => {
      const r = query<{ prompt_text: string }>(
        'SELECT p.prompt_text FROM user_prompts p JOIN sessions s ON s.id = p.session_id WHERE s.content_session_id = ?',
        's-priv',
      );
      return r.length ? r : undefined;
    }, 5000, 'the prompt to be stored'))!;
    expect(rows).toHaveLength(1);
    expect(rows[0].prompt_text).toContain('Fix the login bug.');
    expect(rows[0].prompt_text).toContain('Thanks');
    expect(rows[0].prompt_text).not.toContain('hunter2');
    expect(dataDirBytes()).not.toContain(PRIVATE_WORDS);
  });

  it('an entirely private prompt suppresses that turn (tools and summary); the next turn is captured', () => {
    hook('user-prompt-submit', prompt('s-allpriv', `<private>rotate the ${PRIVATE_WORDS} on prod</private>`));
    hook('post-tool-use', tool('s-allpriv', 'toolu_priv_turn', { stdout: 'secret turn output' }));
    hook('stop', stop('s-allpriv'));
    expect(query('SELECT * FROM pending_events WHERE content_session_id = ?', 's-allpriv')).toEqual([]);
    expect(query('SELECT * FROM user_prompts p JOIN sessions s ON s.id = p.session_id WHERE s.content_session_id = ?', 's-allpriv')).toEqual([]);

    hook('user-prompt-submit', prompt('s-allpriv', 'Now a normal question'));
    hook('post-tool-use', tool('s-allpriv', 'toolu_public_turn', { stdout: 'public output' }));
    hook('stop', stop('s-allpriv'));
    const rows = query<{ kind: string; tool_use_id: string | null; payload: string }>(
      'SELECT kind, tool_use_id, payload FROM pending_events WHERE content_session_id = ? ORDER BY id',
      's-allpriv',
    );
    expect(rows.map((r) => [r.kind, r.tool_use_id])).toEqual([
      ['tool', 'toolu_public_turn'],
      ['summarize', null],
    ]);
    expect(JSON.parse(rows[0].payload).prompt_number).toBe(2);
    expect(dataDirBytes()).not.toContain('secret turn output');
    expect(dataDirBytes()).not.toContain(PRIVATE_WORDS);
  });

  it('<private> inside tool I/O is removed too', () => {
    hook('user-prompt-submit', prompt('s-toolpriv', 'read the config'));
    hook('post-tool-use', tool('s-toolpriv', 'toolu_toolpriv', { stdout: `host=db1\n<private>${PRIVATE_WORDS}</private>\nport=5432` }));
    const [row] = query<{ payload: string }>('SELECT payload FROM pending_events WHERE tool_use_id = ?', 'toolu_toolpriv');
    expect(row.payload).toContain('host=db1');
    expect(row.payload).toContain('port=5432');
    expect(row.payload).not.toContain(PRIVATE_WORDS);
  });

  it('a planted Anthropic key in a tool response is redacted in the queue and absent from the files', () => {
    hook('user-prompt-submit', prompt('s-key', `my key is ${FAKE_KEY}, use it`));
    hook(
      'post-tool-use',
      tool('s-key', 'toolu_key', {
        stdout: `ANTHROPIC_API_KEY=${FAKE_KEY}\nexport X_TOKEN="${FAKE_KEY}"\nplain ${FAKE_KEY} here`,
        nested: { config: { apiKey: 'abc123verysecretvalue', key: FAKE_KEY } },
      }),
    );
    const [row] = query<{ payload: string }>('SELECT payload FROM pending_events WHERE tool_use_id = ?', 'toolu_key');
    expect(row).toBeDefined();
    expect(row.payload).not.toContain('sk-ant-api03');
    expect(row.payload).not.toContain('abc123verysecretvalue');
    expect(row.payload).toContain('[REDACTED]');
    const [p] = query<{ prompt_text: string }>(
      'SELECT p.prompt_text FROM user_prompts p JOIN sessions s ON s.id = p.session_id WHERE s.content_session_id = ?',
      's-key',
    );
    expect(p.prompt_text).not.toContain('sk-ant-api03');
    const bytes = dataDirBytes();
    expect(bytes).not.toContain(FAKE_KEY);
    expect(bytes).not.toContain('Zq7Zq7Zq7Zq7');
  });

  it('an excluded project (glob) captures nothing, at the hooks and at the worker', async () => {
    const cwd = '/tmp/work/client-acme/app';
    const sid = 's-excluded';
    expect(hook('session-start', { ...base(sid, cwd), hook_event_name: 'SessionStart', source: 'startup' })).toEqual({});
    expect(hook('user-prompt-submit', prompt(sid, 'work on the client', cwd))).toEqual({});
    expect(hook('post-tool-use', tool(sid, 'toolu_excl', { stdout: 'client data' }, cwd))).toEqual({});
    expect(hook('stop', stop(sid, cwd))).toEqual({});
    expect(hook('session-end', { ...base(sid, cwd), hook_event_name: 'SessionEnd', reason: 'other' })).toEqual({});
    // Even if a client posts directly, the worker drops it.
    const direct = await authedFetch(`${w.url}/api/sessions/observations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sid, cwd, tool_name: 'Bash', tool_input: {}, tool_response: 'x', tool_use_id: 'toolu_excl_direct' }),
    });
    expect(await direct.json()).toMatchObject({ status: 'skipped' });
    const init = await authedFetch(`${w.url}/api/sessions/init`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sid, cwd, prompt: 'direct' }),
    });
    expect(await init.json()).toMatchObject({ status: 'skipped' });
    expect(query('SELECT * FROM sessions WHERE content_session_id = ?', sid)).toEqual([]);
    expect(query("SELECT * FROM pending_events WHERE project LIKE '%client%' OR content_session_id = ?", sid)).toEqual([]);
    expect(query('SELECT * FROM seen_tool_uses WHERE tool_use_id LIKE ?', 'toolu_excl%')).toEqual([]);
    expect(dataDirBytes()).not.toContain('client data');
  });

  it('CLAUDE_MEM_INTERNAL=1: every hook prints {} and does nothing (no capture, no worker start)', async () => {
    const internal = { ...w.env, CLAUDE_MEM_INTERNAL: '1' };
    const sid = 's-internal';
    const payloads: Array<[string, Record<string, unknown>]> = [
      ['session-start', { ...base(sid), hook_event_name: 'SessionStart', source: 'startup' }],
      ['user-prompt-submit', prompt(sid, 'internal prompt')],
      ['pre-tool-use', { ...base(sid), hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/tmp/a' }, tool_use_id: 'toolu_int_pre' }],
      ['post-tool-use', tool(sid, 'toolu_int', { stdout: 'internal' })],
      ['post-tool-use-failure', { ...base(sid), hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: {}, error: 'boom', tool_use_id: 'toolu_int_f' }],
      ['stop', stop(sid)],
      ['session-end', { ...base(sid), hook_event_name: 'SessionEnd', reason: 'other' }],
    ];
    for (const [name, payload] of payloads) expect(hook(name, payload, internal), name).toEqual({});
    expect(query('SELECT * FROM sessions WHERE content_session_id = ?', sid)).toEqual([]);
    expect(query('SELECT * FROM seen_tool_uses WHERE tool_use_id LIKE ?', 'toolu_int%')).toEqual([]);

    // With no worker running, SessionStart inside the agent's process must not start one either.
    const dataDir = tempDir('cm-internal-');
    const env = { ...testEnv(dataDir, await freePort()), CLAUDE_MEM_INTERNAL: '1' };
    expect(hook('session-start', { ...base(sid), hook_event_name: 'SessionStart', source: 'startup' }, env)).toEqual({});
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(path.join(dataDir, 'worker.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'claude-mem.db'))).toBe(false);
  });

  it('a 50 MB tool_response through the post-tool-use hook is stored truncated (well under 1 MB)', () => {
    hook('user-prompt-submit', prompt('s-huge', 'dump the logs'));
    const huge = 'HEAD-MARKER ' + 'log line with some words 0123456789\n'.repeat(50 * 1024 * 1024 / 36) + ' TAIL-MARKER';
    expect(huge.length).toBeGreaterThan(50 * 1024 * 1024);
    const r = runHook('post-tool-use', tool('s-huge', 'toolu_huge', { stdout: huge, stderr: '', interrupted: false }), w.env);
    const out = oneJson(r, 'post-tool-use 50 MB');
    expect(out.systemMessage).toBeUndefined();
    console.log(`[privacy] 50 MB post-tool-use hook: ${r.ms} ms`);
    const [row] = query<{ payload: string }>('SELECT payload FROM pending_events WHERE tool_use_id = ?', 'toolu_huge');
    expect(row, 'the huge event was queued').toBeDefined();
    expect(Buffer.byteLength(row.payload)).toBeLessThan(256 * 1024);
    const payload = JSON.parse(row.payload) as { tool_response: { stdout: string } };
    // Head and tail survive with an explicit elision in between.
    expect(payload.tool_response.stdout.startsWith('HEAD-MARKER')).toBe(true);
    expect(payload.tool_response.stdout.endsWith('TAIL-MARKER')).toBe(true);
    expect(fs.statSync(path.join(w.dataDir, 'claude-mem.db')).size).toBeLessThan(10 * 1024 * 1024);
  }, 60_000);

  it('a wide tool_response (many large fields, 20 MB in all) is bounded as a whole, not only per field', () => {
    const wide: Record<string, string> = {};
    for (let i = 0; i < 200; i++) wide[`file_${i}`] = `content ${i} ` + 'z'.repeat(100 * 1024);
    const r = runHook('post-tool-use', tool('s-huge', 'toolu_wide', wide), w.env);
    expect(oneJson(r, 'post-tool-use wide')).toEqual({});
    const [row] = query<{ payload: string }>('SELECT payload FROM pending_events WHERE tool_use_id = ?', 'toolu_wide');
    expect(row, 'the wide event was queued').toBeDefined();
    expect(Buffer.byteLength(row.payload)).toBeLessThan(1024 * 1024);
    const payload = JSON.parse(row.payload) as { tool_response: Record<string, string> };
    expect(Object.keys(payload.tool_response)).toHaveLength(200); // the shape survives, values shrink
    expect(payload.tool_response.file_199.startsWith('content 199 ')).toBe(true);
  }, 60_000);
});
