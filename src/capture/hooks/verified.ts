// Hooks that read memory (SessionStart context, PreToolUse file context) need the worker token,
// and the token must never reach a listener that merely holds the port (another user can bind it
// while the worker is down). So these hooks first ask the listener to prove it holds the token
// (challenge–response, config/workerToken.ts) and only then send it.
import { newNonce, PROVE_PATH, provesToken, readWorkerToken } from '../../config/workerToken.js';
import { request, type WorkerTarget } from './hook-io.js';

/** The challenge of config/workerToken.ts challengeWorker, over node:http like every hook request. */
export async function verifyTarget(target: WorkerTarget): Promise<'verified' | 'impostor' | 'no-token'> {
  const token = readWorkerToken();
  if (!token) return 'no-token';
  const nonce = newNonce();
  // Rejects with WorkerUnreachable when nothing answers. No credential: the listener may not be ours.
  const res = await request(target, 'POST', PROVE_PATH, { nonce }, Math.max(target.timeoutMs, 1000), null);
  return provesToken(token, nonce, res.status, res.text) ? 'verified' : 'impostor';
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
export function authed(target: WorkerTarget, method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; text: string }> {
  return request(target, method, p, body, Math.max(target.timeoutMs, 1000), `Bearer ${readWorkerToken() ?? ''}`);
}

