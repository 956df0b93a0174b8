// The worker token's files and proof, as clients need them (CLI, MCP server, hooks, bench): node
// builtins only, so the hook bundles can import it. The worker side (creation, scopes, routes) is
// in worker/auth.ts. See that file for the model: a 256-bit secret in <data dir>/worker.token
// (0600), a narrower hook credential derived from it, and a challenge–response proof so a client
// never sends the secret to something that merely holds the port.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from './paths.js';
import { setKnownSecrets } from '../lib/redact.js';

export const TOKEN_FILE = 'worker.token';
export const HOOK_CREDENTIAL_FILE = 'hook.credential';

const TOKEN_RE = /^cmw_[0-9a-f]{64}$/;
const HOOK_RE = /^cmh_[0-9a-f]{64}$/;
const HOOK_DOMAIN = 'claude-mem hook credential v1';
const PROOF_DOMAIN = 'claude-mem worker proof v1\n';

export const workerTokenPath = (dir: string = dataDir()): string => path.join(dir, TOKEN_FILE);
export const hookCredentialPath = (dir: string = dataDir()): string => path.join(dir, HOOK_CREDENTIAL_FILE);

/** Equal-time comparison of two strings of any length (both hashed first, so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export function isWorkerToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

export function deriveHookCredential(token: string): string {
  return `cmh_${createHmac('sha256', token).update(HOOK_DOMAIN).digest('hex')}`;
}

/** What the worker answers to a nonce: proves it holds `token` without revealing it. */
export function proveToken(token: string, nonce: string): string {
  return createHmac('sha256', token).update(PROOF_DOMAIN + nonce).digest('hex');
}

export function verifyProof(token: string, nonce: string, proof: unknown): boolean {
  return typeof proof === 'string' && safeEqual(proof, proveToken(token, nonce));
}

/** Where a listener is challenged to prove it holds the token (a POST of `{ nonce }`). */
export const PROVE_PATH = '/api/auth/prove';

/**
 * Whether a listener's answer to the challenge `nonce` proves it holds `token`. Each client sends the
 * challenge over its own transport (fetch, a hook's node:http, the MCP server's kept-alive socket).
 */
export function provesToken(token: string, nonce: string, status: number, text: string): boolean {
  if (status !== 200) return false;
  try {
    return verifyProof(token, nonce, (JSON.parse(text) as { proof?: unknown }).proof);
  } catch {
    return false;
  }
}

/** A fresh nonce for a challenge. */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

/** The token in `dir`, or null when there is none (the worker has never started there). */
export function readWorkerToken(dir: string = dataDir()): string | null {
  let text: string;
  try {
    text = fs.readFileSync(workerTokenPath(dir), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return TOKEN_RE.test(text) ? text : null;
}

/** The hook credential in `dir`, or null. */
export function readHookCredential(dir: string = dataDir()): string | null {
  try {
    const text = fs.readFileSync(hookCredentialPath(dir), 'utf8').trim();
    return HOOK_RE.test(text) ? text : null;
  } catch {
    return null;
  }
}

function narrowMode(file: string): void {
  if (process.platform === 'win32') return;
  if (fs.statSync(file).mode & 0o077) fs.chmodSync(file, 0o600);
}

/** Write `text` to a new file that only the owner can read; false when it already exists. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * The worker's token, created on first start (0600, 256 random bits; two workers racing agree on
 * whichever file was created first). A file holding anything else is replaced, with a warning.
 * Also writes the hook credential next to it and registers both with the redactor.
 */
export function ensureWorkerToken(dir: string = dataDir()): { token: string; hookCredential: string } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = workerTokenPath(dir);
  let token = readWorkerToken(dir);
  if (!token) {
    const fresh = `cmw_${randomBytes(32).toString('hex')}`;
    if (!createExclusive(file, fresh + '\n')) {
      token = readWorkerToken(dir);
      if (!token) {
        fs.rmSync(file, { force: true });
        createExclusive(file, fresh + '\n');
        token = fresh;
      }
    } else token = fresh;
  }
  narrowMode(file);
  const hookCredential = deriveHookCredential(token);
  const hookFile = hookCredentialPath(dir);
  if (readHookCredential(dir) !== hookCredential) {
    fs.rmSync(hookFile, { force: true });
    createExclusive(hookFile, hookCredential + '\n');
  }
  narrowMode(hookFile);
  setKnownSecrets('worker-token', [token, hookCredential]);
  return { token, hookCredential };
}

/**
 * Ask whatever holds `baseUrl` to prove it holds `token`. 'verified' for a correct proof;
 * 'impostor' when something answered without one (another user's listener, an old worker);
 * 'unreachable' when nothing answered.
 */
export async function challengeWorker(baseUrl: string, token: string, timeoutMs = 2000): Promise<'verified' | 'impostor' | 'unreachable'> {
  const nonce = newNonce();
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${PROVE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return provesToken(token, nonce, res.status, await res.text()) ? 'verified' : 'impostor';
  } catch {
    return 'unreachable';
  }
}
