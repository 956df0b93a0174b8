// The web viewer in a real headless Chromium against a real worker process (dist/).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe as vitestDescribe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { canRun } from '../helpers/requirements.js';
import { authedFetch, getJson, postJson, runCli, startWorker, waitFor, type WorkerHandle } from '../helpers/worker.js';
import { chromiumMissing, ensureViewerBuilt, launchBrowser, logIn, recordResponses, screenshot, SSE_RECORDER } from './browser.js';

// Without Chromium every describe is skipped, so the file's hooks (worker, browser) never run.
const describe = vitestDescribe.skipIf(!canRun('browser tests', chromiumMissing()));

const DESKTOP = { width: 1280, height: 800 };
const NARROW = { width: 400, height: 800 };
const MIN = 60_000;

// ---- fixture data: distinct timestamps so "newest first" has exactly one right answer --------
const base = Date.now() - 3 * 24 * 3600_000;
const at = (slot: number) => new Date(base + slot * 10 * MIN).toISOString();
const TYPES = ['bugfix', 'feature', 'refactor', 'change', 'discovery', 'decision', 'security_note'] as const;
const XSS_TITLE = '<img src=x onerror="window.__xss=1">Escaping check';

const observations = [
  ...Array.from({ length: 40 }, (_, i) => ({
    content_session_id: 'sess-alpha',
    project: 'alpha',
    type: TYPES[i % TYPES.length],
    title: `Alpha observation ${i}`,
    subtitle: `Subtitle of alpha observation ${i}`,
    narrative: `Narrative ${i}: the worker keeps its queue in SQLite so events survive restarts.`,
    facts: [`Fact ${i}a`, `Fact ${i}b`],
    concepts: i % 2 ? ['how-it-works', 'pattern'] : ['gotcha'],
    files_read: [`src/alpha/file${i}.ts`],
    files_modified: i % 3 === 0 ? [`src/alpha/changed${i}.ts`] : [],
    prompt_number: 1 + (i % 5),
    model: 'claude-haiku-4-5-20251001',
    tokens: { input_tokens: 1200 + i, output_tokens: 300, cache_read_tokens: 900, cache_write_tokens: 0 },
    created_at: at(i),
  })),
  ...Array.from({ length: 3 }, (_, i) => ({
    content_session_id: 'sess-beta',
    project: 'beta',
    type: 'decision' as const,
    title: `Beta decision ${i}`,
    narrative: `Beta narrative ${i}`,
    concepts: ['trade-off'],
    created_at: at(i * 7 + 0.45),
  })),
  {
    content_session_id: 'sess-beta',
    project: 'beta',
    type: 'security_alert' as const,
    title: XSS_TITLE,
    subtitle: '<script>window.__xss=2</script>',
    narrative: 'Narrative with <b>markup</b> & "quotes" that must show as text.',
    facts: ['<iframe src="javascript:window.__xss=3"></iframe>'],
    created_at: at(25.45),
  },
];
const summaries = Array.from({ length: 3 }, (_, i) => ({
  content_session_id: 'sess-alpha',
  project: 'alpha',
  request: `Summary request ${i}`,
  investigated: 'How the queue is drained',
  learned: 'Claims expire after a timeout',
  completed: `Completed step ${i}`,
  next_steps: 'Add a viewer',
  prompt_number: i + 1,
  created_at: at(5 + 10 * i + 0.3),
}));
const prompts = Array.from({ length: 5 }, (_, i) => ({
  content_session_id: 'sess-alpha',
  project: 'alpha',
  prompt_number: i + 1,
  prompt_text: `Prompt number ${i + 1}: please look at the queue`,
  created_at: at(2 + 8 * i + 0.15),
}));

const LIVE_TITLE = 'Zanzibar cache invalidation fixed';
const DEAD_MESSAGE = 'upstream exploded: flux <capacitor> & "melted" #42';

let browser: Browser;
let worker: WorkerHandle;
let expectedKeys: string[] = [];
let restartedPid: number | null = null;

beforeAll(async () => {
  ensureViewerBuilt();
  browser = await launchBrowser();
  worker = await startWorker();
  const res = await postJson<any>(`${worker.url}/api/import`, { observations, summaries, prompts });
  expect(res.status).toBe(200);
  expect(res.body.observations.imported).toBe(observations.length);
  const items = [
    ...observations.map((o, i) => ({ key: `observation:${res.body.observations.ids[i]}`, t: Date.parse(o.created_at) })),
    ...summaries.map((s, i) => ({ key: `summary:${res.body.summaries.ids[i]}`, t: Date.parse(s.created_at) })),
    ...prompts.map((p) => ({ key: `prompt:${p.content_session_id}:${p.prompt_number}`, t: Date.parse(p.created_at) })),
  ];
  expectedKeys = items.sort((a, b) => b.t - a.t).map((i) => i.key);
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  // A worker restarted from the page is a detached process of its own.
  if (restartedPid) {
    try {
      process.kill(restartedPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await waitFor(
      async () => !(await fetch(`${worker.url}/api/health`).then((r) => r.ok, () => false)),
      15_000,
      'the restarted worker to stop',
    );
  }
});

async function openPage(viewport = DESKTOP, hash = '', w: WorkerHandle = worker): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  await logIn(context, w.url);
  const page = await context.newPage();
  await page.addInitScript(SSE_RECORDER);
  page.on('pageerror', (err) => {
    throw new Error(`page error: ${err.message}`);
  });
  await page.goto(`${w.url}/${hash}`);
  return { page, context };
}

const cardKeys = (page: Page) => page.$$eval('#feed-list .card', (els) => els.map((e) => (e as HTMLElement).dataset.key ?? ''));

describe('feed', () => {
  let page: Page;
  let context: BrowserContext;

  beforeAll(async () => {
    ({ page, context } = await openPage());
  });
  afterAll(async () => {
    await context?.close();
  });

  it('shows prompts, observations and summaries newest first, paging on scroll', async () => {
    await page.waitForSelector('#feed-list .card');
    const first = await cardKeys(page);
    expect(first.length).toBe(30);
    expect(first).toEqual(expectedKeys.slice(0, 30));
    expect(await page.locator('#feed-list .card-prompt').count()).toBeGreaterThan(0);
    expect(await page.locator('#feed-list .card-summary').count()).toBeGreaterThan(0);
    // Type badges and concept chips are rendered.
    await expect.poll(() => page.locator('#feed-list .card-observation .badge').first().textContent()).toMatch(/\w/);
    expect(await page.locator('#feed-list .chip').count()).toBeGreaterThan(0);

    // Infinite scroll: reaching the bottom loads the rest, in order, without duplicates.
    await expect
      .poll(
        async () => {
          await page.mouse.wheel(0, 20_000);
          return (await cardKeys(page)).length;
        },
        { timeout: 15_000 },
      )
      .toBe(expectedKeys.length);
    expect(await cardKeys(page)).toEqual(expectedKeys);
    expect(await page.locator('#feed-more').isHidden()).toBe(true);

    // Untrusted text is shown as text: no injected elements, no script ran.
    const xss = page.locator('#feed-list .card', { hasText: 'Escaping check' });
    await expect.poll(() => xss.locator('.card-title').textContent()).toBe(XSS_TITLE);
    expect(await page.locator('#feed-list img, #feed-list script, #feed-list iframe').count()).toBe(0);
    await xss.locator('.card-title').click();
    await page.waitForSelector('#detail[open]');
    expect(await page.locator('#detail-body h2').textContent()).toBe(XSS_TITLE);
    expect(await page.locator('#detail img, #detail script, #detail iframe').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.getElementById('detail') as HTMLDialogElement).open);

    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'feed');
  });

  it('project filter shows only that project', async () => {
    await page.selectOption('#project-select', 'beta');
    await expect.poll(async () => (await cardKeys(page)).length).toBe(4);
    const projects = await page.$$eval('#feed-list .card .project', (els) => els.map((e) => e.textContent));
    expect(new Set(projects)).toEqual(new Set(['beta']));
    await page.selectOption('#project-select', '');
    await expect.poll(async () => (await cardKeys(page)).length).toBe(30);
  });

  it('opens the full observation from the keyboard and closes it with Escape', async () => {
    const firstTitle = page.locator('#feed-list .card-observation .card-title').first();
    await firstTitle.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail[open]');
    const detail = page.locator('#detail-body');
    for (const heading of ['Narrative', 'Facts', 'Files read', 'Tokens spent']) {
      expect(await detail.locator('h3', { hasText: heading }).count()).toBe(1);
    }
    expect(await detail.textContent()).toContain('claude-haiku-4-5-20251001');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.getElementById('detail') as HTMLDialogElement).open);
    // Focus returns to the card that opened the panel.
    expect(await firstTitle.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('shows an observation posted during the session without a reload', async () => {
    await page.waitForSelector('#live[data-state="live"]');
    const res = await postJson<any>(`${worker.url}/api/import`, {
      observations: [
        {
          content_session_id: 'sess-alpha',
          project: 'alpha',
          type: 'bugfix',
          title: LIVE_TITLE,
          subtitle: 'Stale entries survived a restart',
          narrative: 'The zanzibar cache kept entries across worker restarts; they are now dropped at startup.',
          facts: ['Entries are keyed by session id'],
          concepts: ['problem-solution'],
          files_modified: ['src/cache.ts'],
          model: 'claude-haiku-4-5-20251001',
          tokens: { input_tokens: 1500, output_tokens: 220, cache_read_tokens: 0, cache_write_tokens: 0 },
        },
      ],
    });
    expect(res.body.observations.imported).toBe(1);
    const card = page.locator('#feed-list .card').first();
    await expect.poll(() => card.locator('.card-title').textContent(), { timeout: 10_000 }).toBe(LIVE_TITLE);
    expect(await card.getAttribute('data-key')).toBe(`observation:${res.body.observations.ids[0]}`);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
  });

  it('search finds it with the match highlighted', async () => {
    await page.click('a[data-view="search"]');
    await page.fill('#search-query', 'zanzibar');
    await page.keyboard.press('Enter');
    const hit = page.locator('#search-results .card-observation', { hasText: LIVE_TITLE });
    await hit.waitFor();
    const marks = await hit.locator('mark').allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.every((m) => m.toLowerCase() === 'zanzibar')).toBe(true);

    // A type filter that excludes it leaves no observation hit.
    await page.click('.filters summary');
    await page.check('#search-type-decision');
    await expect.poll(() => page.locator('#search-results .card-observation', { hasText: LIVE_TITLE }).count()).toBe(0);
    await page.uncheck('#search-type-decision');
    await hit.waitFor();

    // A date-only end is that whole local day (lib/dateRange.ts), sent as picked: an observation
    // from just now is found "until today" and not "until yesterday".
    const localDay = (offsetDays: number) => {
      const d = new Date(Date.now() + offsetDays * 86_400_000);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    const sent = page.waitForRequest((r) => r.url().includes('/api/search') && r.url().includes(`dateEnd=${localDay(0)}`));
    await page.fill('#search-to', localDay(0));
    await page.locator('#search-query').press('Enter');
    await sent;
    await hit.waitFor();
    await page.fill('#search-to', localDay(-1));
    await page.locator('#search-query').press('Enter');
    await expect.poll(() => page.locator('#search-results .card-observation', { hasText: LIVE_TITLE }).count()).toBe(0);
    await page.fill('#search-to', '');
    await page.locator('#search-query').press('Enter');
    await hit.waitFor();

    await hit.locator('.card-title').click();
    await page.waitForSelector('#detail[open]');
    expect(await page.locator('#detail mark').count()).toBeGreaterThan(1);
    await screenshot(page, 'detail');
    await page.keyboard.press('Escape');

    // Search text that looks like markup stays text, highlighted.
    await page.fill('#search-query', 'escaping check');
    await page.keyboard.press('Enter');
    const xss = page.locator('#search-results .card-observation', { hasText: 'Escaping check' });
    await xss.waitFor();
    expect(await xss.locator('.card-title').textContent()).toBe(XSS_TITLE);
    expect(await page.locator('#search-results img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('shows one progress message at a time (never "Loading…" beside "Load older") and has an icon', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    await logIn(context, worker.url);
    const p = await context.newPage();
    // Watch every DOM change from the first render on.
    await p.addInitScript(() => {
      const w = window as unknown as { __bothShown: number; __loadingSeen: number };
      w.__bothShown = 0;
      w.__loadingSeen = 0;
      const check = () => {
        const status = document.querySelector('.feed-status')?.textContent ?? '';
        const more = document.getElementById('feed-more');
        if (/Loading/.test(status)) w.__loadingSeen++;
        if (/Loading/.test(status) && more && !more.hidden) w.__bothShown++;
      };
      new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const requested: string[] = [];
    p.on('request', (r) => requested.push(new URL(r.url()).pathname));
    // Hold the second page of observations until the button has been looked at.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await p.route('**/api/observations?*', async (route) => {
      if (!route.request().url().includes('offset=0')) await gate;
      await route.continue();
    });
    await p.goto(`${worker.url}/`);
    await p.waitForSelector('#feed-list .card');
    await p.locator('#feed-more').scrollIntoViewIfNeeded();
    await expect.poll(() => p.locator('#feed-more').textContent()).toBe('Loading older…');
    expect(await p.locator('#feed-more').isDisabled()).toBe(true);
    expect(await p.locator('.feed-status').textContent()).toBe('');
    release();
    await expect.poll(async () => (await cardKeys(p)).length, { timeout: 15_000 }).toBeGreaterThan(30);
    // A project switch starts over: the status line says "Loading…", the button is not shown.
    await p.selectOption('#project-select', 'beta');
    await expect.poll(async () => (await cardKeys(p)).length).toBe(4);
    const counts = await p.evaluate(() => {
      const w = window as unknown as { __bothShown: number; __loadingSeen: number };
      return { __bothShown: w.__bothShown, __loadingSeen: w.__loadingSeen };
    });
    expect(counts.__loadingSeen).toBeGreaterThan(0);
    expect(counts.__bothShown).toBe(0);

    const icon = await p.evaluate(() => (document.querySelector('link[rel="icon"]') as HTMLLinkElement | null)?.href ?? '');
    expect(icon.startsWith('data:image/svg+xml,')).toBe(true);
    expect(requested).not.toContain('/favicon.ico');
    await context.close();
  });

  it('is readable on a narrow window and in dark mode', async () => {
    const { page: narrow, context: ctx } = await openPage(NARROW);
    await narrow.waitForSelector('#feed-list .card');
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await screenshot(narrow, 'feed-narrow');
    await narrow.click('#theme-toggle');
    expect(await narrow.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshot(narrow, 'feed-narrow-dark');
    await narrow.goto(`${worker.url}/#/settings`);
    await narrow.waitForSelector('#settings-form');
    // The choice is remembered across loads.
    expect(await narrow.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await ctx.close();
  });
});

describe('settings and credentials', () => {
  it('offers fixed choices as selects and true/false as checkboxes, from the settings schema', async () => {
    const { page, context } = await openPage(DESKTOP, '#/settings');
    await page.waitForSelector('#set-CLAUDE_MEM_PROVIDER');
    const api = await getJson<any>(`${worker.url}/api/settings`);
    expect(api.kinds.CLAUDE_MEM_PROVIDER).toEqual({ type: 'enum', values: ['claude', 'openrouter', 'gemini', 'openai'] });
    for (const [key, kind] of Object.entries<any>(api.kinds)) {
      if (api.secretKeys.includes(key)) continue;
      const el = page.locator(`#set-${key}`);
      if (kind.type === 'enum') {
        expect(await el.evaluate((e) => e.tagName), key).toBe('SELECT');
        expect(await el.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), key).toEqual(kind.values);
        expect(await el.inputValue(), key).toBe(api.settings[key]);
      } else if (kind.type === 'bool') {
        expect(await el.getAttribute('type'), key).toBe('checkbox');
        expect(await el.isChecked(), key).toBe(api.settings[key] === 'true');
      } else expect(await el.getAttribute('type'), key).toBe('text');
    }
    // The label still names the control (click on the name toggles the box).
    await page.click('label[for="set-CLAUDE_MEM_FILE_CONTEXT"]');
    expect(await page.isChecked('#set-CLAUDE_MEM_FILE_CONTEXT')).toBe(false);
    await page.selectOption('#set-CLAUDE_MEM_LOG_LEVEL', 'DEBUG');
    await page.click('#settings-save');
    await page.locator('.toast', { hasText: 'Settings saved' }).waitFor();
    const saved = (await getJson<any>(`${worker.url}/api/settings`)).settings;
    expect([saved.CLAUDE_MEM_FILE_CONTEXT, saved.CLAUDE_MEM_LOG_LEVEL]).toEqual(['false', 'DEBUG']);
    await page.reload();
    await page.waitForSelector('#set-CLAUDE_MEM_FILE_CONTEXT');
    expect(await page.isChecked('#set-CLAUDE_MEM_FILE_CONTEXT')).toBe(false);
    expect(await page.inputValue('#set-CLAUDE_MEM_LOG_LEVEL')).toBe('DEBUG');
    // Put them back for the tests that follow.
    await page.check('#set-CLAUDE_MEM_FILE_CONTEXT');
    await page.selectOption('#set-CLAUDE_MEM_LOG_LEVEL', 'INFO');
    await page.click('#settings-save');
    await expect.poll(async () => (await getJson<any>(`${worker.url}/api/settings`)).settings.CLAUDE_MEM_FILE_CONTEXT).toBe('true');
    await context.close();
  });

  it('checks a base URL before saving it, and warns about a trailing /v1', async () => {
    const { page, context } = await openPage(DESKTOP, '#/settings');
    await page.waitForSelector('#cred-ANTHROPIC_BASE_URL');
    await page.fill('#cred-ANTHROPIC_BASE_URL', 'gateway.example.com');
    await page.click('#cred-save');
    const error = page.locator('#credentials-form .banner-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toBe('ANTHROPIC_BASE_URL must be an absolute http:// or https:// URL such as https://gateway.example.com; got "gateway.example.com".');
    expect(await page.locator('#cred-ANTHROPIC_BASE_URL-state').textContent()).toBe('Not set');

    await page.fill('#cred-ANTHROPIC_BASE_URL', 'https://gateway.example.com/v1');
    await page.click('#cred-save');
    await page.locator('.toast', { hasText: 'ANTHROPIC_BASE_URL ends in /v1, but the Anthropic SDK appends /v1/messages itself' }).waitFor();
    await expect.poll(() => page.locator('#cred-ANTHROPIC_BASE_URL-state').textContent()).toBe('Set (from .env)');
    await context.close();
  });

  it('round-trips a setting, shows a validation error next to the field, and never echoes a credential', async () => {
    const SECRET = `sk-ant-planted-${Math.random().toString(36).slice(2)}-do-not-leak`;
    const { page, context } = await openPage(DESKTOP, '#/settings');
    const recorder = recordResponses(page);
    const field = '#set-CLAUDE_MEM_CONTEXT_OBSERVATIONS';
    await page.waitForSelector(field);
    expect(await page.locator('#set-CLAUDE_MEM_CONTEXT_OBSERVATIONS-help').textContent()).toContain('recent observations');

    await page.fill(field, '7');
    await page.click('#settings-save');
    await page.locator('.toast', { hasText: 'Settings saved' }).waitFor();
    await page.reload();
    await page.waitForSelector(field);
    expect(await page.inputValue(field)).toBe('7');
    expect((await getJson<any>(`${worker.url}/api/settings`)).settings.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toBe('7');

    await page.fill(field, 'lots');
    await page.click('#settings-save');
    const err = page.locator('#set-CLAUDE_MEM_CONTEXT_OBSERVATIONS-err');
    await err.waitFor({ state: 'visible' });
    expect((await err.textContent())!.length).toBeGreaterThan(5);
    expect(await page.getAttribute(field, 'aria-invalid')).toBe('true');
    // The error sits inside the field's own block, right under its input.
    expect(await err.evaluate((e) => e.closest('.field')?.getAttribute('data-key'))).toBe('CLAUDE_MEM_CONTEXT_OBSERVATIONS');
    expect((await getJson<any>(`${worker.url}/api/settings`)).settings.CLAUDE_MEM_CONTEXT_OBSERVATIONS).toBe('7');
    await screenshot(page, 'settings');

    // A restart-only setting offers the Restart button.
    await page.fill(field, '7');
    await page.fill('#set-CLAUDE_MEM_MODEL', 'claude-haiku-test-model');
    await page.click('#settings-save');
    await page.locator('#restart-box #restart-btn').waitFor();

    // Credentials: write-only.
    expect(await page.locator('#cred-ANTHROPIC_API_KEY-state').textContent()).toBe('Not set');
    await page.fill('#cred-ANTHROPIC_API_KEY', SECRET);
    await page.click('#cred-save');
    await expect.poll(() => page.locator('#cred-ANTHROPIC_API_KEY-state').textContent()).toBe('Set (from .env)');
    expect(await page.inputValue('#cred-ANTHROPIC_API_KEY')).toBe('');
    // It really was stored (so the check below is meaningful).
    expect(fs.readFileSync(path.join(worker.dataDir, '.env'), 'utf8')).toContain(SECRET);

    // Visit every view so their responses are recorded too.
    for (const view of ['feed', 'search', 'status', 'logs', 'context', 'settings']) {
      await page.click(`a[data-view="${view}"]`);
      await page.waitForLoadState('networkidle').catch(() => undefined);
    }
    await page.reload();
    await page.waitForSelector('#cred-ANTHROPIC_API_KEY-state');
    const bodies = await recorder.bodies();
    const urls = bodies.map((b) => new URL(b.url, worker.url).pathname);
    for (const p of ['/api/settings', '/api/credentials', '/api/health', '/api/logs']) expect(urls).toContain(p);
    const leaks = bodies.filter((b) => b.body.includes(SECRET) || b.body.includes(SECRET.slice(8, 30)));
    expect(leaks.map((l) => l.url)).toEqual([]);
    expect(await page.content()).not.toContain(SECRET);

    // Restart from the page: the worker comes back as a new process and the page notices.
    const oldPid = (await getJson<any>(`${worker.url}/api/health`)).pid;
    await page.fill('#set-CLAUDE_MEM_MODEL', 'claude-haiku-restart-model');
    await page.click('#settings-save');
    await page.click('#restart-box #restart-btn');
    await page.locator('.toast', { hasText: 'Worker restarted' }).waitFor({ timeout: 30_000 });
    const health = await getJson<any>(`${worker.url}/api/health`);
    expect(health.pid).not.toBe(oldPid);
    restartedPid = health.pid;
    expect(health.model).toBe('claude-haiku-restart-model');
    expect(await page.locator('#restart-box').isHidden()).toBe(true);
    await context.close();
  });
});

describe('context preview', () => {
  it('shows exactly the text SessionStart injects', async () => {
    const { page, context } = await openPage(DESKTOP, '#/context');
    await expect.poll(() => page.locator('#context-project option').count()).toBeGreaterThan(1);
    await page.selectOption('#context-project', 'alpha');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/context/inject') && r.url().includes('project=alpha')),
      page.click('#context-show'),
    ]);
    const received = await response.text();
    await expect.poll(() => page.locator('#context-text').textContent()).toBe(received);
    expect(received).toContain('Alpha observation');
    await screenshot(page, 'context');
    // And that is what the worker injects (built twice in case a minute boundary passed).
    let direct = await (await authedFetch(`${worker.url}/api/context/inject?project=alpha`)).text();
    if (direct !== received) {
      await page.click('#context-show');
      direct = await (await authedFetch(`${worker.url}/api/context/inject?project=alpha`)).text();
      await expect.poll(() => page.locator('#context-text').textContent()).toBe(direct);
    }
    await context.close();
  });
});

describe('login (issue 16)', () => {
  it('without a session the page says how to get in; the link `claude-mem open` prints logs it in, once', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${worker.url}/`);
    await page.locator('#login').waitFor();
    expect(await page.locator('#login').textContent()).toContain('claude-mem open');
    expect(await page.locator('#feed-list .card').count()).toBe(0);

    const r = runCli(['open', '--print'], worker.env);
    expect(r.code, r.stderr).toBe(0);
    const link = /(http:\/\/\S+\/auth\/login\?code=\S+)/.exec(r.stdout)?.[1];
    expect(link, r.stdout).toBeTruthy();
    await page.goto(link!);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForSelector('#feed-list .card');
    expect(await page.locator('#login').count()).toBe(0);

    // The link is spent: another browser cannot use it.
    const other = await browser.newContext();
    const res = await (await other.newPage()).goto(link!);
    expect(res?.status()).toBe(401);
    await other.close();
    await context.close();
  });
});

describe('loopback guard', () => {
  const rawGet = (headers: Record<string, string>, pathname = '/api/health') =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: worker.port, path: pathname, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses a foreign Host or Origin and serves the viewer to loopback', async () => {
    expect(await rawGet({ Host: 'evil.example' })).toBe(403);
    expect(await rawGet({ Host: `evil.example:${worker.port}` }, '/')).toBe(403);
    expect(await rawGet({ Origin: 'http://evil.example' })).toBe(403);
    expect(await rawGet({ Origin: 'null' })).toBe(403);
    expect(await rawGet({ Host: `127.0.0.1:${worker.port}`, Origin: `http://127.0.0.1:${worker.port}` })).toBe(200);
    expect(await rawGet({ Host: `localhost:${worker.port}` }, '/')).toBe(200);
    expect([400, 404]).toContain(await rawGet({}, '/assets/%2e%2e/%2e%2e/%2e%2e/package.json'));
  });
});

describe('status and dead letters', () => {
  let fake: FakeAnthropic;
  let w: WorkerHandle;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ handler: () => ({ status: 400, message: DEAD_MESSAGE }) });
    w = await startWorker({
      settings: { CLAUDE_MEM_QUEUE_MAX_ATTEMPTS: '1' }, // a 400 refuses the event: dead-lettered at once
      dotenv: `ANTHROPIC_API_KEY=x\nANTHROPIC_BASE_URL=${fake.url}\n`,
    });
  });
  afterAll(async () => {
    await w?.stop();
    await fake?.close();
  });

  it('shows a dead-lettered event with its error verbatim and retries it', async () => {
    const cwd = path.join(w.dataDir, 'proj-gamma');
    fs.mkdirSync(cwd, { recursive: true });
    await postJson(`${w.url}/api/sessions/init`, { session_id: 'sess-dead', cwd, prompt: 'Fix the build' });
    const posted = await postJson(`${w.url}/api/sessions/observations`, {
      session_id: 'sess-dead',
      cwd,
      tool_name: 'Bash',
      tool_input: { command: 'npm run build' },
      tool_response: { stdout: 'built in 3s', exit_code: 0 },
      tool_use_id: 'toolu_dead_1',
    });
    expect(posted.status).toBe(202);
    const queue = await waitFor(
      async () => {
        const q = await getJson<any>(`${w.url}/api/queue`);
        return q.deadLetters.length === 1 ? q : null;
      },
      20_000,
      'the event to be dead-lettered',
    );
    const lastError: string = queue.deadLetters[0].last_error;
    expect(lastError).toContain(DEAD_MESSAGE);

    const { page, context } = await openPage(DESKTOP, '#/status', w);
    const row = page.locator(`#dead-list li[data-id="${queue.deadLetters[0].id}"]`);
    await row.waitFor();
    expect(await row.locator('pre.error-text').textContent()).toBe(lastError);
    const health = await getJson<any>(`${w.url}/api/health`);
    expect(health.lastError?.message).toContain(DEAD_MESSAGE);
    expect(await page.locator('#last-error').textContent()).toBe(health.lastError.message);
    expect(await page.locator('#dead-count').textContent()).toBe('1');
    await screenshot(page, 'status');
    await page.setViewportSize(NARROW);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(NARROW.width);
    await screenshot(page, 'status-narrow');
    await page.setViewportSize(DESKTOP);

    fake.setHandler(() => ({ text: '<observation><type>change</type><title>Build runs green</title><narrative>npm run build succeeded.</narrative></observation>' }));
    await row.locator('button', { hasText: 'Retry' }).click();
    await page.locator('.toast', { hasText: 'queued again' }).waitFor();
    await waitFor(async () => (await getJson<any>(`${w.url}/api/observations`)).total === 1, 20_000, 'the retried event to be processed');
    await expect.poll(() => page.locator('#dead-list li').count(), { timeout: 10_000 }).toBe(0);
    // The new observation reached the feed live.
    await page.click('a[data-view="feed"]');
    await page.locator('#feed-list .card-observation', { hasText: 'Build runs green' }).waitFor();

    // The live indicator follows the connection: down while the worker is gone, live once it is back.
    await page.waitForSelector('#live[data-state="live"]');
    await w.stop();
    await page.waitForSelector('#live[data-state="reconnecting"]');
    // Keep the page off the stream while a row is stored, so it can only learn of it by catching up.
    await page.route('**/stream', (route) => route.abort());
    w = await startWorker({ dataDir: w.dataDir, port: w.port });
    const missed = await postJson<any>(`${w.url}/api/import`, {
      observations: [{ content_session_id: 'sess-dead', project: 'proj-gamma', type: 'discovery', title: 'Stored while the viewer was offline' }],
    });
    expect(missed.body.observations.imported).toBe(1);
    expect(await page.locator('#feed-list .card', { hasText: 'Stored while the viewer was offline' }).count()).toBe(0);
    await page.unroute('**/stream');
    await page.waitForSelector('#live[data-state="live"]', { timeout: 20_000 });
    await page.locator('#feed-list .card', { hasText: 'Stored while the viewer was offline' }).waitFor();
    expect(await page.locator('#feed-list .card').first().locator('.card-title').textContent()).toBe('Stored while the viewer was offline');
    await context.close();
  });

  it('shows the whole base URL, and an outage with since, next probe and the verbatim last error', async () => {
    const { page, context } = await openPage(DESKTOP, '', w);
    const real = await getJson<any>(`${w.url}/api/health`);
    expect(real.baseUrl).toBe(fake.url);
    const since = new Date(Date.now() - 5 * MIN).toISOString();
    const lastError = 'Connection error talking to 127.0.0.1:9: connect ECONNREFUSED <flux> & "capacitor"';
    // The outage is the agent's business (tested with the agent); here: that the page tells it.
    await page.route('**/api/health', async (route) => {
      const res = await route.fetch();
      const body = { ...(await res.json()), outage: { since, nextProbeAt: new Date(Date.now() + 30_000).toISOString(), probes: 2, lastError } };
      await route.fulfill({ response: res, json: body });
    });
    await page.click('a[data-view="status"]');
    const banner = page.locator('#outage');
    await banner.waitFor();
    expect(await banner.locator('p').textContent()).toMatch(new RegExp(`^Backend unavailable since ${since.replace(/\./g, '\\.')}, next probe in (2\\d|30)s \\(2 failed probes so far\\)\\.`));
    expect(await page.locator('#outage-error').textContent()).toBe(lastError);
    expect(await page.locator('#endpoint').textContent()).toBe(real.baseUrl);
    await screenshot(page, 'status-outage');
    await context.close();
  });
});
