// The viewer's detail panel: correct an observation, see it superseded (and undo), and delete it
// after a confirmation — in a real headless Chromium against a real worker (dist/).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe as vitestDescribe, expect, it } from 'vitest';
import { canRun } from '../helpers/requirements.js';
import { getJson, postJson, startWorker, type WorkerHandle } from '../helpers/worker.js';
import { chromiumMissing, ensureViewerBuilt, launchBrowser, logIn } from './browser.js';

const describe = vitestDescribe.skipIf(!canRun('browser tests', chromiumMissing()));
const CANARY = `zqxviewercanary${Date.now()}`;

describe('viewer: forget, correct, supersede', () => {
  let browser: Browser;
  let worker: WorkerHandle;
  let page: Page;
  let ids: number[];

  beforeAll(async () => {
    ensureViewerBuilt();
    browser = await launchBrowser();
    worker = await startWorker();
    const res = await postJson<{ observations: { ids: number[] } }>(`${worker.url}/api/import`, {
      observations: [
        { content_session_id: 'v1', project: 'viewer', type: 'discovery', title: 'Old config note', narrative: 'Config lives in a.json.', created_at: '2026-11-20T10:00:00.000Z' },
        { content_session_id: 'v1', project: 'viewer', type: 'change', title: 'New config note', narrative: 'Config moved to b.json.', created_at: '2026-11-20T10:05:00.000Z' },
        { content_session_id: 'v1', project: 'viewer', type: 'decision', title: `Secret ${CANARY}`, narrative: `Do not keep ${CANARY}.`, created_at: '2026-11-20T10:10:00.000Z' },
      ],
    });
    ids = res.body.observations.ids;
    const supersede = await postJson(`${worker.url}/api/observations/${ids[0]}/supersede`, { by: ids[1] });
    expect(supersede.status).toBe(200);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await logIn(context, worker.url);
    page = await context.newPage();
    page.on('pageerror', (err) => {
      throw new Error(`page error: ${err.message}`);
    });
    await page.goto(`${worker.url}/`);
    await page.waitForSelector('#feed-list .card');
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  const open = async (id: number) => {
    await page.click(`#feed-list .card[data-key="observation:${id}"] .card-title`);
    await page.waitForSelector('#detail[open] #detail-title');
  };
  const close = () => page.keyboard.press('Escape');

  it('shows a superseded observation with a link to the newer one, and undoes it', async () => {
    await open(ids[0]);
    const status = await page.textContent('#detail .detail-status');
    expect(status).toContain(`Superseded by #${ids[1]}`);
    await page.click('#detail [data-action="unsupersede"]');
    await page.waitForFunction(() => !document.querySelector('#detail .detail-status'));
    const [row] = (await postJson<{ observations: Array<{ superseded_by: number | null }> }>(`${worker.url}/api/observations/batch`, { ids: [ids[0]] })).body.observations;
    expect(row.superseded_by).toBeNull();
    await close();
  });

  it('corrects an observation from the edit form; the change is saved and searchable', async () => {
    await open(ids[1]);
    await page.click('#detail [data-action="edit"]');
    await page.fill('#edit-title', 'Config moved to c.yaml');
    await page.fill('#edit-facts', 'config is YAML now\nread at start');
    await page.click('#detail [data-action="save-edit"]');
    await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === 'Config moved to c.yaml');
    expect(await page.textContent('#detail')).toContain('Corrected');
    const hits = await getJson<{ observations: Array<{ id: number; facts: string[]; edited_at: string | null }> }>(`${worker.url}/api/search?query=yaml`);
    const hit = hits.observations.find((o) => o.id === ids[1]);
    expect(hit?.facts).toEqual(['config is YAML now', 'read at start']);
    expect(hit?.edited_at).toBeTruthy();
    await close();
  });

  it('deletes only after the confirmation; the card and the record are gone', async () => {
    await open(ids[2]);
    await page.click('#detail [data-action="delete"]');
    await page.click('#detail [data-action="cancel-delete"]');
    expect((await getJson<{ total: number }>(`${worker.url}/api/observations`)).total).toBe(3);
    await page.click('#detail [data-action="delete"]');
    expect(await page.textContent('#detail .detail-confirm')).toContain('cannot be undone');
    await page.click('#detail [data-action="confirm-delete"]');
    await page.waitForSelector('#detail .detail-receipt');
    expect(await page.textContent('#detail .detail-receipt')).toContain('Removed 1 observation');
    expect(await page.$(`#feed-list .card[data-key="observation:${ids[2]}"]`)).toBeNull();
    expect((await getJson<{ total: number }>(`${worker.url}/api/observations`)).total).toBe(2);
    // A reload shows no trace of it either.
    await page.reload();
    await page.waitForSelector('#feed-list .card');
    expect(await page.content()).not.toContain(CANARY);
  });
});
