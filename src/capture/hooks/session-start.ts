// SessionStart: make sure the worker runs (start it detached if not), then inject the project's
// memory. Bounded: if the worker is not up in time, the session starts without context.
// --context-on-first-prompt: the hook runs in the background (async) and the context comes with
// the session's first prompt instead (mcp hooks, cli/install.ts); it only starts and registers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataDir, workerLogPath } from '../../config/paths.js';
import type { Settings } from '../../config/SettingsManager.js';
import { fileSize, startFailureSince } from '../../worker/lock.js';
import { captured } from './capture.js';
import { authed, impostorMessage, verifyTarget } from './verified.js';
import { WorkerUnreachable, markOnline, request, runHook, workerTarget, type WorkerTarget } from './hook-io.js';

const START_WAIT_MS = 4000;
const CONTEXT_ON_FIRST_PROMPT = process.argv.includes('--context-on-first-prompt');

async function healthy(target: WorkerTarget): Promise<boolean> {
  try {
    return (await request(target, 'GET', '/api/health', undefined, 300)).status === 200;
  } catch {
    return false;
  }
}

/** Starts the worker detached; returns how to tell whether it has already exited (failed to start). */
function startWorker(): { exited: () => number | null; logOffset: number } {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../worker/worker-main.js');
  let exitCode: number | null = null;
  let logOffset = 0;
  try {
    ensureDataDir();
    // Where this child's own output begins: its reason for failing to start is read from there.
    logOffset = fileSize(workerLogPath());
    const log = fs.openSync(workerLogPath(), 'a');
    const child = spawn(process.execPath, [script], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, CLAUDE_MEM_SPAWNED_BY: 'session-start-hook' },
    });
    fs.closeSync(log);
    child.once('exit', (code) => (exitCode = code ?? 1));
    child.once('error', () => (exitCode = 1));
    child.unref();
  } catch (err) {
    // Data dir not writable, no such script…: the worker cannot start; tell the user (fail open).
    throw new WorkerUnreachable(`it could not be started: ${(err as Error).message}`);
  }
  return { exited: () => exitCode, logOffset };
}

async function ensureWorker(settings: Settings): Promise<WorkerTarget> {
  const target = workerTarget(settings);
  if (await healthy(target)) return target;
  const { exited, logOffset } = startWorker();
  const until = Date.now() + START_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    if (await healthy(target)) return target;
    // A worker that exited (port taken, bad settings…) will not answer: stop waiting, and say why
    // in its own words. Exit 0 means a live worker of ours holds the lock (a stale lock is taken
    // over) and may still be coming up, so keep polling for that one.
    const code = exited();
    if (code !== null && code !== 0) {
      const cause = startFailureSince(workerLogPath(), logOffset);
      throw new WorkerUnreachable(`it failed to start (exit ${code})${cause ? `: ${cause}` : ''}; see ${workerLogPath()}`);
    }
  }
  throw new WorkerUnreachable(`it did not start within ${START_WAIT_MS / 1000} s; see ${workerLogPath()}`);
}

void runHook(
  async (input, settings) => {
    if (!captured(input, settings) || typeof input.cwd !== 'string') return {};
    const target = await ensureWorker(settings);
    // Whatever answers health may not be our worker (another user can bind the port while ours is
    // down). Nothing is sent or injected until it proves it holds this user's token
    // (challenge–response: the token itself is never sent to an unproven listener).
    const verdict = await verifyTarget(target);
    if (verdict !== 'verified') return { systemMessage: impostorMessage(target, verdict) };
    markOnline();
    // The worker remembers this session's transcript and catches up earlier sessions of the
    // project in the background (worker down last time: nothing is lost). Not awaited first: the
    // context request runs alongside.
    const started = authed(target, 'POST', '/api/hooks/SessionStart', {
      session_id: input.session_id,
      cwd: input.cwd,
      transcript_path: input.transcript_path,
      source: input.source,
    }).catch(() => undefined);
    if (CONTEXT_ON_FIRST_PROMPT) {
      await started;
      return {};
    }
    const [res] = await Promise.all([authed(target, 'GET', `/api/context/inject?cwd=${encodeURIComponent(input.cwd)}`), started]);
    if (res.status !== 200 || !res.text) return {};
    return { hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: res.text } };
  },
  { deadlineMs: START_WAIT_MS + 1500 },
);
