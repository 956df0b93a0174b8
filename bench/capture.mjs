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
// do, but without a Node process per event; see mcpHooksPrototype below).
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

/**
 * Prototype for CAPTURE_VARIANT=mcp-hooks: the plugin's MCP server (dist/mcp/mcp-server.js's tools)
 * plus one tool, claude_mem_hook, that forwards a memory-reading hook's payload to the worker with
 * the token — through workerClient.request, which sends it only after the listener proved it holds
 * it (the same challenge–response as the command hooks). Claude Code calls it as an `mcp_tool` hook
 * and reads the tool's text as the hook's JSON output.
 */
function mcpHooksPrototype({ contextOnFirstPrompt = false } = {}) {
  const mcp = path.join(DIST, 'mcp', 'mcp-server.js');
  const chunk = /import\s*\{[^}]*\bcreateWorkerClient\b[^}]*\}\s*from\s*"([^"]+)"/.exec(fs.readFileSync(mcp, 'utf8'))?.[1];
  if (!chunk) throw new Error('mcp-hooks: createWorkerClient not found in dist/mcp/mcp-server.js; rebuild (npm run build)');
  const url = (f) => JSON.stringify(`file://${f}`);
  return `import { createMcpServer, makeWorkerStarter } from ${url(mcp)};
import { createWorkerClient } from ${url(path.resolve(path.dirname(mcp), chunk))};
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
  if (variant.includes('mcp-hooks')) {
    fs.writeFileSync(path.join(pluginDir, 'mcp-hooks-proto.mjs'), mcpHooksPrototype({ contextOnFirstPrompt: variant.includes('start-async') }));
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
    return { ms, ids: toolIds(fake.requests.slice(before)) };
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
