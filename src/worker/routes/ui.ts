// Serves the built web viewer. Paths are resolved inside uiDir only (no traversal); hashed
// assets are cached for long, index.html never.
import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import type { WorkerDeps } from '../WorkerDeps.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

export function resolveInside(root: string, requestPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  return full === root || full.startsWith(root + path.sep) ? full : null;
}

export function uiRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  const root = path.resolve(deps.uiDir);

  const send = (file: string, immutable: boolean) => {
    const body = fs.readFileSync(file);
    return new Response(body, {
      headers: {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  };

  app.get('/*', (c) => {
    const reqPath = c.req.path;
    if (reqPath.startsWith('/api/') || reqPath === '/stream') return c.json({ error: `no route ${reqPath}` }, 404);
    const index = path.join(root, 'index.html');
    if (reqPath === '/' || reqPath === '/index.html') {
      return fs.existsSync(index)
        ? send(index, false)
        : c.text('The viewer is not built. Run `npm run build`.', 503);
    }
    const file = resolveInside(root, reqPath);
    if (!file) return c.json({ error: 'invalid path' }, 400);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return c.json({ error: 'not found' }, 404);
    return send(file, /\.[0-9a-z]{8,}\.(js|css)$/i.test(file) || reqPath.startsWith('/assets/'));
  });
  return app;
}
