// Launch helper for the viewer tests: Debian's headless Chromium driven by playwright-core, and a
// fresh build of dist/ui when the viewer sources are newer than it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { authedFetch, ROOT } from '../helpers/worker.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Null when Chromium is there; otherwise what to install, for canRun (test/helpers/requirements.ts). */
export function chromiumMissing(): string | null {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
    return null;
  } catch {
    return process.env.CHROMIUM_PATH
      ? `CHROMIUM_PATH=${CHROMIUM_PATH} is not an executable; point it at a Chromium binary or unset it and install Debian chromium (apt-get install chromium)`
      : 'install Debian chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary';
  }
}

export async function launchBrowser(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(`Chromium is required for the browser tests: ${missing}.`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds dist/ui (scripts/build-ui.mjs) when src/ui changed since the last build. */
export function ensureViewerBuilt(): void {
  const index = path.join(ROOT, 'dist', 'ui', 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built === 0 || newestMtime(path.join(ROOT, 'src', 'ui')) > built) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-ui.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
}

/**
 * Logs a browser context into the viewer as `claude-mem open` does (issue 16): a one-time code
 * asked for with the worker token, traded at /auth/login for the session cookie, which the
 * context then carries. Done outside the page so no test sees an extra navigation. A worker
 * restart forgets sessions: log in again after one.
 */
export async function logIn(context: BrowserContext, workerUrl: string): Promise<void> {
  const codeRes = await authedFetch(`${workerUrl}/api/auth/code`, { method: 'POST' });
  if (!codeRes.ok) throw new Error(`POST /api/auth/code → ${codeRes.status}: ${await codeRes.text()}`);
  const { path: loginPath } = (await codeRes.json()) as { path: string };
  const login = await fetch(`${workerUrl}${loginPath}`, { redirect: 'manual' });
  const cookie = /^([^=;\s]+)=([^;]+)/.exec(login.headers.get('set-cookie') ?? '');
  if (login.status !== 303 || !cookie) throw new Error(`viewer login → ${login.status}: ${await login.text()}`);
  await context.addCookies([{ name: cookie[1], value: cookie[2], url: workerUrl, httpOnly: true, sameSite: 'Strict' }]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Records every response body the page receives. Streaming bodies (SSE) never end, so they are
 * captured in the page instead: an init script copies each event's data into `window.__sse`.
 */
export function recordResponses(page: Page): { bodies: () => Promise<Array<{ url: string; body: string }>> } {
  const pending: Array<Promise<{ url: string; body: string }>> = [];
  page.on('response', (res) => {
    if ((res.headers()['content-type'] ?? '').includes('text/event-stream')) return;
    pending.push(
      res
        .body()
        .then((b) => ({ url: res.url(), body: b.toString('utf8') }))
        .catch(() => ({ url: res.url(), body: '' })),
    );
  });
  return {
    bodies: async () => {
      const out = await Promise.all(pending);
      const sse = (await page.evaluate(() => (window as unknown as { __sse?: string[] }).__sse ?? [])) as string[];
      return [...out, ...sse.map((body) => ({ url: 'sse:/stream', body }))];
    },
  };
}

/** Init script for recordResponses: wraps EventSource listeners to keep a copy of each event. */
export const SSE_RECORDER = `(() => {
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, fn, opts) {
    const wrapped = function (e) {
      if (typeof e.data === 'string') (window.__sse ||= []).push(e.data);
      return typeof fn === 'function' ? fn.call(this, e) : fn.handleEvent(e);
    };
    return add.call(this, type, wrapped, opts);
  };
})();`;
