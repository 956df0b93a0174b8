// One worker per data dir: an exclusive lock file (O_EXCL) holding the owner's pid. A lock
// left by a dead process is taken over; a live owner means "already running".
import fs from 'node:fs';
import { lockFilePath } from '../../shared/paths.js';

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number(JSON.parse(fs.readFileSync(file, 'utf8')).pid);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

export type LockResult = { acquired: true; release: () => void } | { acquired: false; ownerPid: number };

export function acquireWorkerLock(file = lockFilePath()): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      fs.closeSync(fd);
      return {
        acquired: true,
        release: () => {
          if (readOwner(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner !== null && owner !== process.pid && isAlive(owner)) return { acquired: false, ownerPid: owner };
      // A lock being written right now has no pid yet: give its writer a moment.
      if (owner === null && attempt === 0) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      // Stale: its owner died. Only remove it if it still names the same dead owner.
      if (readOwner(file) === owner) fs.rmSync(file, { force: true });
    }
  }
  const owner = readOwner(file);
  return { acquired: false, ownerPid: owner ?? -1 };
}
