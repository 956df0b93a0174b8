// Who wrote a memory, and which worker owns a session's queue in a shared (team) store.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export interface StoreIdentity {
  /** `user@hostname`: recorded on sessions, observations and summaries. */
  author: string;
  /**
   * The worker that captured a session and alone processes its events: the author plus a hash
   * of the data directory, stable across restarts, distinct for two data dirs on one machine.
   */
  owner: string;
}

function userName(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return process.env.USER || process.env.USERNAME || 'unknown';
  }
}

export function localIdentity(dataDir: string): StoreIdentity {
  const author = `${userName()}@${os.hostname() || 'localhost'}`;
  const tag = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 8);
  return { author, owner: `${author}#${tag}` };
}
