// The MCP server as Claude Code runs it: `node dist/mcp/mcp-server.js` over stdio, driven by the
// official MCP client, talking to a real worker (random port, temp data dir). Needs `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MCP_JS = path.join(ROOT, 'dist/mcp/mcp-server.js');
const WORKER_JS = path.join(ROOT, 'dist/worker/worker-main.js');
const CLI_JS = path.join(ROOT, 'dist/cli/claude-mem.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(port: number, ms: number): Promise<{ pid: number } | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`, { headers: auth(port), signal: AbortSignal.timeout(1000) });
      if (res.ok) return (await res.json()) as { pid: number };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return null;
}

/** Data dir of the worker on each port (its token authenticates the test's own requests). */
const dirOfPort = new Map<number, string>();
function auth(port: number): Record<string, string> {
  const dir = dirOfPort.get(port);
  const file = dir ? path.join(dir, 'worker.token') : '';
  return file && fs.existsSync(file) ? { authorization: `Bearer ${fs.readFileSync(file, 'utf8').trim()}` } : {};
}

function testEnv(port: number, dataDir: string): Record<string, string> {
  dirOfPort.set(port, dataDir);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CLAUDE_MEM_')) env[k] = v;
  return { ...env, CLAUDE_MEM_WORKER_HOST: '127.0.0.1', CLAUDE_MEM_WORKER_PORT: String(port), CLAUDE_MEM_DATA_DIR: dataDir };
}

async function connectMcp(env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [MCP_JS], env, cwd: ROOT, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'claude-mem-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('\n');
}

const T = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString();

const SEED = {
  observations: [
    {
      content_session_id: 'mcp-sess-1',
      project: 'mcp-test',
      type: 'bugfix',
      title: 'Parser crashed on empty tool output',
      subtitle: 'Empty responses are a skip, not an error',
      narrative: 'The XML parser threw on an empty tool response. It now returns no observations for empty input.',
      facts: ['parser.ts returns [] for empty input', 'regression test added'],
      concepts: ['gotcha', 'problem-solution'],
      files_read: ['src/parser.ts'],
      files_modified: ['src/parser.ts'],
      created_at: T(0),
    },
    {
      content_session_id: 'mcp-sess-1',
      project: 'mcp-test',
      type: 'feature',
      title: 'Added CSV export to the viewer',
      subtitle: '',
      narrative: 'The viewer can download observations as CSV.',
      facts: [],
      concepts: ['what-changed'],
      files_read: [],
      files_modified: ['src/ui/export.ts'],
      created_at: T(5),
    },
    {
      content_session_id: 'mcp-sess-1',
      project: 'mcp-test',
      type: 'decision',
      title: 'Chose bm25 ranking over recency for search',
      subtitle: '',
      narrative: 'Relevance beats recency for recall questions; date ordering stays available as an option.',
      facts: ['orderBy=date_desc keeps recency ordering'],
      concepts: ['trade-off'],
      files_read: [],
      files_modified: [],
      created_at: T(10),
    },
  ],
  summaries: [
    {
      content_session_id: 'mcp-sess-1',
      project: 'mcp-test',
      request: 'Fix the parser crash on empty output',
      investigated: 'parser.ts',
      learned: 'empty replies are valid skips',
      completed: 'Parser handles empty output',
      next_steps: 'Release',
      notes: '',
      created_at: T(15),
    },
  ],
};

describe('MCP server (stdio, official client) against a real worker', () => {
  let dataDir: string;
  let port: number;
  let worker: ChildProcess | undefined;
  let mcp: { client: Client; stderr: () => string };
  let ids: number[] = [];
  const extraPids: number[] = [];
  const extraDirs: string[] = [];

  beforeAll(async () => {
    for (const file of [MCP_JS, WORKER_JS]) {
      if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run npm run build first`);
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-mcp-'));
    port = await freePort();
    worker = spawn(process.execPath, [WORKER_JS], { env: testEnv(port, dataDir), stdio: ['ignore', 'ignore', 'pipe'] });
    let workerErr = '';
    worker.stderr?.on('data', (d: Buffer) => (workerErr += d.toString()));
    if (!(await waitForHealth(port, 15_000))) throw new Error(`worker did not become healthy on port ${port}:\n${workerErr}`);

    const res = await fetch(`http://127.0.0.1:${port}/api/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(port) },
      body: JSON.stringify(SEED),
    });
    expect(res.status).toBe(200);
    const imported = (await res.json()) as { observations: { imported: number; ids: number[] } };
    expect(imported.observations.imported).toBe(3);
    ids = imported.observations.ids;

    mcp = await connectMcp(testEnv(port, dataDir));
  });

  afterAll(async () => {
    await mcp?.client.close().catch(() => {});
    for (const pid of extraPids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
    for (const dir of [dataDir, ...extraDirs]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the tools, with descriptions that teach the workflow', async () => {
    const { tools } = await mcp.client.listTools();
    const names = tools.map((t) => t.name).sort();
    // hook_context serves the mcp_tool hooks by name and is not listed: the model never sees it.
    expect(names).toEqual(['forget', 'get_observations', 'search', 'timeline']);
    const search = tools.find((t) => t.name === 'search')!;
    expect(search.description).toMatch(/timeline/);
    expect(search.description).toMatch(/get_observations/);
    expect(Object.keys((search.inputSchema as { properties: object }).properties)).toEqual(
      expect.arrayContaining(['query', 'project', 'type', 'concepts', 'files', 'dateStart', 'dateEnd', 'orderBy', 'limit', 'offset']),
    );
    const getObs = tools.find((t) => t.name === 'get_observations')!;
    expect((getObs.inputSchema as { required?: string[] }).required).toContain('ids');
  });

  it('search → timeline → get_observations', async () => {
    const [parserId, csvId, bm25Id] = ids;

    const found = await mcp.client.callTool({ name: 'search', arguments: { query: 'parser crash empty output', project: 'mcp-test' } });
    expect(found.isError).toBeFalsy();
    const rows = text(found);
    expect(rows).toMatch(new RegExp(`#${parserId}  \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}  bugfix  Parser crashed on empty tool output  \\(~\\d+ tokens\\)`));
    // A hit's session neighbours may follow it (keyword search ranks them with it), never ahead of it.
    if (rows.includes('Added CSV export')) expect(rows.indexOf('Added CSV export')).toBeGreaterThan(rows.indexOf('Parser crashed on empty tool output'));
    // compact: the narrative itself is not in the index
    expect(rows).not.toContain('It now returns no observations');

    const timeline = await mcp.client.callTool({ name: 'timeline', arguments: { anchor: csvId, before: 1, after: 1 } });
    expect(timeline.isError).toBeFalsy();
    const t = text(timeline);
    const rowIds = t
      .split('\n')
      .map((l) => /^(?:→ | {2})#(\d+) /.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(rowIds).toEqual([parserId, csvId, bm25Id]); // chronological, one before and one after
    expect(t).toContain(`→ #${csvId}  `);

    const byQuery = await mcp.client.callTool({ name: 'timeline', arguments: { query: 'bm25 ranking', project: 'mcp-test' } });
    expect(byQuery.isError).toBeFalsy();
    expect(text(byQuery)).toContain(`→ #${bm25Id}`);

    const full = await mcp.client.callTool({ name: 'get_observations', arguments: { ids: [parserId, 999_999] } });
    expect(full.isError).toBeFalsy();
    const f = text(full);
    expect(f).toContain(`#${parserId} Parser crashed on empty tool output`);
    expect(f).toContain('Type: bugfix');
    expect(f).toContain('Project: mcp-test');
    expect(f).toContain('It now returns no observations for empty input.');
    expect(f).toContain('- parser.ts returns [] for empty input');
    expect(f).toContain('Concepts: gotcha, problem-solution');
    expect(f).toContain('Files modified: src/parser.ts');
    expect(f).toContain('Not found: #999999');
  });

  it('search filters by type and shows matching session summaries', async () => {
    const res = await mcp.client.callTool({ name: 'search', arguments: { query: 'parser', type: 'decision', project: 'mcp-test' } });
    expect(res.isError).toBeFalsy();
    expect(text(res)).not.toContain('Parser crashed');

    const withSessions = await mcp.client.callTool({ name: 'search', arguments: { query: 'parser crash', project: 'mcp-test' } });
    expect(text(withSessions)).toMatch(/S\d+ .*Fix the parser crash on empty output/);
  });

  it('answers bad arguments with clear tool errors', async () => {
    const tooMany = await mcp.client.callTool({ name: 'search', arguments: { query: 'x', limit: 500 } });
    expect(tooMany.isError).toBe(true);
    expect(text(tooMany)).toMatch(/limit/);

    const badType = await mcp.client.callTool({ name: 'search', arguments: { query: 'x', type: 'nonsense' } });
    expect(badType.isError).toBe(true);
    expect(text(badType)).toMatch(/type/);

    const badDate = await mcp.client.callTool({ name: 'search', arguments: { query: 'x', dateStart: 'last tuesday' } });
    expect(badDate.isError).toBe(true);
    expect(text(badDate)).toMatch(/dateStart/);

    const noAnchor = await mcp.client.callTool({ name: 'timeline', arguments: {} });
    expect(noAnchor.isError).toBe(true);
    expect(text(noAnchor)).toMatch(/anchor/);
    expect(text(noAnchor)).toMatch(/query/);

    const unknownAnchor = await mcp.client.callTool({ name: 'timeline', arguments: { anchor: 987_654 } });
    expect(unknownAnchor.isError).toBe(true);
    expect(text(unknownAnchor)).toMatch(/987654/);

    const noIds = await mcp.client.callTool({ name: 'get_observations', arguments: { ids: [] } });
    expect(noIds.isError).toBe(true);
    expect(text(noIds)).toMatch(/ids/);

    const tooManyIds = await mcp.client.callTool({
      name: 'get_observations',
      arguments: { ids: Array.from({ length: 51 }, (_, i) => i + 1) },
    });
    expect(tooManyIds.isError).toBe(true);
    expect(text(tooManyIds)).toMatch(/50/);
  });

  it("hook_context answers the mcp_tool hooks: the project's context with a session's first prompt only, then recall; file context on Read", async () => {
    // A project dir named like the seeded project, with the file its observations read (older than them).
    const cwd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-mcp-hook-')), 'mcp-test');
    extraDirs.push(path.dirname(cwd));
    fs.mkdirSync(path.join(cwd, 'src'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'src/parser.ts'), 'export {};\n');
    fs.utimesSync(path.join(cwd, 'src/parser.ts'), new Date(Date.UTC(2026, 10, 19)), new Date(Date.UTC(2026, 10, 19)));
    const hook = async (args: Record<string, string>) => {
      const res = await mcp.client.callTool({ name: 'hook_context', arguments: { session_id: 'hook-sess-1', cwd, ...args } });
      expect(res.isError, text(res)).toBeFalsy();
      return JSON.parse(text(res)) as { hookSpecificOutput?: { hookEventName: string; additionalContext: string } };
    };
    const first = await hook({ event: 'UserPromptSubmit', prompt: 'why did the parser crash on empty output?' });
    expect(first.hookSpecificOutput?.hookEventName).toBe('UserPromptSubmit');
    // The session's context (SessionStart ran in the background without it), then the prompt's recall.
    expect(first.hookSpecificOutput?.additionalContext).toMatch(/^<claude-mem-context>/);
    expect(first.hookSpecificOutput?.additionalContext).toContain('Added CSV export to the viewer');
    expect(first.hookSpecificOutput?.additionalContext).toContain('Parser crashed on empty tool output');
    // The next prompt of the same session: no second copy of the context.
    const second = await hook({ event: 'UserPromptSubmit', prompt: 'and the CSV export?' });
    expect(JSON.stringify(second)).not.toContain('Chose bm25 ranking');
    const read = await hook({ event: 'PreToolUse', tool_name: 'Read', file_path: path.join(cwd, 'src/parser.ts') });
    expect(read.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse' });
    expect(read.hookSpecificOutput?.additionalContext).toContain('earlier observations about parser.ts');
    expect(await hook({ event: 'PreToolUse', tool_name: 'Read', file_path: path.join(cwd, 'src/none.ts') })).toEqual({});
    // It only reads: no prompt was recorded for the session.
    const prompts = (await (await fetch(`http://127.0.0.1:${port}/api/prompts?limit=50`, { headers: auth(port) })).json()) as { prompts: Array<{ content_session_id: string }> };
    expect(prompts.prompts.filter((p) => p.content_session_id === 'hook-sess-1')).toEqual([]);
  });

  it('hook_context with no worker answers {} at once for a Read, gives up on a first prompt after 2 s, and waits for a worker that is starting', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-mcp-hookwait-'));
    extraDirs.push(otherDir);
    const otherPort = await freePort();
    const env = testEnv(otherPort, otherDir);
    // The token exists before the worker runs (install creates it), as on a real machine.
    const install = spawn(process.execPath, [CLI_JS, 'install', '--hooks', 'mcp'], { env: { ...env, HOME: otherDir, CLAUDE_CONFIG_DIR: path.join(otherDir, '.claude') }, stdio: 'ignore' });
    await new Promise((r) => install.once('exit', r));
    const other = await connectMcp(env);
    try {
      const t0 = Date.now();
      const read = await other.client.callTool({ name: 'hook_context', arguments: { event: 'PreToolUse', session_id: 's', cwd: otherDir, tool_name: 'Read', file_path: '/etc/hostname' } });
      expect(text(read)).toBe('{}');
      expect(Date.now() - t0).toBeLessThan(1500);
      // A first prompt with no worker coming up (none holds the lock) gives up after the 2 s grace, not 4 s.
      const t1 = Date.now();
      const alone = await other.client.callTool({ name: 'hook_context', arguments: { event: 'UserPromptSubmit', session_id: 'alone', cwd: otherDir, prompt: 'hello' } });
      expect(text(alone)).toBe('{}');
      expect(Date.now() - t1).toBeGreaterThanOrEqual(1900);
      expect(Date.now() - t1).toBeLessThan(3500);
      // The first prompt of a session while SessionStart is still bringing the worker up.
      const pending = other.client.callTool({ name: 'hook_context', arguments: { event: 'UserPromptSubmit', session_id: 's', cwd: otherDir, prompt: 'hello' } });
      await new Promise((r) => setTimeout(r, 300));
      const w = spawn(process.execPath, [WORKER_JS], { env, stdio: 'ignore' });
      extraPids.push(w.pid!);
      const answer = JSON.parse(text(await pending)) as { hookSpecificOutput?: { additionalContext: string } };
      // The worker's answer, not a timeout: an empty store's context says memory starts now.
      expect(answer.hookSpecificOutput?.additionalContext).toMatch(/No memory for claude-mem-mcp-hookwait-\w+ yet/);
      // Only the prompt with no worker coming up logged a failure.
      expect(other.stderr().match(/hook_context UserPromptSubmit/g)).toHaveLength(1);
    } finally {
      await other.client.close().catch(() => {});
    }
  });

  it('starts the worker itself when nothing answers, then serves the call', async () => {
    expect(fs.existsSync(CLI_JS), 'dist/cli/claude-mem.js is needed to start the worker').toBe(true);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-mem-mcp-autostart-'));
    extraDirs.push(otherDir);
    const otherPort = await freePort();
    const other = await connectMcp(testEnv(otherPort, otherDir));
    try {
      const res = await other.client.callTool({ name: 'search', arguments: { query: 'anything at all' } });
      const health = await waitForHealth(otherPort, 2000);
      if (health) extraPids.push(health.pid);
      expect(text(res), other.stderr()).toMatch(/No memory matches/);
      expect(res.isError).toBeFalsy();
      expect(health).not.toBeNull();
    } finally {
      await other.client.close().catch(() => {});
    }
  });
});
