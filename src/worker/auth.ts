// Only the user gets in (issue 16). The port is open to every uid on the machine; the data dir is
// not (0700). So the worker keeps a random per-user secret in <data dir>/worker.token (0600): who
// can read it is the user. Every route but GET /api/health then needs that token (Authorization:
// Bearer), the viewer's session cookie (traded for a one-time code from `claude-mem open`), or —
// for the capture routes only — the hooks' narrower credential.
//
// Three credentials, three scopes:
// - worker token (`cmw_…`, 256 bits): everything. Read by the CLI, the MCP server, the bench.
// - hook credential (`cmh_…`): HMAC of the token; may only POST the capture endpoints, whose
//   answers carry no memory. It is what leaves the data dir in hook configs, so a process that
//   squats the port while the worker is down learns nothing that opens a read route.
// - viewer session cookie: everything the viewer does; HttpOnly, SameSite=Strict, 30 days. Only
//   its SHA-256 is stored (<data dir>/viewer-sessions.json, 0600), so a restart keeps the viewer in.
// The worker proves it holds the token without sending it: POST /api/auth/prove answers
// HMAC(token, "proof" ‖ nonce) for a client-chosen nonce (a squatter cannot).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { dataDir } from '../config/paths.js';
import { writeFileAtomic } from '../lib/fsutil.js';
import { createLogger } from '../config/logger.js';
import { challengeWorker, ensureWorkerToken, PROVE_PATH, proveToken, readWorkerToken, safeEqual, workerTokenPath } from '../config/workerToken.js';

export {
  deriveHookCredential,
  ensureWorkerToken,
  hookCredentialPath,
  newNonce,
  proveToken,
  readHookCredential,
  readWorkerToken,
  verifyProof,
  workerTokenPath,
} from '../config/workerToken.js';

export const SESSION_COOKIE = 'cm_session';

/** A one-time viewer code is good for this long, once. */
const CODE_TTL_MS = 2 * 60 * 1000;
/** A viewer session lasts this long (or until the worker restarts). */
const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** SHA-256 of each live viewer session and its expiry, so a restart keeps the viewer logged in. */
export const VIEWER_SESSIONS_FILE = 'viewer-sessions.json';
/** Live codes and sessions kept at most (a flood of `open` calls cannot grow memory). */
const MAX_LIVE = 256;

// ---- routes and scopes ---------------------------------------------------------------------

/**
 * Capture routes: they append events and answer nothing from memory. The only routes the hook
 * credential opens. (PreToolUse is not one: its answer is the file's memory.)
 */
const HOOK_ROUTES = new Set([
  'POST /api/sessions/init',
  'POST /api/sessions/observations',
  'POST /api/sessions/summarize',
  'POST /api/sessions/end',
  'POST /api/hooks/SessionStart',
  'POST /api/hooks/UserPromptSubmit',
  'POST /api/hooks/PostToolUse',
  'POST /api/hooks/PostToolUseFailure',
  'POST /api/hooks/Stop',
  'POST /api/hooks/SessionEnd',
]);

export function isHookRoute(method: string, p: string): boolean {
  return HOOK_ROUTES.has(`${method.toUpperCase()} ${p}`);
}

/**
 * Open to anyone: health (trimmed for strangers), the proof and the code exchange (both hold
 * nothing), and the viewer's static files (the page itself holds no memory; its API calls do).
 */
export function isPublicRoute(method: string, p: string): boolean {
  const m = method.toUpperCase();
  if (m === 'GET' && (p === '/api/health' || p === '/auth/login')) return true;
  if (m === 'POST' && p === PROVE_PATH) return true;
  return (m === 'GET' || m === 'HEAD') && !p.startsWith('/api/') && p !== '/stream' && !p.startsWith('/auth/');
}

export type Scope = 'full' | 'hook' | 'none';

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Expiring single-use strings (codes) or reusable ones (sessions), bounded in number. Only their
 * SHA-256 is kept, so the sessions file (below) holds nothing a browser could present.
 */
class Ticket {
  private readonly live = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    /** Where live entries are kept across restarts (0600); none: memory only. */
    private readonly file?: string,
  ) {
    if (file) this.load(file);
  }
  issue(): string {
    const now = Date.now();
    for (const [k, until] of this.live) if (until <= now) this.live.delete(k);
    while (this.live.size >= MAX_LIVE) this.live.delete(this.live.keys().next().value as string);
    const value = randomBytes(32).toString('base64url');
    this.live.set(digest(value), now + this.ttlMs);
    this.save();
    return value;
  }
  /** Checks every live entry with safeEqual, so timing says nothing about which one nearly matched. */
  find(candidate: string): string | null {
    const h = digest(candidate);
    let hit: string | null = null;
    const now = Date.now();
    for (const [k, until] of this.live) if (safeEqual(h, k) && until > now) hit = k;
    return hit;
  }
  take(candidate: string): boolean {
    const hit = this.find(candidate);
    if (hit) this.drop(hit);
    return hit !== null;
  }
  /** Drops an entry by the key find() returned. */
  drop(key: string): void {
    if (this.live.delete(key)) this.save();
  }
  private load(file: string): void {
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      const now = Date.now();
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        for (const [k, until] of Object.entries(data)) {
          if (/^[0-9a-f]{64}$/.test(k) && typeof until === 'number' && until > now && this.live.size < MAX_LIVE) this.live.set(k, until);
        }
      }
    } catch {
      // Missing or unreadable: start with no sessions (the viewer logs in again).
    }
  }
  private save(): void {
    if (!this.file) return;
    try {
      writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.live)), 0o600);
    } catch (err) {
      createLogger('auth').warn(`Viewer sessions not saved (they end when the worker restarts): ${(err as Error).message}`);
    }
  }
}

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export class AuthState {
  readonly token: string;
  readonly hookCredential: string;
  private readonly codes = new Ticket(CODE_TTL_MS);
  private readonly sessions: Ticket;

  constructor(readonly dir: string) {
    ({ token: this.token, hookCredential: this.hookCredential } = ensureWorkerToken(dir));
    // Sessions outlive a restart (the viewer's own Restart button must not log it out).
    this.sessions = new Ticket(SESSION_TTL_MS, path.join(dir, VIEWER_SESSIONS_FILE));
  }

  /** The scope a request's credentials grant. Every candidate is compared in equal time. */
  scopeOf(authorization: string | undefined, cookie: string | undefined): Scope {
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1] ?? '';
    const isToken = safeEqual(bearer, this.token);
    const isHook = safeEqual(bearer, this.hookCredential);
    if (isToken) return 'full';
    const session = cookieValue(cookie, SESSION_COOKIE);
    if (session && this.sessions.find(session)) return 'full';
    return isHook ? 'hook' : 'none';
  }

  issueCode(): string {
    return this.codes.issue();
  }

  /** Trades a one-time code for a session id (null: unknown, used or expired). */
  redeemCode(code: string): string | null {
    return this.codes.take(code) ? this.sessions.issue() : null;
  }

  endSession(cookie: string | undefined): void {
    const session = cookieValue(cookie, SESSION_COOKIE);
    const hit = session ? this.sessions.find(session) : null;
    if (hit) this.sessions.drop(hit);
  }
}

/** The 401 body: what is missing and how to get in. */
export function unauthorizedMessage(dir: string): string {
  return (
    'unauthorized: this claude-mem worker answers only its user. Programs: send `Authorization: Bearer <token>` ' +
    `with the token from ${workerTokenPath(dir)} (readable only by you). Browser: run \`claude-mem open\` and use the link it prints.`
  );
}

const SCOPE_KEY = 'claudeMemScope';

/** The scope the guard granted this request (routes that answer differently per scope read it). */
export function requestScope(c: Context): Scope {
  return (c.get(SCOPE_KEY as never) as Scope | undefined) ?? 'full'; // no guard installed: no auth
}

/** Middleware: public routes pass; hook routes need the hook credential or better; the rest need full. */
export function authGuard(state: AuthState): MiddlewareHandler {
  return async (c, next) => {
    const scope = state.scopeOf(c.req.header('authorization'), c.req.header('cookie'));
    c.set(SCOPE_KEY as never, scope as never);
    const method = c.req.method;
    const p = c.req.path;
    if (scope === 'full' || isPublicRoute(method, p) || (scope === 'hook' && isHookRoute(method, p))) {
      return next();
    }
    c.header('WWW-Authenticate', 'Bearer realm="claude-mem"');
    const message =
      scope === 'hook'
        ? `forbidden: the hook credential only records events (POST capture routes); ${method} ${p} needs the worker token`
        : unauthorizedMessage(state.dir);
    return c.json({ error: message }, scope === 'hook' ? 403 : 401);
  };
}

/** POST /api/auth/prove, POST /api/auth/code, GET /auth/login, POST /api/auth/logout. */
export function authRoutes(state: AuthState): Hono {
  const app = new Hono();
  const log = createLogger('auth');

  app.post(PROVE_PATH, async (c) => {
    let nonce: unknown;
    try {
      nonce = ((await c.req.json()) as { nonce?: unknown }).nonce;
    } catch {
      nonce = undefined;
    }
    if (typeof nonce !== 'string' || !/^[0-9a-f]{32,128}$/.test(nonce)) {
      return c.json({ error: 'nonce: send {"nonce": "<32 to 128 hex characters>"} (a fresh random value per check)' }, 400);
    }
    return c.json({ proof: proveToken(state.token, nonce) });
  });

  app.post('/api/auth/code', (c) => {
    const code = state.issueCode();
    log.info('Issued a one-time viewer code');
    return c.json({ code, path: `/auth/login?code=${encodeURIComponent(code)}`, expiresInSeconds: CODE_TTL_MS / 1000 });
  });

  app.get('/auth/login', (c) => {
    const session = state.redeemCode(c.req.query('code') ?? '');
    if (!session) {
      log.warn('Refused a viewer login: unknown, used or expired code');
      return c.html(
        '<!doctype html><meta charset="utf-8"><title>claude-mem</title><p>This login link is unknown, already used or expired. Run <code>claude-mem open</code> for a new one.</p>',
        401,
      );
    }
    log.info('Viewer logged in with a one-time code');
    c.header('Set-Cookie', `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`);
    c.header('Cache-Control', 'no-store');
    return c.redirect('/', 303);
  });

  app.post('/api/auth/logout', (c) => {
    state.endSession(c.req.header('cookie'));
    c.header('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    return c.json({ status: 'logged out' });
  });

  return app;
}

/** True when whatever holds `baseUrl` proves it holds the token in `dir`. */
export async function verifyWorker(baseUrl: string, dir: string = dataDir(), timeoutMs = 2000): Promise<boolean> {
  const token = readWorkerToken(dir);
  return token !== null && (await challengeWorker(baseUrl, token, timeoutMs)) === 'verified';
}
