// End to end with the real Claude Code CLI (issue 5): `claude-mem install` registers the plugin the
// way a user would, then scripted `claude -p` sessions drive every hook, the worker the hooks start,
// the memory agent (through the gateway configured in DATA_DIR/.env), context injection at the
// next SessionStart and the mem-search MCP server. Two fakes: the main agent Claude Code talks to,
// and the memory agent's gateway — separate on purpose, so the test can prove the memory agent never
// uses Claude Code's ANTHROPIC_BASE_URL.
//
// Needs the pinned CLI in node_modules (`npm run e2e:install`). Without it the suite is skipped
// locally with one line saying so, and fails under CI=true (test/helpers/requirements.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, type AnthropicReply, type FakeAnthropic, type RecordedRequest } from '../fakes/fake-anthropic.js';
import { startScriptedClaude, type ScriptStep, type ScriptedClaude } from '../fakes/fake-claude-main.js';
import { canRun } from '../helpers/requirements.js';
import { spawn } from 'node:child_process';
import { CLI_SCRIPT, ROOT, WORKER_SCRIPT, freePort, getJson, registerWorkerDir, tempDir, waitFor, waitForHealth } from '../helpers/worker.js';
import { CLAUDE_BIN, claudeCliMissing, claudeEnv, describeRun, runClaude, type ClaudeRun } from './claude-cli.js';

const BIN = CLAUDE_BIN;
const CAN_RUN = canRun('end-to-end tests with the real Claude Code CLI', claudeCliMissing());
const MCP_SEARCH = 'mcp__plugin_claude-mem_mem-search__search';
const GATEWAY_KEY = 'sk-corp-e2e-gateway-key';
const SUMMARY_MARKER = 'E2E-SUMMARY-greet-notes';

// ---- the memory agent's gateway ---------------------------------------------------------------

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The value that identifies a tool call: a file's base name, a command, a search pattern. */
function markerOf(inputBlock: string): { marker: string; file?: string } {
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(inputBlock)?.[1].trim();
  const file = field('file_path');
  if (file) return { marker: path.basename(file), file };
  return { marker: field('command') ?? field('pattern') ?? 'event' };
}

/**
 * One observation per `<tool_call>` in the last user turn, titled `E2E <tool> <status> <marker>` so
 * the test can tie each stored observation to the event it came from (a batch carries several),
 * then a summary block when the request asks for one; `<skip/>` otherwise (the session intro).
 */
function memoryAgentReply(req: RecordedRequest): AnthropicReply {
  const text = lastUserText(req.body);
  const summary = text.includes('<summary>')
    ? [
        '<summary>',
        '  <request>Document greet() in docs/NOTES.md</request>',
        '  <investigated>src/app.ts and a missing file</investigated>',
        '  <learned>greet() returns a greeting</learned>',
        `  <completed>${SUMMARY_MARKER}</completed>`,
        '  <next_steps></next_steps>',
        '  <notes></notes>',
        '</summary>',
      ].join('\n')
    : '';
  const blocks = [...text.matchAll(/<tool_call status="(\w+)">\ntool: (\S+)[\s\S]*?<input>\n([\s\S]*?)\n<\/input>/g)];
  if (blocks.length === 0) return { text: summary || '<skip/>' };
  const observations = blocks.map(([, status, tool, input]) => {
    const { marker, file } = markerOf(input);
    const fileTag = file ? `<file>${escapeXml(file)}</file>` : '';
    return [
      '<observation>',
      `  <type>${status === 'failed' ? 'discovery' : 'change'}</type>`,
      `  <title>${escapeXml(`E2E ${tool} ${status} ${marker}`)}</title>`,
      '  <subtitle>Recorded by the e2e gateway fake</subtitle>',
      `  <facts><fact>${escapeXml(`${tool} touched ${marker}`)}</fact></facts>`,
      `  <narrative>${escapeXml(`Claude ran ${tool} on ${marker}; it ${status === 'failed' ? 'failed' : 'worked'}.`)}</narrative>`,
      '  <concepts><concept>how-it-works</concept></concepts>',
      `  <files_read>${tool === 'Read' ? fileTag : ''}</files_read>`,
      `  <files_modified>${tool === 'Write' || tool === 'Edit' ? fileTag : ''}</files_modified>`,
      '</observation>',
    ].join('\n');
  });
  return { text: [...observations, summary].join('\n') };
}

// ---- helpers ----------------------------------------------------------------------------------

/** Temp dirs to remove after the suite (set CLAUDE_MEM_E2E_KEEP=1 to inspect them). */
const tempDirs: string[] = [];

function makeProject(): string {
  const dir = fs.realpathSync(tempDir('cm-e2e-proj-'));
  tempDirs.push(dir);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/app.ts'), 'export function greet(name: string) {\n  return `hello ${name}`;\n}\n');
  fs.writeFileSync(path.join(dir, 'README.md'), '# demo\n');
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

interface Home {
  home: string;
  dataDir: string;
  port: number;
}

async function makeHome(port?: number): Promise<Home> {
  const home = fs.realpathSync(tempDir('cm-e2e-home-'));
  tempDirs.push(home);
  const dataDir = path.join(home, '.claude-mem');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const h = { home, dataDir, port: port ?? (await freePort()) };
  registerWorkerDir(`http://127.0.0.1:${h.port}`, dataDir); // the test's own requests carry its worker token
  return h;
}

function memEnv(h: Home): Record<string, string> {
  return { CLAUDE_MEM_DATA_DIR: h.dataDir, CLAUDE_MEM_WORKER_PORT: String(h.port) };
}

/**
 * `claude-mem install` with the same clean environment Claude Code gets; the hook type comes from
 * the pinned CLI's version (mcp for 2.1.332) unless `hooks` forces one.
 */
function installPlugin(env: Record<string, string>, hooks: 'auto' | 'mcp' | 'http' | 'command' = 'auto'): string {
  const r = spawnSync(process.execPath, [CLI_SCRIPT, 'install', '--claude-bin', BIN, '--hooks', hooks], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`claude-mem install failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Starts the worker the way a SessionStart hook would (detached, Claude Code's environment). */
async function startWorkerProcess(h: Home, env: Record<string, string>): Promise<void> {
  const log = fs.openSync(path.join(h.dataDir, 'logs', 'worker.log'), 'a');
  const child = spawn(process.execPath, [WORKER_SCRIPT], { env, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  await waitForHealth(`http://127.0.0.1:${h.port}`, 15_000);
}

/** SIGKILL the worker: a crash, nothing is flushed or handed over. */
async function crashWorker(dataDir: string): Promise<void> {
  const pid = Number(JSON.parse(fs.readFileSync(path.join(dataDir, 'worker.pid'), 'utf8')).pid);
  process.kill(pid, 'SIGKILL');
  const until = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** The generated plugin's hooks (DATA_DIR/plugin/hooks/hooks.json). */
function registeredHooks(h: Home): Record<string, Array<{ matcher?: string; hooks: Array<{ type: string; url?: string; command?: string }> }>> {
  return JSON.parse(fs.readFileSync(path.join(h.dataDir, 'plugin', 'hooks', 'hooks.json'), 'utf8')).hooks;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM the worker a hook started from this data dir (SIGKILL if it lingers). */
async function killWorker(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(JSON.parse(fs.readFileSync(path.join(dataDir, 'worker.pid'), 'utf8')).pid);
  } catch {
    return;
  }
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

const bodyText = (r: { body: unknown }) => JSON.stringify(r.body ?? null);
const toolNames = (r: { body: unknown }) => ((r.body as { tools?: Array<{ name?: string }> })?.tools ?? []).map((t) => t.name);
/** Everything Claude Code added after the model's last turn: tool results and hook context. */
const sinceLastAssistant = (r: { body: unknown }) => {
  const messages = (r.body as { messages?: Array<{ role?: string }> })?.messages ?? [];
  const last = messages.map((m) => m.role).lastIndexOf('assistant');
  return JSON.stringify(messages.slice(last + 1));
};
const sessionIdOf = (r: { headers: Record<string, unknown> }) => String(r.headers['x-claude-code-session-id'] ?? '');

interface Obs {
  id: number;
  title: string;
  project: string;
  content_session_id: string;
}

// ---- the suite --------------------------------------------------------------------------------

describe.skipIf(!CAN_RUN)('real Claude Code CLI end to end', () => {
  const started: Home[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const h of started) await killWorker(h.dataDir);
    for (const close of closers) await close().catch(() => undefined);
    if (process.env.CLAUDE_MEM_E2E_KEEP === '1') console.log(`[e2e] kept ${tempDirs.join(' ')}`);
    else for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('with the plugin installed and the worker started by SessionStart (in the background)', () => {
    let h: Home;
    let project: string;
    let env: Record<string, string>;
    let main: ScriptedClaude;
    let gateway: FakeAnthropic;
    let workerUrl: string;
    let session1Id = '';

    const session1: ScriptStep[] = [];
    beforeAll(async () => {
      h = await makeHome();
      started.push(h);
      project = makeProject();
      workerUrl = `http://127.0.0.1:${h.port}`;
      gateway = await startFakeAnthropic({ handler: memoryAgentReply });
      closers.push(() => gateway.close());
      // The memory agent's own credentials: a corporate gateway, not Claude Code's endpoint.
      fs.writeFileSync(path.join(h.dataDir, '.env'), `ANTHROPIC_API_KEY=${GATEWAY_KEY}\nANTHROPIC_BASE_URL=${gateway.url}\n`, {
        mode: 0o600,
      });
      session1.push(
        { toolUse: { name: 'Read', input: { file_path: path.join(project, 'src/app.ts') } }, text: 'Reading the code.' },
        { toolUse: { name: 'Write', input: { file_path: path.join(project, 'docs/NOTES.md'), content: '# Notes\n\ngreet() says hello.\n' } } },
        {
          toolUse: {
            name: 'Edit',
            input: { file_path: path.join(project, 'docs/NOTES.md'), old_string: 'says hello', new_string: 'greets by name' },
          },
        },
        { toolUse: { name: 'Bash', input: { command: 'cat missing-zebra.txt', description: 'show a file that is not there' } } },
        { toolUse: { name: 'Grep', input: { pattern: 'greet', path: project } } },
        { text: 'Documented greet() in docs/NOTES.md.' },
      );
      main = await startScriptedClaude(session1);
      closers.push(() => main.close());
      env = claudeEnv({ home: h.home, baseUrl: main.url, extra: memEnv(h) });
      // In beforeAll so that running one test alone (-t) still has the plugin installed.
      installPlugin(env);
    });

    it('claude-mem install generates the plugin in the data dir and registers it in $HOME/.claude/settings.json', () => {
      const settings = JSON.parse(fs.readFileSync(path.join(h.home, '.claude/settings.json'), 'utf8'));
      const plugin = path.join(h.dataDir, 'plugin');
      expect(settings.extraKnownMarketplaces['claude-mem-local']).toEqual({ source: { source: 'directory', path: plugin } });
      expect(settings.enabledPlugins['claude-mem@claude-mem-local']).toBe(true);
      // Only the user can read it (it names the worker, and later its credential).
      expect(fs.statSync(plugin).mode & 0o077).toBe(0);
      // http hooks to the configured (non-default) port record every event but SessionStart; the
      // answers that are memory (UserPromptSubmit, PreToolUse(Read)) come from the plugin's MCP
      // server as mcp_tool hooks; SessionStart(startup) is a command hook in the background.
      const hooks = registeredHooks(h);
      expect(h.port).not.toBe(37777);
      for (const event of ['UserPromptSubmit', 'PostToolUse', 'PostToolUseFailure', 'Stop', 'SessionEnd']) {
        expect(hooks[event][0].hooks[0]).toMatchObject({ type: 'http', url: `http://127.0.0.1:${h.port}/api/hooks/${event}` });
      }
      expect(hooks.UserPromptSubmit[0].hooks[1]).toMatchObject({ type: 'mcp_tool', server: 'plugin:claude-mem:mem-search', tool: 'hook_context' });
      expect(hooks.PreToolUse[0].hooks[0]).toMatchObject({ type: 'mcp_tool', server: 'plugin:claude-mem:mem-search', tool: 'hook_context' });
      expect(hooks.SessionStart[0].hooks[0]).toMatchObject({ type: 'command', async: true, command: `node "${path.join(ROOT, 'dist/hooks/session-start.cjs')}" --context-on-first-prompt` });
      const mcp = JSON.parse(fs.readFileSync(path.join(plugin, '.mcp.json'), 'utf8'));
      expect(mcp.mcpServers['mem-search'].args).toEqual([path.join(ROOT, 'dist/mcp/mcp-server.js')]);
    });

    it('session 1: every hook reaches the worker and the memory agent records it through the .env gateway', async () => {
      const run = await runClaude({ bin: BIN, cwd: project, prompt: 'Document greet() in docs/NOTES.md', env });
      console.log(`[e2e] session 1: claude -p took ${run.ms} ms`);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stdout).toContain('Documented greet() in docs/NOTES.md.');
      // The tools really ran.
      expect(fs.readFileSync(path.join(project, 'docs/NOTES.md'), 'utf8')).toContain('greets by name');
      const mainReqs = main.mainRequests();
      expect(mainReqs.length).toBe(session1.length);
      session1Id = sessionIdOf(mainReqs[0]);
      expect(session1Id).not.toBe('');
      const bashResult = bodyText(mainReqs[4]);
      expect(bashResult).toContain('missing-zebra.txt: No such file or directory');

      // SessionStart started the worker from the plugin's hook.
      const health = await getJson<{ pid: number; baseUrlHost: string }>(`${workerUrl}/api/health`);
      expect(health.baseUrlHost).toBe(new URL(gateway.url).host);

      // Drain: 5 tool events → 5 observations, plus the Stop summary.
      const t0 = Date.now();
      const observations = (await waitFor(
        async () => {
          const hh = await getJson<{ queueDepth: number }>(`${workerUrl}/api/health`);
          const { observations: obs } = await getJson<{ observations: Obs[] }>(`${workerUrl}/api/observations?limit=50`);
          const { summaries } = await getJson<{ summaries: unknown[] }>(`${workerUrl}/api/summaries?limit=10`);
          return hh.queueDepth === 0 && obs.length >= 5 && summaries.length >= 1 ? obs : undefined;
        },
        30_000,
        'the memory queue to drain',
      ))!;
      console.log(`[e2e] session 1: queue drained ${Date.now() - t0} ms after claude exited`);

      // PostToolUse (Read, Write, Edit, Grep) and PostToolUseFailure (Bash) each became an observation.
      const titles = observations.map((o) => o.title).sort();
      expect(titles).toEqual(
        [
          'E2E Bash failed cat missing-zebra.txt',
          'E2E Edit ok NOTES.md',
          'E2E Grep ok greet',
          'E2E Read ok app.ts',
          'E2E Write ok NOTES.md',
        ].sort(),
      );
      expect(new Set(observations.map((o) => o.content_session_id))).toEqual(new Set([session1Id]));

      // UserPromptSubmit: the prompt is stored.
      const { prompts } = await getJson<{ prompts: Array<{ prompt_text: string; content_session_id: string }> }>(`${workerUrl}/api/prompts`);
      expect(prompts).toEqual([expect.objectContaining({ prompt_text: 'Document greet() in docs/NOTES.md', content_session_id: session1Id })]);

      // Stop: the summary of the turn is stored.
      const { summaries } = await getJson<{ summaries: Array<{ completed: string; content_session_id: string }> }>(`${workerUrl}/api/summaries`);
      expect(summaries).toEqual([expect.objectContaining({ completed: SUMMARY_MARKER, content_session_id: session1Id })]);

      // SessionEnd: the session is marked ended.
      const db = new Database(path.join(h.dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
      try {
        const status = () => (db.prepare(`SELECT status FROM sessions WHERE content_session_id = ?`).get(session1Id) as { status: string } | undefined)?.status;
        await waitFor(() => status() === 'ended', 5000, 'SessionEnd to mark the session ended');
      } finally {
        db.close();
      }

      // Isolation: every memory-agent request went to the .env gateway with the .env key…
      const agentReqs = gateway.messageRequests();
      expect(agentReqs.length).toBeGreaterThanOrEqual(1);
      // Every tool call of the session was in front of the memory agent, in some batch.
      expect(agentReqs.flatMap((r) => [...lastUserText(r.body).matchAll(/<tool_call status=/g)]).length).toBeGreaterThanOrEqual(5);
      for (const r of agentReqs) {
        expect(r.headers['x-api-key']).toBe(GATEWAY_KEY);
        expect(toolNames(r)).not.toContain('Bash');
      }
      const failedTurn = agentReqs.find((r) => lastUserText(r.body).includes('missing-zebra.txt'));
      expect(lastUserText(failedTurn?.body)).toContain('<tool_call status="failed">');
      // …and Claude Code's endpoint saw only Claude Code's own main-agent requests.
      for (const r of main.requests) {
        expect(r.kind).toBe('main');
        expect(toolNames(r)).toContain('Bash');
        expect(r.headers['x-api-key']).toBe('sk-main-agent-test');
      }
    }, 90_000);

    it("session 2: session 1's context comes with the first prompt, and the mem-search MCP tool answers from memory", async () => {
      expect(session1Id, 'session 1 must have run').not.toBe('');
      const before = main.requests.length;
      main.reset([
        { toolUse: { name: MCP_SEARCH, input: { query: 'zebra' } } },
        { toolUse: { name: 'Read', input: { file_path: path.join(project, 'src/app.ts') } } },
        { text: 'Session two done.' },
      ]);
      const run: ClaudeRun = await runClaude({ bin: BIN, cwd: project, prompt: 'What do we know about the zebra file?', env });
      console.log(`[e2e] session 2: claude -p took ${run.ms} ms`);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stdout).toContain('Session two done.');

      const reqs = main.requests.slice(before);
      expect(reqs.map((r) => r.kind)).toEqual(['main', 'main', 'main']);
      expect(sessionIdOf(reqs[0])).not.toBe(session1Id);

      // The project's context, in the very first request (with the first prompt: SessionStart ran in the background).
      const first = bodyText(reqs[0]);
      expect(first).toContain('<claude-mem-context>');
      for (const title of ['E2E Read ok app.ts', 'E2E Bash failed cat missing-zebra.txt', 'E2E Write ok NOTES.md']) {
        expect(first).toContain(title);
      }

      // The plugin's MCP server is offered, and its search answers from memory. The tool the
      // mcp_tool hooks call is not offered to the model.
      expect(toolNames(reqs[0])).toContain(MCP_SEARCH);
      expect(toolNames(reqs[0]).filter((n) => n?.includes('hook_context'))).toEqual([]);
      const afterSearch = sinceLastAssistant(reqs[1]);
      expect(afterSearch).toContain('tool_result');
      expect(afterSearch).toContain('E2E Bash failed cat missing-zebra.txt');

      // PreToolUse(Read): memory about the unchanged file is added next to the Read result.
      const afterRead = sinceLastAssistant(reqs[2]);
      expect(afterRead).toContain('earlier observations about app.ts');
      expect(afterRead).toContain('E2E Read ok app.ts');
    }, 90_000);
  });

  describe('with the worker unreachable', () => {
    it('Claude Code still finishes the session normally', async () => {
      // A port that accepts connections and never answers: health checks time out and a worker
      // started by SessionStart cannot bind it.
      const sockets = new Set<net.Socket>();
      const blackhole = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', () => resolve()));
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            blackhole.close(() => resolve());
          }),
      );
      const h = await makeHome((blackhole.address() as net.AddressInfo).port);
      started.push(h);
      const project = makeProject();
      const main = await startScriptedClaude([
        { toolUse: { name: 'Bash', input: { command: 'echo offline-ok' } } },
        { text: 'Finished without memory.' },
      ]);
      closers.push(() => main.close());
      const env = claudeEnv({ home: h.home, baseUrl: main.url, extra: memEnv(h) });
      installPlugin(env);

      const run = await runClaude({ bin: BIN, cwd: project, prompt: 'Say hi', env });
      console.log(`[e2e] worker unreachable: claude -p took ${run.ms} ms`);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stdout).toContain('Finished without memory.');
      expect(main.mainRequests().length).toBe(2);
      expect(bodyText(main.mainRequests()[1])).toContain('offline-ok');
      expect(bodyText(main.mainRequests()[0])).not.toContain('<claude-mem-context>');
      // The plugin's hooks did run: SessionStart tried to start the worker, which could not bind the
      // port, and a hook recorded that the user was told memory is offline.
      expect(fs.readFileSync(path.join(h.dataDir, 'logs/worker.log'), 'utf8')).toContain('already in use');
      expect(JSON.parse(fs.readFileSync(path.join(h.dataDir, 'hook-state.json'), 'utf8'))).toHaveProperty('offlineNoticeAt');
    }, 90_000);
  });
  // ---- nothing lost: the worker misses events, the transcript fills the gap (issue 13) ----------

  /** A home with the memory agent's gateway in DATA_DIR/.env and the plugin installed. */
  async function memoryHome(script: ScriptStep[], opts: { beforeStep?: (step: number) => Promise<void>; hooks?: 'mcp' | 'http' | 'command' } = {}) {
    const h = await makeHome();
    started.push(h);
    const gateway = await startFakeAnthropic({ handler: memoryAgentReply });
    closers.push(() => gateway.close());
    fs.writeFileSync(path.join(h.dataDir, '.env'), `ANTHROPIC_API_KEY=${GATEWAY_KEY}\nANTHROPIC_BASE_URL=${gateway.url}\n`, { mode: 0o600 });
    const main = await startScriptedClaude(script, { beforeStep: opts.beforeStep });
    closers.push(() => main.close());
    const env = claudeEnv({ home: h.home, baseUrl: main.url, extra: memEnv(h) });
    installPlugin(env, opts.hooks ?? 'auto');
    return { h, gateway, main, env, url: `http://127.0.0.1:${h.port}` };
  }

  /** Waits until the queue is empty and `n` observations exist; returns their titles. */
  async function drainedTitles(url: string, n: number): Promise<string[]> {
    const obs = (await waitFor(
      async () => {
        const hh = await getJson<{ queueDepth: number }>(`${url}/api/health`);
        const { observations } = await getJson<{ observations: Obs[] }>(`${url}/api/observations?limit=100`);
        return hh.queueDepth === 0 && observations.length >= n ? observations : undefined;
      },
      30_000,
      `${n} observations and an empty queue`,
    ))!;
    // A moment more: a late duplicate would show up here.
    await new Promise((r) => setTimeout(r, 500));
    const { observations } = await getJson<{ observations: Obs[] }>(`${url}/api/observations?limit=100`);
    expect(observations.length).toBe(obs.length);
    return observations.map((o) => o.title).sort();
  }

  const FIVE_TITLES = [
    'E2E Bash failed cat missing-zebra.txt',
    'E2E Edit ok NOTES.md',
    'E2E Grep ok greet',
    'E2E Read ok app.ts',
    'E2E Write ok NOTES.md',
  ].sort();

  function fiveTools(project: string): ScriptStep[] {
    return [
      { toolUse: { name: 'Read', input: { file_path: path.join(project, 'src/app.ts') } } },
      { toolUse: { name: 'Write', input: { file_path: path.join(project, 'docs/NOTES.md'), content: '# Notes\n\ngreet() says hello.\n' } } },
      { toolUse: { name: 'Edit', input: { file_path: path.join(project, 'docs/NOTES.md'), old_string: 'says hello', new_string: 'greets by name' } } },
      { toolUse: { name: 'Bash', input: { command: 'cat missing-zebra.txt' } } },
      { toolUse: { name: 'Grep', input: { pattern: 'greet', path: project } } },
      { text: 'Documented greet() in docs/NOTES.md.' },
    ];
  }

  describe('nothing lost (http hooks + transcript)', () => {
    it('worker killed mid-session and restarted: after the session every tool call is in memory exactly once', async () => {
      let ctx!: Awaited<ReturnType<typeof memoryHome>>;
      let crashed = false;
      // Step 1 is requested after the Read's PostToolUse: crash the worker there, so the Write's and
      // Edit's hooks find nobody; restart it before step 3 (the Bash and Grep hooks reach it).
      const beforeStep = async (step: number) => {
        if (step === 1) {
          await crashWorker(ctx.h.dataDir);
          crashed = true;
        }
        if (step === 3) await startWorkerProcess(ctx.h, ctx.env);
      };
      const projectHolder = makeProject();
      ctx = await memoryHome(fiveTools(projectHolder), { beforeStep });
      const run = await runClaude({ bin: BIN, cwd: projectHolder, prompt: 'Document greet() in docs/NOTES.md', env: ctx.env });
      console.log(`[e2e] worker crash mid-session: claude -p took ${run.ms} ms`);
      expect(run.code, describeRun(run)).toBe(0);
      expect(crashed).toBe(true);
      expect(await drainedTitles(ctx.url, 5)).toEqual(FIVE_TITLES);
      // The Write and Edit came back from the transcript, not from their hooks (and the Read too when
      // the crash hit before its answered-first event was stored).
      expect(fs.readFileSync(path.join(ctx.h.dataDir, 'logs', 'worker.log'), 'utf8')).toMatch(/Recovered from transcript .*tools=[23] /);
      const { prompts } = await getJson<{ prompts: Array<{ prompt_text: string }> }>(`${ctx.url}/api/prompts`);
      expect(prompts.map((p) => p.prompt_text)).toEqual(['Document greet() in docs/NOTES.md']);
    }, 120_000);

    it('worker down for the whole session: Claude Code exits 0 and the next SessionStart recovers the session', async () => {
      const project = makeProject();
      const ctx = await memoryHome(fiveTools(project));
      // CLAUDE_MEM_INTERNAL=1 makes the SessionStart command hook do nothing, so no worker is started
      // and every http hook meets a closed port.
      const down = { ...ctx.env, CLAUDE_MEM_INTERNAL: '1' };
      const run1 = await runClaude({ bin: BIN, cwd: project, prompt: 'Document greet() in docs/NOTES.md', env: down });
      console.log(`[e2e] worker down: claude -p took ${run1.ms} ms`);
      expect(run1.code, describeRun(run1)).toBe(0);
      expect(run1.stdout).toContain('Documented greet() in docs/NOTES.md.');
      await expect(getJson(`${ctx.url}/api/health`)).rejects.toThrow();
      const session1 = sessionIdOf(ctx.main.mainRequests()[0]);

      ctx.main.reset([{ text: 'Second session.' }]);
      const run2 = await runClaude({ bin: BIN, cwd: project, prompt: 'What happened last time?', env: ctx.env });
      expect(run2.code, describeRun(run2)).toBe(0);
      expect(await drainedTitles(ctx.url, 5)).toEqual(FIVE_TITLES);
      const { observations } = await getJson<{ observations: Obs[] }>(`${ctx.url}/api/observations?limit=100`);
      expect(new Set(observations.map((o) => o.content_session_id))).toEqual(new Set([session1]));
      const { prompts } = await getJson<{ prompts: Array<{ prompt_text: string; content_session_id: string }> }>(`${ctx.url}/api/prompts`);
      expect(prompts).toEqual(expect.arrayContaining([expect.objectContaining({ prompt_text: 'Document greet() in docs/NOTES.md', content_session_id: session1 })]));
    }, 120_000);

    it.each([
      ['http', 'Claude Code 2.1.63–2.1.117: http hooks record, command hooks answer'],
      ['command', 'Claude Code too old for http hooks: a command hook per event'],
    ] as const)('%s-hook fallback (%s) still captures every tool call', async (mode, _why) => {
      const project = makeProject();
      const ctx = await memoryHome(fiveTools(project), { hooks: mode });
      const hooks = registeredHooks(ctx.h);
      const types = new Set(Object.values(hooks).flatMap((groups) => groups.flatMap((g) => g.hooks.map((x) => x.type))));
      expect([...types].sort()).toEqual(mode === 'http' ? ['command', 'http'] : ['command']);
      expect(hooks.UserPromptSubmit[0].hooks[0].type).toBe('command');
      const run = await runClaude({ bin: BIN, cwd: project, prompt: 'Document greet() in docs/NOTES.md', env: ctx.env });
      expect(run.code, describeRun(run)).toBe(0);
      expect(await drainedTitles(ctx.url, 5)).toEqual(FIVE_TITLES);
    }, 120_000);
  });
});
