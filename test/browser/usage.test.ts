// The viewer's usage chart: after memory-agent requests, the Status page shows one bar per day for
// the last 14 days, today's bar carrying the tokens and estimated cost, and a per-project table.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe as vitestDescribe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { canRun } from '../helpers/requirements.js';
import { getJson, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { markedReply, postToolEvent } from '../integration/agent-support.js';
import { chromiumMissing, ensureViewerBuilt, launchBrowser, logIn, screenshot } from './browser.js';

const describe = vitestDescribe.skipIf(!canRun('browser tests', chromiumMissing()));

describe('usage chart', () => {
  let gateway: FakeAnthropic;
  let w: WorkerHandle;
  let browser: Browser;

  beforeAll(async () => {
    ensureViewerBuilt();
    gateway = await startFakeAnthropic({ handler: markedReply('charttest') });
    w = await startWorker({ dotenv: `ANTHROPIC_BASE_URL=${gateway.url}\nANTHROPIC_API_KEY=sk-chart-test\n` });
    await postToolEvent(w, { sessionId: 'chart-session', toolName: 'Read', toolInput: { file_path: '/home/user/project/chart.ts' }, toolResponse: 'x' });
    await waitFor(async () => (await getJson<{ total: { requests: number } }>(`${w.url}/api/stats`)).total.requests > 0, 20_000, 'a request in the ledger');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.stop();
    await gateway?.close();
  });

  it('shows 14 days with today carrying the tokens and cost, and the project table', async () => {
    const page = await browser.newPage();
    await logIn(page.context(), w.url);
    await page.goto(`${w.url}/#/status`);
    const chart = page.locator('#usage-chart');
    await chart.waitFor();
    expect(await chart.locator('.usage-day').count()).toBe(14);
    const today = new Date().toISOString().slice(0, 10);
    const bar = chart.locator(`.usage-day[data-day="${today}"]`);
    expect(await bar.getAttribute('title')).toMatch(new RegExp(`^${today}: [\\d,]+ tokens, 1 requests, \\$0\\.\\d{4}$`));
    expect(await bar.locator('.usage-bar').getAttribute('style')).toBe('height:100%');
    await expect.poll(() => page.locator('#usage .usage-table td').first().textContent()).toBe('project');
    await screenshot(page, 'usage');
    await page.close();
  });
});
