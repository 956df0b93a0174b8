// `claude-mem open`: the viewer, logged in. The worker (asked with the token, which only this user
// can read) issues a one-time code; the link trades it for an HttpOnly, SameSite=Strict session
// cookie (worker/auth.ts). The link works once and for two minutes, so leaving it in the browser's
// history or a terminal scrollback gives nobody else a way in.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { workerBaseUrl } from './workerControl.js';

export interface OpenContext {
  api: <T>(method: string, route: string, body?: unknown, options?: Record<string, string>, timeoutMs?: number) => Promise<T>;
  /** Starts the worker when it is not running; resolves once it answers. */
  ensureWorker?: () => Promise<unknown>;
}

/** The platform's "open this URL" program; false when none could be started. */
function openInBrowser(url: string): boolean {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => {}); // no browser opener here: the printed link is enough
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function registerOpenCommand(program: Command, ctx: OpenContext): void {
  program
    .command('open')
    .description('open the viewer in your browser, logged in (prints a one-time link)')
    .option('--print', 'only print the link, do not start a browser')
    .action(async (opts: { print?: boolean }) => {
      if (ctx.ensureWorker) await ctx.ensureWorker();
      const r = await ctx.api<{ path: string; expiresInSeconds: number }>('POST', '/api/auth/code');
      const url = `${workerBaseUrl()}${r.path}`;
      console.log(`Viewer login link (works once, for ${Math.round(r.expiresInSeconds / 60)} minutes): ${url}`);
      if (!opts.print && !process.env.CI && openInBrowser(url)) console.log('Opening it in your browser…');
    });
}
