// Capture overhead with the real Claude Code CLI: one scripted 60-tool-call session (`claude -p`
// against the scripted fake main model, test/fakes/fake-claude-main.ts) with the claude-mem plugin
// installed (http hooks, the worker already running) against the same session without the plugin
// (same worker running, nothing registered). Pairs are interleaved, order alternating, and the
// median of the per-pair wall-time ratios is reported. Coverage: of the session's tool calls, how
// many reached the worker's queue (hooks, plus the transcript catch-up at Stop / SessionEnd).
//
// Needs the pinned CLI in node_modules (`npm run e2e:install`); skipped with a note otherwise.
//
// To attribute the overhead, CAPTURE_VARIANT (comma-separated) edits the generated plugin before
// the runs: no-pre (no PreToolUse hook), no-mcp (no MCP server), no-http (no http hooks), no-start (no SessionStart hook),
// null-server (http hooks to a server that only answers {}), no-post (no PostToolUse/Failure hooks:
// tool calls reach the worker only through the transcript catch-up at Stop/SessionEnd),
// mcp-hooks (prototype: UserPromptSubmit and PreToolUse(Read) become `mcp_tool` hooks served by the
// plugin's own MCP server, which proves the worker before sending the token, as the command hooks
// do, but without a Node process per event; see mcpHooksPrototype below), fast-mcp (the same, with
// an MCP server that connects at once and keeps one proven connection; see fastMcpPrototype),
// start-async (SessionStart in the background), first-prompt-context (with start-async: the
// project's context comes with the first prompt's hook), no-hooks (the plugin and its MCP server only).
// Each plugin session is followed by a wait until the worker's queue is empty, so its processing
// does not slow the next session. CAPTURE_DEBUG_DIR=<dir> keeps Claude Code's debug log of every
// session (hook timings); CM_PROTO_LOG=<file> logs the prototypes' worker answers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { DIST, ROOT, log, median, round, sleep, startWorker, tempDir } from './lib.mjs';

const CLAUDE_BIN = path.join(ROOT, 'node_modules', '.bin', 'claude');
const CLI = path.join(DIST, 'cli', 'claude-mem.js');
const TOOLS = 'Bash,Read,Write,Edit,Grep,Glob,TodoWrite';

/** The scripted fake main model, bundled from its TypeScript source for this run. */
async function loadFake() {
  const out = path.join(tempDir('cm-bench-fake-'), 'fake-claude-main.mjs');
  await build({ entryPoints: [path.join(ROOT, 'test/fakes/fake-claude-main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
  return import(out);
}

function makeProject() {
  const dir = fs.realpathSync(tempDir('cm-bench-proj-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'docs'));
  fs.writeFileSync(path.join(dir, 'src/app.ts'), 'export function greet(name: string) {\n  return `hello ${name}`;\n}\n');
  spawnSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

/** 60 quick tool calls (Read, Bash, Grep, Write in turn), then the final text. */
function script(project, calls) {
  const steps = [];
  for (let i = 0; i < calls; i++) {
    const kind = i % 4;
    if (kind === 0) steps.push({ toolUse: { name: 'Read', input: { file_path: path.join(project, 'src/app.ts') } } });
    else if (kind === 1) steps.push({ toolUse: { name: 'Bash', input: { command: `echo step-${i}` } } });
    else if (kind === 2) steps.push({ toolUse: { name: 'Grep', input: { pattern: 'greet', path: project } } });
    else steps.push({ toolUse: { name: 'Write', input: { file_path: path.join(project, `docs/n${i}.md`), content: `note ${i}\n` } } });
  }
  steps.push({ text: 'Bench session done.' });
  return steps;
}

/** The dist chunk that exports createWorkerClient (its name changes with every build). */
function workerClientChunk(mcp) {
  const chunk = /import\s*\{[^}]*\bcreateWorkerClient\b[^}]*\}\s*from\s*"([^"]+)"/.exec(fs.readFileSync(mcp, 'utf8'))?.[1];
  if (!chunk) throw new Error('mcp-hooks: createWorkerClient not found in dist/mcp/mcp-server.js; rebuild (npm run build)');
  return path.resolve(path.dirname(mcp), chunk);
}

/**
 * Prototype for CAPTURE_VARIANT=mcp-hooks: the plugin's MCP server (dist/mcp/mcp-server.js's tools)
 * plus one tool, claude_mem_hook, that forwards a memory-reading hook's payload to the worker with
 * the token — through workerClient.request, which sends it only after the listener proved it holds
 * it (the same challenge–response as the command hooks). Claude Code calls it as an `mcp_tool` hook
 * and reads the tool's text as the hook's JSON output.
 */
function mcpHooksPrototype({ contextOnFirstPrompt = false } = {}) {
  const mcp = path.join(DIST, 'mcp', 'mcp-server.js');
  const url = (f) => JSON.stringify(`file://${f}`);
  return `import { createMcpServer, makeWorkerStarter } from ${url(mcp)};
import { createWorkerClient } from ${url(workerClientChunk(mcp))};
import { StdioServerTransport } from ${url(path.join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/server/stdio.js'))};
import { z } from ${url(path.join(ROOT, 'node_modules/zod/index.js'))};
console.log = (...a) => console.error(...a);
const client = createWorkerClient({ host: process.env.CLAUDE_MEM_WORKER_HOST ?? '127.0.0.1', port: process.env.CLAUDE_MEM_WORKER_PORT });
const server = createMcpServer({ client, startWorker: makeWorkerStarter(client) });
const EVENTS = new Set(['UserPromptSubmit', 'PreToolUse']);
// start-async: SessionStart no longer waits, so the session's context comes with its first prompt.
const CONTEXT_ON_FIRST_PROMPT = ${contextOnFirstPrompt};
const seen = new Set();
server.registerTool('claude_mem_hook', {
  description: 'Internal: claude-mem hook bridge (Claude Code calls it for its hooks). Not for the model.',
  inputSchema: { event: z.string(), payload: z.record(z.string(), z.unknown()) },
}, async ({ event, payload }) => {
  if (!EVENTS.has(event)) return { content: [{ type: 'text', text: '{}' }] };
  try {
    const out = await client.request('POST', '/api/hooks/' + event, { body: { ...payload, hook_event_name: event }, timeoutMs: 3000 });
    let h = out && typeof out === 'object' ? out.hookSpecificOutput : undefined;
    if (CONTEXT_ON_FIRST_PROMPT && event === 'UserPromptSubmit' && !seen.has(payload.session_id)) {
      seen.add(payload.session_id);
      const ctx = await client.contextInject({ cwd: payload.cwd });
      if (ctx) h = { hookEventName: event, additionalContext: ctx + (h?.additionalContext ? '\\n\\n' + h.additionalContext : '') };
    }
    return { content: [{ type: 'text', text: JSON.stringify(h ? { hookSpecificOutput: h } : {}) }] };
  } catch (err) {
    console.error('claude_mem_hook', event, err && err.message);
    return { content: [{ type: 'text', text: '{}' }] };
  }
});
await server.connect(new StdioServerTransport());
`;
}

/**
 * fast-mcp: the same MCP server behind a front that answers `initialize` and `tools/list` at once
 * (the tool list captured from the real server beforehand) and loads the SDK server only for a
 * model-facing tool call — `claude -p` waits for every MCP server to connect before its first
 * request. claude_mem_hook is served by the front itself over one keep-alive connection: the
 * worker proves it holds the token on that socket once, and the token only ever travels on a socket
 * that carried a valid proof (a squatter cannot take over an established connection).
 */
export async function fastMcpPrototype(env, { contextOnFirstPrompt = false } = {}) {
  const mcp = path.join(DIST, 'mcp', 'mcp-server.js');
  const tools = await new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [mcp], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    const timer = setTimeout(() => { c.kill(); reject(new Error('fast-mcp: the MCP server did not list its tools')); }, 15_000);
    c.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n').slice(0, -1)) {
        const m = JSON.parse(line);
        if (m.id === 2) { clearTimeout(timer); c.kill(); resolve(m.result.tools); }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    c.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) + '\n');
    c.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    c.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) + '\n');
  });
  const hookTool = { name: 'claude_mem_hook', description: 'Internal: claude-mem hook bridge (Claude Code calls it for its hooks). Not for the model.', inputSchema: { type: 'object', properties: { event: { type: 'string' }, payload: { type: 'object' } }, required: ['event', 'payload'] } };
  const url = (f) => JSON.stringify(`file://${f}`);
  return `import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createHmac, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
const TOOLS = ${JSON.stringify([...tools, hookTool])};
const HOOK_EVENTS = new Set(['UserPromptSubmit', 'PreToolUse']);
// first-prompt-context: SessionStart(startup) runs in the background, so the project's context
// comes with the session's first prompt instead.
const CONTEXT_ON_FIRST_PROMPT = ${contextOnFirstPrompt};
const seen = new Set();
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const host = process.env.CLAUDE_MEM_WORKER_HOST ?? '127.0.0.1';
const port = Number(process.env.CLAUDE_MEM_WORKER_PORT);
const dataDir = process.env.CLAUDE_MEM_DATA_DIR;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const proven = new WeakSet();
const token = () => { try { const t = fs.readFileSync(path.join(dataDir, 'worker.token'), 'utf8').trim(); return /^cmw_[0-9a-f]{64}$/.test(t) ? t : null; } catch { return null; } };
const eq = (a, b) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
// One request on the pooled socket; auth(socket) gives the header to add once the socket is known (or null: do not send).
function send(method, p, body, auth) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host, port, method, path: p, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}, timeout: 3000 });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.on('response', (res) => { let t = ''; res.setEncoding('utf8'); res.on('data', (d) => (t += d)); res.on('end', () => resolve({ status: res.statusCode, text: t, socket: req.socket })); });
    req.on('socket', (s) => {
      if (auth) {
        const h = auth(s);
        if (h === null) { req.destroy(new Error('unproven socket')); return; }
        req.setHeader('authorization', h);
      }
      req.end(data);
    });
  });
}
async function authed(method, p, body) {
  const t = token();
  if (!t) throw new Error('no token');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await send(method, p, body, (s) => (proven.has(s) ? 'Bearer ' + t : null));
    } catch (err) {
      if (err.message !== 'unproven socket') throw err;
      const nonce = randomBytes(32).toString('hex');
      const r = await send('POST', '/api/auth/prove', { nonce });
      const proof = JSON.parse(r.text || '{}').proof;
      const want = createHmac('sha256', t).update('claude-mem worker proof v1\\n' + nonce).digest('hex');
      if (r.status !== 200 || typeof proof !== 'string' || !eq(proof, want)) throw new Error('impostor');
      proven.add(r.socket);
    }
  }
  throw new Error('could not keep a proven connection');
}
async function hook(args) {
  const { event, payload } = args ?? {};
  if (!HOOK_EVENTS.has(event)) return '{}';
  try {
    const r = await authed('POST', '/api/hooks/' + event, { ...payload, hook_event_name: event });
    if (process.env.CM_PROTO_LOG) fs.appendFileSync(process.env.CM_PROTO_LOG, event + ' ' + r.status + ' ' + r.text.slice(0, 80) + '\\n');
    let h = r.status === 200 ? JSON.parse(r.text).hookSpecificOutput : undefined;
    if (CONTEXT_ON_FIRST_PROMPT && event === 'UserPromptSubmit' && !seen.has(payload.session_id)) {
      seen.add(payload.session_id);
      const c = await authed('GET', '/api/context/inject?cwd=' + encodeURIComponent(payload.cwd ?? ''));
      if (c.status === 200 && c.text) h = { hookEventName: event, additionalContext: c.text + (h?.additionalContext ? '\\n\\n' + h.additionalContext : '') };
    }
    return JSON.stringify(h ? { hookSpecificOutput: h } : {});
  } catch (err) {
    process.stderr.write('claude_mem_hook ' + event + ': ' + err.message + '\\n');
    if (process.env.CM_PROTO_LOG) fs.appendFileSync(process.env.CM_PROTO_LOG, event + ' error ' + err.message + '\\n');
    return '{}';
  }
}
let inner = null;
async function innerServer() {
  inner ??= (async () => {
    console.log = (...a) => console.error(...a);
    const { createMcpServer, makeWorkerStarter } = await import(${url(mcp)});
    const { createWorkerClient } = await import(${url(workerClientChunk(mcp))});
    const { InMemoryTransport } = await import(${url(path.join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/inMemory.js'))});
    const client = createWorkerClient({ host, port });
    const server = createMcpServer({ client, startWorker: makeWorkerStarter(client) });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const pending = new Map();
    b.onmessage = (m) => { if (m.id !== undefined && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } };
    await server.connect(a);
    const call = (m) => new Promise((r) => { pending.set(m.id, r); b.send(m); });
    await call({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'front', version: '0' } } });
    await b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return call;
  })();
  return inner;
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (!line) continue;
    const m = JSON.parse(line);
    if (m.id === undefined) continue;
    if (m.method === 'initialize') out({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'claude-mem', version: '0' } } });
    else if (m.method === 'tools/list') out({ jsonrpc: '2.0', id: m.id, result: { tools: TOOLS } });
    else if (m.method === 'tools/call' && m.params?.name === 'claude_mem_hook') hook(m.params.arguments).then((text) => out({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }] } }));
    else if (m.method === 'tools/call') innerServer().then((call) => call({ ...m, id: 'c' + m.id })).then((r) => out({ ...r, id: m.id }), (err) => out({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: String(err) } }));
    else if (m.method === 'ping') out({ jsonrpc: '2.0', id: m.id, result: {} });
    else out({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'method not found: ' + m.method } });
  }
});
`;
}

/** hooks.json entries for the mcp-hooks prototype: the payload fields the worker's routes read. */
function mcpHookEntries() {
  const hook = (event, payload) => ({ type: 'mcp_tool', server: 'plugin:claude-mem:mem-search', tool: 'claude_mem_hook', input: { event, payload }, timeout: 5 });
  const common = { session_id: '${session_id}', transcript_path: '${transcript_path}', cwd: '${cwd}' };
  return {
    UserPromptSubmit: [{ hooks: [hook('UserPromptSubmit', { ...common, prompt: '${prompt}' })] }],
    PreToolUse: [{ matcher: 'Read', hooks: [hook('PreToolUse', { ...common, tool_name: '${tool_name}', tool_use_id: '${tool_use_id}', tool_input: { file_path: '${tool_input.file_path}' } })] }],
  };
}

function claudeEnv(configDir, baseUrl, extra) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.dirname(configDir),
    CLAUDE_CONFIG_DIR: configDir,
    IS_SANDBOX: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_ENABLE_TASKS: 'false',
    CLAUDE_CODE_MAX_RETRIES: '0',
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'sk-bench-main',
    // Debug knob of the mcp-hooks/fast-mcp prototypes: each hook call's worker answer, one line each.
    ...(process.env.CM_PROTO_LOG ? { CM_PROTO_LOG: process.env.CM_PROTO_LOG } : {}),
    ...extra,
  };
}

function runClaude(cwd, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // CAPTURE_DEBUG_DIR: Claude Code's debug log of every session there (hook timings; slows the runs).
    const debug = process.env.CAPTURE_DEBUG_DIR ? ['--debug-file', path.join(process.env.CAPTURE_DEBUG_DIR, `${env.CLAUDE_MEM_DATA_DIR ? 'with' : 'without'}-${Date.now()}.log`)] : [];
    const child = spawn(CLAUDE_BIN, ['-p', 'Run the bench steps', '--permission-mode', 'bypassPermissions', '--tools', TOOLS, ...debug], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code !== 0 || !out.includes('Bench session done.')) reject(new Error(`claude -p exited ${code}: ${out.slice(-2000)}`));
      else resolve(ms);
    });
  });
}

/** Tool-use ids the fake handed out in this session's main requests. */
const toolIds = (requests) => requests.filter((r) => r.kind === 'main').flatMap((r) => (r.reply?.toolUses ?? []).map((u) => u.id));

function seenIds(dbFile, ids) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const q = db.prepare('SELECT 1 FROM seen_tool_uses WHERE tool_use_id = ?');
    return ids.filter((id) => q.get(id)).length;
  } finally {
    db.close();
  }
}

export async function benchCapture({ pairs = 3, calls = 60 } = {}) {
  if (!fs.existsSync(CLAUDE_BIN)) return { name: 'capture', skipped: 'Claude Code CLI not installed: run `npm run e2e:install`' };
  log(`capture: ${pairs} interleaved pairs of a ${calls}-tool-call claude -p session, with the plugin (http hooks) vs without`);
  const { startScriptedClaude } = await loadFake();
  const fake = await startScriptedClaude([{ text: 'warm-up' }], { sideText: '<skip/>' });
  // The worker: its memory agent answers from the same fake (side requests), so it works during the run.
  const worker = await startWorker({ dotenv: `ANTHROPIC_API_KEY=sk-bench-agent\nANTHROPIC_BASE_URL=${fake.url}\n` });
  const withConfig = worker.env.CLAUDE_CONFIG_DIR;
  const withoutConfig = path.join(tempDir('cm-bench-bare-'), '.claude');
  fs.mkdirSync(withConfig, { recursive: true });
  fs.mkdirSync(withoutConfig, { recursive: true });
  const memEnv = { CLAUDE_MEM_DATA_DIR: worker.dataDir, CLAUDE_MEM_WORKER_PORT: String(worker.port) };
  const install = spawnSync(process.execPath, [CLI, 'install', '--claude-bin', CLAUDE_BIN], { env: { ...claudeEnv(withConfig, fake.url, memEnv) }, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`claude-mem install failed: ${install.stdout}${install.stderr}`);
  const mode = /Hooks: (\w+)/.exec(install.stdout)?.[1] ?? '?';
  const variant = process.env.CAPTURE_VARIANT ?? '';
  const pluginDir = path.join(worker.dataDir, 'plugin');
  if (variant.includes('null-server')) {
    const http = await import('node:http');
    const srv = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); }); });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    srv.unref();
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replaceAll(`127.0.0.1:${worker.port}`, `127.0.0.1:${srv.address().port}`));
  }
  if (variant.includes('mcp-hooks') || variant.includes('fast-mcp')) {
    const proto = variant.includes('fast-mcp')
      ? await fastMcpPrototype(claudeEnv(withConfig, fake.url, memEnv), { contextOnFirstPrompt: variant.includes('first-prompt-context') })
      : mcpHooksPrototype({ contextOnFirstPrompt: variant.includes('first-prompt-context') });
    fs.writeFileSync(path.join(pluginDir, 'mcp-hooks-proto.mjs'), proto);
    fs.writeFileSync(path.join(pluginDir, '.mcp.json'), JSON.stringify({ mcpServers: { 'mem-search': { command: 'node', args: [path.join(pluginDir, 'mcp-hooks-proto.mjs')] } } }));
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(f, 'utf8'));
    Object.assign(h.hooks, mcpHookEntries());
    fs.writeFileSync(f, JSON.stringify(h));
  }
  if (variant.includes('start-async')) {
    // SessionStart still starts the worker and registers the session, without holding up the start.
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(f, 'utf8'));
    for (const g of h.hooks.SessionStart) for (const e of g.hooks) e.async = true;
    fs.writeFileSync(f, JSON.stringify(h));
  }
  if (variant.includes('no-post')) {
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(f, 'utf8'));
    delete h.hooks.PostToolUse;
    delete h.hooks.PostToolUseFailure;
    fs.writeFileSync(f, JSON.stringify(h));
  }
  if (variant.includes('no-hooks')) {
    // The floor: the plugin and its MCP server, no hook at all.
    fs.writeFileSync(path.join(pluginDir, 'hooks', 'hooks.json'), '{"hooks":{}}');
  }
  if (variant.includes('no-mcp')) fs.writeFileSync(path.join(pluginDir, '.mcp.json'), '{"mcpServers":{}}');
  if (variant.includes('no-pre')) {
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(f, 'utf8'));
    delete h.hooks.PreToolUse;
    fs.writeFileSync(f, JSON.stringify(h));
  }
  if (variant.includes('no-http') || variant.includes('no-start')) {
    const f = path.join(pluginDir, 'hooks', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(f, 'utf8'));
    for (const k of Object.keys(h.hooks)) {
      if (k === 'SessionStart' ? variant.includes('no-start') : variant.includes('no-http')) delete h.hooks[k];
    }
    fs.writeFileSync(f, JSON.stringify(h));
  }

  const session = async (withPlugin) => {
    const project = makeProject();
    fake.reset(script(project, calls));
    const before = fake.requests.length;
    const env = withPlugin ? claudeEnv(withConfig, fake.url, memEnv) : claudeEnv(withoutConfig, fake.url, {});
    const ms = await runClaude(project, env);
    const ids = toolIds(fake.requests.slice(before));
    if (withPlugin) await settle(ids);
    return { ms, ids };
  };
  // Each session starts on an idle worker: the previous plugin session's events (hooks or
  // transcript catch-up) reached the queue and were processed, so their work does not land on the
  // next session, whichever variant it is.
  const settle = async (ids) => {
    let last = -1;
    let still = 0;
    for (let t = 0; t < 150; t++) {
      const health = await fetch(`${worker.url}/api/health`).then((r) => r.json(), () => null);
      const seen = seenIds(worker.dbFile, ids);
      // A variant that captures nothing (no-hooks) never reaches the count: idle for 2 s is enough.
      still = seen === last ? still + 1 : 0;
      last = seen;
      if (health?.queueDepth === 0 && (seen === ids.length || still >= 20)) return;
      await sleep(100);
    }
  };

  const withMs = [];
  const withoutMs = [];
  const ratios = [];
  let captured = 0;
  let expected = 0;
  try {
    // Warm-up: page cache, the CLI's first start, the worker's first session.
    await session(true);
    await session(false);
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? [true, false] : [false, true];
      const r = {};
      for (const w of order) r[w] = await session(w);
      withMs.push(r[true].ms);
      withoutMs.push(r[false].ms);
      ratios.push(r[true].ms / r[false].ms);
      // Coverage of this pair's plugin session, after the Stop/SessionEnd catch-up had its moment.
      const ids = r[true].ids;
      let got = 0;
      for (let t = 0; t < 50; t++) {
        got = seenIds(worker.dbFile, ids);
        if (got === ids.length) break;
        await sleep(100);
      }
      captured += got;
      expected += ids.length;
      log(`capture: pair ${i + 1}: with ${round(r[true].ms, 0)} ms, without ${round(r[false].ms, 0)} ms, ratio ${round(r[true].ms / r[false].ms, 3)}, captured ${got}/${ids.length}`);
    }
  } finally {
    await worker.stop();
    await fake.close();
  }
  const ratio = median(ratios);
  const coverage = expected ? captured / expected : 0;
  return {
    name: 'capture',
    hooks: mode,
    ...(variant ? { variant } : {}),
    calls,
    pairs,
    withPluginMs: { p50: median(withMs), all: withMs.map((x) => round(x, 0)) },
    withoutPluginMs: { p50: median(withoutMs), all: withoutMs.map((x) => round(x, 0)) },
    ratio: round(ratio, 3),
    coverage: round(coverage, 4),
    target: { ratio: 1.1, coverage: 1 },
    meets: ratio <= 1.1 && coverage === 1,
  };
}
