// Entry point of the worker process (`npm start`, `claude-mem worker start`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, setStderrEcho } from '../config/logger.js';
import { logsDir, workerLogPath } from '../config/paths.js';
import { START_FAILURE_PREFIX } from './lock.js';
import { startWorker } from './WorkerService.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = path.resolve(here, '../ui');
const log = createLogger('worker');

// A graceful stop (close the listener, let the agent abort, close the store) that takes longer
// than this is cut short. `claude-mem worker stop` waits a little longer, then uses SIGKILL.
const SHUTDOWN_LIMIT_MS = 4000;

/**
 * In the foreground (`npm start`, or a terminal on stderr) warnings and errors also go to stderr,
 * so the person watching sees why the agent is paused or what is wrong with settings.json. Not
 * when stderr is the log file itself (started by the CLI or a hook): that would write each twice.
 */
function inForeground(): boolean {
  try {
    if (fs.fstatSync(2).isFile()) return false;
  } catch {
    return false; // no stderr at all
  }
  return process.stderr.isTTY === true || process.env.npm_lifecycle_event === 'start';
}

async function main(): Promise<void> {
  if (inForeground()) setStderrEcho('WARN');
  let restartRequested = false;
  const result = await startWorker({
    uiDir,
    onRestartRequested: () => {
      restartRequested = true;
      process.kill(process.pid, 'SIGTERM');
    },
  });
  if (result.status === 'already-running') {
    console.log(
      `claude-mem worker already running (pid ${result.pid}${result.port ? `, http://127.0.0.1:${result.port}` : ''}); nothing to do.`,
    );
    process.exit(0);
  }
  console.log(`claude-mem worker listening on http://${result.host}:${result.port} (pid ${process.pid})`);

  // The viewer's restart button: a new worker, started once this one has let go of its files.
  const respawnIfRequested = () => {
    if (!restartRequested) return;
    fs.mkdirSync(logsDir(), { recursive: true });
    const out = fs.openSync(workerLogPath(), 'a');
    spawn(process.execPath, [fileURLToPath(import.meta.url)], { detached: true, stdio: ['ignore', out, out], env: process.env }).unref();
  };
  const shutdown = async (signal: string) => {
    log.info('Signal received', { signal });
    const force = setTimeout(() => {
      log.error(`Graceful stop took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting anyway`);
      result.releaseFiles();
      respawnIfRequested();
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    try {
      await result.stop();
    } finally {
      respawnIfRequested();
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (err) => log.error('Uncaught exception', { error: err.stack ?? err.message }));
  process.on('unhandledRejection', (err) => log.error('Unhandled rejection', { error: String(err) }));
}

main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  // Echoed already in the foreground; the prefixed line below is what starters look for.
  setStderrEcho(null);
  log.error('Worker failed to start', { error: message });
  console.error(`${START_FAILURE_PREFIX}${message}`);
  process.exit(1);
});
