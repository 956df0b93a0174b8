// Entry point of the worker process (`npm start`, `claude-mem worker start`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../shared/logger.js';
import { logsDir, workerLogPath } from '../../shared/paths.js';
import { startWorker } from './WorkerService.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = path.resolve(here, '../../ui');
const log = createLogger('worker');

async function main(): Promise<void> {
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

  const shutdown = async (signal: string) => {
    log.info('Signal received', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await result.stop();
    } finally {
      if (restartRequested) {
        fs.mkdirSync(logsDir(), { recursive: true });
        const out = fs.openSync(workerLogPath(), 'a');
        spawn(process.execPath, [fileURLToPath(import.meta.url)], { detached: true, stdio: ['ignore', out, out], env: process.env }).unref();
      }
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (err) => log.error('Uncaught exception', { error: err.stack ?? err.message }));
  process.on('unhandledRejection', (err) => log.error('Unhandled rejection', { error: String(err) }));
}

main().catch((err) => {
  log.error('Worker failed to start', { error: err instanceof Error ? err.message : String(err) });
  console.error(`claude-mem worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
