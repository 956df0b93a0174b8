// Checks the worker makes once at start about files it does not own the writing of.
import fs from 'node:fs';
import type { Logger } from '../config/logger.js';

/**
 * `.env` holds credentials: a copy readable by group/other (created by hand, or unpacked from a
 * backup) is narrowed to 0600 and the user told, like the data dir itself. The content is untouched.
 */
export function repairEnvFileMode(file: string, log: Logger): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return; // not ours to chmod; reading it reports the problem
    mode = st.mode & 0o777;
  } catch {
    return; // no .env yet
  }
  if ((mode & 0o077) === 0) return;
  try {
    fs.chmodSync(file, 0o600);
    log.warn(`${file} had mode ${mode.toString(8)} (readable by other users) and holds credentials; narrowed it to 600`);
  } catch (err) {
    log.warn(`${file} has mode ${mode.toString(8)} (readable by other users) and holds credentials; run \`chmod 600 ${file}\``, {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
