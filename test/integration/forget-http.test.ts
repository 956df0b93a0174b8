// Forget, correct and supersede through the real worker: HTTP routes, the CLI and the MCP tool.
// A canary stored in an observation is, after forget, in no API answer, search, export, MCP
// answer or context, and in neither the database file nor its WAL; re-importing an export taken
// before does not bring it back.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedFetch, getJson, postJson, ROOT, runCli, startWorker, type WorkerHandle } from '../helpers/worker.js';

const CANARY = `zqxhttpcanary${Date.now()}`;
const MCP_JS = path.join(ROOT, 'dist/mcp/mcp-server.js');

const seed = () => ({
  observations: [
    { content_session_id: 'fs-1', project: 'forget-proj', type: 'discovery', title: 'Keeps the build fast', narrative: 'esbuild bundles the hooks.', created_at: '2026-11-20T10:00:00.000Z' },
    {
      content_session_id: 'fs-1',
      project: 'forget-proj',
      type: 'decision',
      title: `Staging password is ${CANARY}`,
      narrative: `The staging password ${CANARY} was written down here by mistake.`,
      facts: [`password ${CANARY}`],
      created_at: '2026-11-20T10:01:00.000Z',
    },
    { content_session_id: 'fs-1', project: 'forget-proj', type: 'change', title: 'Port moved to 8080', narrative: 'The dev server port changed.', created_at: '2026-11-20T10:02:00.000Z' },
  ],
});

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await authedFetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('forget, edit, supersede over HTTP, CLI and MCP', () => {
  let w: WorkerHandle;
  let ids: number[];
  let mcp: Client;

  beforeAll(async () => {
    if (!fs.existsSync(MCP_JS)) throw new Error('dist is missing: run npm run build first');
    w = await startWorker();
    const r = await postJson<{ observations: { ids: number[] } }>(`${w.url}/api/import`, seed());
    expect(r.status).toBe(200);
    ids = r.body.observations.ids;
    const transport = new StdioClientTransport({ command: process.execPath, args: [MCP_JS], env: w.env as Record<string, string>, cwd: ROOT, stderr: 'pipe' });
    mcp = new Client({ name: 'forget-test', version: '0.0.0' });
    await mcp.connect(transport);
  });

  afterAll(async () => {
    await mcp?.close();
    await w?.stop();
    fs.rmSync(w.dataDir, { recursive: true, force: true });
  });

  const mcpText = async (name: string, args: Record<string, unknown>) =>
    ((await mcp.callTool({ name, arguments: args })).content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');

  it('validates requests with messages that name the field', async () => {
    expect((await send('POST', `${w.url}/api/forget`, { project: 'forget-proj' })).body.error).toMatch(/all: true/);
    expect((await send('POST', `${w.url}/api/forget`, { ids: ['x'] })).body.error).toMatch(/ids/);
    expect((await send('PATCH', `${w.url}/api/observations/${ids[0]}`, {})).body.error).toMatch(/at least one of title/);
    expect((await send('PATCH', `${w.url}/api/observations/${ids[0]}`, { type: 'nope' })).body.error).toMatch(/type must be one of/);
    expect((await send('DELETE', `${w.url}/api/observations/999999`)).status).toBe(404);
    const cli = runCli(['forget'], w.env);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/name what to forget/);
  });

  it('MCP forget lists the matches first and deletes only the ids it is then given; the canary is gone from every answer and from the files', async () => {
    const canaryId = ids[1];
    const exportBefore = await getJson(`${w.url}/api/export`);
    expect(JSON.stringify(exportBefore)).toContain(CANARY);

    const listed = await mcpText('forget', { query: CANARY });
    expect(listed).toContain(`#${canaryId}`);
    expect(listed).toMatch(/nothing was deleted/);
    expect((await getJson<{ observations: unknown[] }>(`${w.url}/api/search?query=${CANARY}`)).observations.length).toBeGreaterThan(0);

    // The CLI dry run lists the same, and changes nothing.
    const dry = runCli(['forget', '--query', CANARY, '--dry-run'], w.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`#${canaryId}`);
    expect(dry.stdout).toContain('Nothing was changed');
    expect((await getJson<{ total: number }>(`${w.url}/api/observations?limit=50`)).total).toBe(3);

    const done = await mcpText('forget', { ids: [canaryId] });
    expect(done).toContain(`Forgot 1 observation (#${canaryId})`);

    const answers = await Promise.all([
      authedFetch(`${w.url}/api/search?query=${CANARY}`).then((r) => r.text()),
      authedFetch(`${w.url}/api/search?query=staging%20password`).then((r) => r.text()),
      authedFetch(`${w.url}/api/observations?limit=100`).then((r) => r.text()),
      authedFetch(`${w.url}/api/observation/${canaryId}`).then((r) => r.text()),
      authedFetch(`${w.url}/api/export`).then((r) => r.text()),
      authedFetch(`${w.url}/api/timeline?anchor=${ids[0]}`).then((r) => r.text()),
      authedFetch(`${w.url}/api/context/inject?project=forget-proj`).then((r) => r.text()),
      send('POST', `${w.url}/api/observations/batch`, { ids }).then((r) => JSON.stringify(r.body)),
      // (A search for the canary itself would echo the query back: search its neighbours' words.)
      mcpText('search', { query: 'staging password' }),
      mcpText('get_observations', { ids: [canaryId] }),
      mcpText('timeline', { anchor: ids[0] }),
    ]);
    for (const a of answers) expect(a).not.toContain(CANARY);

    const db = path.join(w.dataDir, 'claude-mem.db');
    const bytes = Buffer.concat([fs.readFileSync(db), fs.existsSync(`${db}-wal`) ? fs.readFileSync(`${db}-wal`) : Buffer.alloc(0)]);
    expect(bytes.includes(Buffer.from(CANARY))).toBe(false);

    // Re-import of the export taken before: the canary stays forgotten.
    const again = await postJson<{ observations: { imported: number; forgotten: number } }>(`${w.url}/api/import`, exportBefore);
    expect(again.body.observations).toMatchObject({ imported: 0, forgotten: 1 });
    expect(await authedFetch(`${w.url}/api/export`).then((r) => r.text())).not.toContain(CANARY);
  });

  it('edits from the CLI (re-indexed at once, edited_at), supersedes reversibly, and deletes over HTTP with a receipt', async () => {
    const edit = runCli(['edit', String(ids[0]), '--title', 'Keeps the build quick with esbuild', '--fact', 'hooks are bundled'], w.env);
    expect(edit.code).toBe(0);
    expect(edit.stdout).toContain(`Corrected #${ids[0]}`);
    const [row] = (await send('POST', `${w.url}/api/observations/batch`, { ids: [ids[0]] })).body.observations as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ title: 'Keeps the build quick with esbuild', facts: ['hooks are bundled'], stale: false, superseded_by: null });
    expect(typeof row.edited_at).toBe('string');
    const hits = await getJson<{ observations: Array<{ id: number }> }>(`${w.url}/api/search?query=quick`);
    expect(hits.observations.map((o) => o.id)).toContain(ids[0]);

    const sup = runCli(['supersede', String(ids[0]), '--by', String(ids[2])], w.env);
    expect(sup.stdout).toContain(`superseded by #${ids[2]}`);
    expect(await authedFetch(`${w.url}/api/context/inject?project=forget-proj`).then((r) => r.text())).not.toContain('quick with esbuild');
    expect(await mcpText('get_observations', { ids: [ids[0]] })).toContain(`superseded by #${ids[2]}`);
    expect(runCli(['supersede', String(ids[0]), '--undo'], w.env).stdout).toContain('current again');

    const dry = await send('DELETE', `${w.url}/api/observations/${ids[2]}?dryRun=true`);
    expect(dry.body).toMatchObject({ dryRun: true, observations: 1 });
    const del = await send('DELETE', `${w.url}/api/observations/${ids[2]}`);
    expect(del.body).toMatchObject({ dryRun: false, observations: 1 });
    expect((await getJson<{ total: number }>(`${w.url}/api/observations?limit=50`)).total).toBe(1);
  });
});
