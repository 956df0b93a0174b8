// Hooks that read memory (SessionStart context, PreToolUse file context) need the worker token,
// and the token must never reach a listener that merely holds the port (another user can bind it
// while the worker is down). So these hooks first ask the listener to prove it holds the token
// (challenge–response, config/workerToken.ts) and only then send it.
import { challengeWorker, readWorkerToken } from '../../config/workerToken.js';
import { WorkerUnreachable, type WorkerTarget } from './hook-io.js';

export const baseOf = (t: WorkerTarget): string => `http://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;

export async function verifyTarget(target: WorkerTarget): Promise<'verified' | 'impostor' | 'no-token'> {
  const token = readWorkerToken();
  if (!token) return 'no-token';
  const v = await challengeWorker(baseOf(target), token, Math.max(target.timeoutMs, 1000));
  if (v === 'unreachable') throw new WorkerUnreachable('it did not answer the identity check');
  return v;
}

export function impostorMessage(target: WorkerTarget, verdict: 'impostor' | 'no-token'): string {
  const where = `${target.host}:${target.port}`;
  const line =
    verdict === 'impostor'
      ? `claude-mem: WARNING — the process listening on ${where} is NOT your claude-mem worker (it cannot prove it holds your token; another user may be squatting the port). No memory was loaded and nothing was sent to it. Find it with \`lsof -i :${target.port}\` or \`ss -ltnp\`, or move claude-mem to another port (CLAUDE_MEM_WORKER_PORT in settings.json, then \`claude-mem install\`).`
      : `claude-mem: the worker on ${where} could not be verified (no ${'worker.token'} in the data dir: an older worker may still be running). No memory was loaded. Run \`claude-mem worker restart\`.`;
  process.stderr.write(line + '\n');
  return line;
}

/** A request carrying the token: only ever made after verifyTarget() said 'verified'. */
export async function authed(target: WorkerTarget, method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; text: string }> {
  const token = readWorkerToken();
  try {
    const res = await fetch(baseOf(target) + p, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(Math.max(target.timeoutMs, 1000)),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    throw new WorkerUnreachable((err as Error).message);
  }
}

