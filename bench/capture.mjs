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
// the runs: no-pre (no PreToolUse hook), no-mcp (no MCP server), no-http (no http hooks), no-start
// (no SessionStart hook), null-server (http hooks to a server that only answers {}), no-post (no
// PostToolUse/Failure hooks: tool calls reach the worker only through the transcript catch-up at
// Stop/SessionEnd), no-timeout (http hooks without their timeout), no-hooks (the plugin and its MCP
// server only). CAPTURE_HOOKS=http|command installs that hook mode instead of the detected one.
// Each plugin session is followed by a wait until the worker's queue is empty, so its processing
// does not slow the next session. CAPTURE_DEBUG_DIR=<dir> keeps Claude Code's debug log of every
// session (hook timings).
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
  log(`capture: ${pairs} interleaved rounds of a ${calls}-tool-call claude -p session: with the plugin, without it, and with the plugin's MCP server only`);
  const { startScriptedClaude } = await loadFake();
  const fake = await startScriptedClaude([{ text: 'warm-up' }], { sideText: '<skip/>' });
  // The worker: its memory agent answers from the same fake (side requests), so it works during the run.
  const worker = await startWorker({ dotenv: `ANTHROPIC_API_KEY=sk-bench-agent\nANTHROPIC_BASE_URL=${fake.url}\n` });
  const withConfig = worker.env.CLAUDE_CONFIG_DIR;
  const withoutConfig = path.join(tempDir('cm-bench-bare-'), '.claude');
  fs.mkdirSync(withConfig, { recursive: true });
  fs.mkdirSync(withoutConfig, { recursive: true });
  const memEnv = { CLAUDE_MEM_DATA_DIR: worker.dataDir, CLAUDE_MEM_WORKER_PORT: String(worker.port) };
  const install = spawnSync(process.execPath, [CLI, 'install', '--claude-bin', CLAUDE_BIN, '--hooks', process.env.CAPTURE_HOOKS ?? 'auto'], { env: { ...claudeEnv(withConfig, fake.url, memEnv) }, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`claude-mem install failed: ${install.stdout}${install.stderr}`);
  const mode = /Hooks: (\w+)/.exec(install.stdout)?.[1] ?? '?';
  const variant = process.env.CAPTURE_VARIANT ?? '';
  const pluginDir = path.join(worker.dataDir, 'plugin');
  const hooksFile = path.join(pluginDir, 'hooks', 'hooks.json');
  /** Rewrites the generated hooks.json: `edit` changes its `hooks` object in place. */
  const editHooks = (edit) => {
    const h = JSON.parse(fs.readFileSync(hooksFile, 'utf8'));
    edit(h.hooks);
    fs.writeFileSync(hooksFile, JSON.stringify(h));
  };
  if (variant.includes('null-server')) {
    const http = await import('node:http');
    const srv = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); }); });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    srv.unref();
    fs.writeFileSync(hooksFile, fs.readFileSync(hooksFile, 'utf8').replaceAll(`127.0.0.1:${worker.port}`, `127.0.0.1:${srv.address().port}`));
  }
  if (variant.includes('no-post')) editHooks((h) => { delete h.PostToolUse; delete h.PostToolUseFailure; });
  if (variant.includes('no-timeout')) {
    editHooks((h) => { for (const groups of Object.values(h)) for (const g of groups) for (const e of g.hooks) if (e.type === 'http') delete e.timeout; });
  }
  // The floor: the plugin and its MCP server, no hook at all.
  if (variant.includes('no-hooks')) fs.writeFileSync(hooksFile, '{"hooks":{}}');
  if (variant.includes('no-mcp')) fs.writeFileSync(path.join(pluginDir, '.mcp.json'), '{"mcpServers":{}}');
  if (variant.includes('no-pre')) editHooks((h) => delete h.PreToolUse);
  if (variant.includes('no-http') || variant.includes('no-start')) {
    editHooks((h) => { for (const k of Object.keys(h)) if (k === 'SessionStart' ? variant.includes('no-start') : variant.includes('no-http')) delete h[k]; });
  }

  // The floor arm: the same plugin with its MCP server and no hook at all — what any plugin with an
  // MCP server costs here (`claude -p` waits for it to connect, and stops it at the end).
  const floorConfig = path.join(tempDir('cm-bench-floor-'), '.claude');
  const floorPlugin = path.join(path.dirname(floorConfig), 'plugin');
  fs.cpSync(pluginDir, floorPlugin, { recursive: true });
  fs.writeFileSync(path.join(floorPlugin, 'hooks', 'hooks.json'), '{"hooks":{}}');
  fs.mkdirSync(floorConfig, { recursive: true });
  fs.writeFileSync(
    path.join(floorConfig, 'settings.json'),
    JSON.stringify({ extraKnownMarketplaces: { 'claude-mem-local': { source: { source: 'directory', path: floorPlugin } } }, enabledPlugins: { 'claude-mem@claude-mem-local': true } }),
  );
  const configs = { with: withConfig, floor: floorConfig };

  const session = async (arm) => {
    const project = makeProject();
    fake.reset(script(project, calls));
    const before = fake.requests.length;
    const env = arm === 'without' ? claudeEnv(withoutConfig, fake.url, {}) : claudeEnv(configs[arm], fake.url, memEnv);
    const ms = await runClaude(project, env);
    const ids = toolIds(fake.requests.slice(before));
    if (arm === 'with') await settle(ids);
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

  const ms = { with: [], without: [], floor: [] };
  const ratios = [];
  const floorRatios = [];
  let captured = 0;
  let expected = 0;
  try {
    // Warm-up: page cache, the CLI's first start, the worker's first session.
    for (const arm of ['with', 'without', 'floor']) await session(arm);
    const orders = [['with', 'without', 'floor'], ['without', 'floor', 'with'], ['floor', 'with', 'without']];
    for (let i = 0; i < pairs; i++) {
      const r = {};
      for (const arm of orders[i % 3]) r[arm] = await session(arm);
      for (const arm of Object.keys(ms)) ms[arm].push(r[arm].ms);
      ratios.push(r.with.ms / r.without.ms);
      floorRatios.push(r.floor.ms / r.without.ms);
      // Coverage of this round's plugin session, after the Stop/SessionEnd catch-up had its moment.
      const ids = r.with.ids;
      let got = 0;
      for (let t = 0; t < 50; t++) {
        got = seenIds(worker.dbFile, ids);
        if (got === ids.length) break;
        await sleep(100);
      }
      captured += got;
      expected += ids.length;
      log(`capture: round ${i + 1}: with ${round(r.with.ms, 0)} ms, without ${round(r.without.ms, 0)} ms, MCP server only ${round(r.floor.ms, 0)} ms; ratio ${round(r.with.ms / r.without.ms, 3)}, captured ${got}/${ids.length}`);
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
    withPluginMs: { p50: median(ms.with), all: ms.with.map((x) => round(x, 0)) },
    withoutPluginMs: { p50: median(ms.without), all: ms.without.map((x) => round(x, 0)) },
    mcpServerOnlyMs: { p50: median(ms.floor), all: ms.floor.map((x) => round(x, 0)) },
    ratio: round(ratio, 3),
    /** The plugin's MCP server alone (no hooks) against no plugin: the floor under the ratio. */
    floorRatio: round(median(floorRatios), 3),
    coverage: round(coverage, 4),
    target: { ratio: 1.1, coverage: 1 },
    meets: ratio <= 1.1 && coverage === 1,
  };
}
