// One date-range rule for every way in (lib/dateRange.ts): a date-only end covers that whole day in
// the local time zone of the machine the worker runs on. The worker and the MCP server run in
// Pacific/Auckland (UTC+13 in November) so UTC, local and "no extension" each give a different
// answer: only the rule includes the 23:30 observation of the 25th and excludes the 00:30 one of
// the 26th. (The viewer sends the picked YYYY-MM-DD as it is; its test is in test/browser.)
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authedFetch, DIST, getJson, postJson, startWorker, testEnv, type WorkerHandle } from '../helpers/worker.js';

const TZ = 'Pacific/Auckland';
// Local wall-clock times in Auckland (UTC+13 on these dates), written as UTC instants.
const LATE_ON_25TH = '2026-11-25T10:30:00.000Z'; // 23:30 on the 25th, Auckland
const EARLY_ON_26TH = '2026-11-25T11:30:00.000Z'; // 00:30 on the 26th, Auckland
const EARLY_ON_25TH = '2026-11-24T11:30:00.000Z'; // 00:30 on the 25th, Auckland

let w: WorkerHandle;

const obs = (title: string, created_at: string) => ({
  content_session_id: 'date-range-session',
  project: 'date-range',
  type: 'discovery',
  title,
  subtitle: '',
  narrative: `${title}: the zebra deploy note`,
  facts: [],
  concepts: [],
  files_read: [],
  files_modified: [],
  created_at,
});

beforeAll(async () => {
  w = await startWorker({ env: { TZ } });
  const res = await postJson(`${w.url}/api/import`, {
    observations: [obs('late on the 25th', LATE_ON_25TH), obs('early on the 26th', EARLY_ON_26TH), obs('early on the 25th', EARLY_ON_25TH)],
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await w?.stop();
});

const titles = (r: { observations: Array<{ title: string }> }) => r.observations.map((o) => o.title).sort();

it('HTTP: dateEnd=2026-11-25 includes the whole local day and nothing after it', async () => {
  const r = await getJson<{ observations: Array<{ title: string }> }>(`${w.url}/api/search?query=zebra&project=date-range&dateEnd=2026-11-25`);
  expect(titles(r)).toEqual(['early on the 25th', 'late on the 25th']);
  const day = await getJson<{ observations: Array<{ title: string }> }>(
    `${w.url}/api/search?query=zebra&project=date-range&dateStart=2026-11-25&dateEnd=2026-11-25`,
  );
  expect(titles(day)).toEqual(['early on the 25th', 'late on the 25th']);
  const bad = await authedFetch(`${w.url}/api/search?query=zebra&dateEnd=2026-02-31`);
  expect(bad.status).toBe(400);
  expect(await bad.text()).toMatch(/dateEnd.*whole day/);
});

it('MCP: the search tool applies the same rule', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(DIST, 'mcp/mcp-server.js')],
    env: { ...(testEnv(w.dataDir, w.port) as Record<string, string>), TZ },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'date-range-test', version: '0.0.0' });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'search', arguments: { query: 'zebra', project: 'date-range', dateEnd: '2026-11-25' } });
    const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    expect(text).toContain('late on the 25th');
    expect(text).toContain('early on the 25th');
    expect(text).not.toContain('early on the 26th');
  } finally {
    await client.close();
  }
});
