// Who is "our worker": one worker per data dir, and no signal ever reaches a stranger.
//
// worker.lock (created exclusively) and worker.pid both hold a WorkerRecord: the pid, the kernel's
// start time of that process (Linux: /proc/<pid>/stat field 22), a random nonce per worker start
// (also served as `instance` by GET /api/health) and the port. A pid alone proves nothing once the
// process is gone, because the pid can be reused by any program; pid + start time can only match
// the very process that wrote the record. Where /proc is missing we can only check the pid.
// Node builtins only: the session-start hook bundle imports this file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fsutil.js';
import { lockFilePath, pidFilePath } from '../config/paths.js';

export interface WorkerRecord {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22); null without /proc. */
  startTime: number | null;
  /** Random per worker start; GET /api/health returns it as `instance`. */
  nonce: string;
  /** The port the worker listens on (null in a lock written before the port was bound). */
  port: number | null;
}

/** `ours`: the recorded process itself is running. `dead`: it is gone. `stranger`: the pid now belongs to another process. */
export type Ownership = 'ours' | 'dead' | 'stranger';

const hasProc = (): boolean => fs.existsSync('/proc/self/stat');

/** State letter and start time of a process from /proc, or null if it does not exist (or no /proc). */
function procStat(pid: number): { state: string; startTime: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (the command name) is in parentheses and may itself contain spaces and ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const startTime = Number(rest[19]);
  return Number.isFinite(startTime) ? { state: rest[0], startTime } : null;
}

/** Start time of a process (clock ticks since boot), or null where /proc is not available. */
export function processStartTime(pid: number): number | null {
  return procStat(pid)?.startTime ?? null;
}

/** The short program name of a process (/proc/<pid>/comm), for messages; never its arguments. */
export function processName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** True if the pid is a running process. A zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  if (st) return st.state !== 'Z' && st.state !== 'X';
  return !hasProc() || fs.existsSync(`/proc/${pid}`);
}

/** Is the process a record names still that very process? */
export function ownership(rec: WorkerRecord): Ownership {
  if (!isAlive(rec.pid)) return 'dead';
  if (!hasProc()) return 'ours'; // pid-only fallback: nothing better to compare with
  const now = processStartTime(rec.pid);
  if (now === null) return 'dead';
  if (rec.startTime !== null) return now === rec.startTime ? 'ours' : 'stranger';
  // A record from an older version (pid only): trust it only if that process runs our worker script.
  try {
    return fs.readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes('worker-main') ? 'ours' : 'stranger';
  } catch {
    return 'stranger';
  }
}

export type ReadResult = { kind: 'missing' } | { kind: 'garbage'; raw: string } | { kind: 'record'; rec: WorkerRecord; raw: string };

/** Reads a lock or pid file; accepts the older `{pid, …}` shape (no start time, no nonce). */
export function readRecord(file: string): ReadResult {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'garbage', raw: '' };
  }
  try {
    const o = JSON.parse(raw) as Record<string, unknown>;
    const pid = Number(o.pid);
    if (!Number.isInteger(pid) || pid <= 0) return { kind: 'garbage', raw };
    return {
      kind: 'record',
      raw,
      rec: {
        pid,
        startTime: typeof o.startTime === 'number' ? o.startTime : null,
        nonce: typeof o.nonce === 'string' ? o.nonce : '',
        port: typeof o.port === 'number' ? o.port : null,
      },
    };
  } catch {
    return { kind: 'garbage', raw };
  }
}

/** This process's record, with a fresh nonce. */
export function selfRecord(): WorkerRecord {
  return { pid: process.pid, startTime: processStartTime(process.pid), nonce: crypto.randomBytes(12).toString('hex'), port: null };
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Creates `file` with `content` only if it does not exist; the file never exists half-written. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: fall back to O_EXCL (a reader may briefly see it empty).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, content);
      fs.closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Removes a stale lock only if it still holds exactly what we judged stale. The check and the
 * removal run under a small guard file so that two starters taking over the same stale lock can
 * never remove the fresh lock the other one just created.
 */
function removeIfUnchanged(file: string, raw: string): void {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A guard lives for microseconds; an old one was left by a starter that died holding it.
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > 5000) fs.rmSync(guard, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return;
  }
  try {
    let now: string | null = null;
    try {
      now = fs.readFileSync(file, 'utf8');
    } catch {
      /* already removed */
    }
    if (now === raw) fs.rmSync(file, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(guard, { force: true });
  }
}

export type LockResult =
  | { acquired: true; record: WorkerRecord; release: () => void; setPort: (port: number) => void }
  | { acquired: false; owner: WorkerRecord | null };

/**
 * Takes the worker lock. A lock whose owner is dead, is now another program (pid reused), or is
 * unreadable is taken over; only a lock held by a live worker of ours is respected.
 */
export function acquireWorkerLock(file = lockFilePath(), record: WorkerRecord = selfRecord()): LockResult {
  const serialize = (r: WorkerRecord) => JSON.stringify({ ...r, at: new Date().toISOString() });
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(file, serialize(record))) {
      return {
        acquired: true,
        record,
        setPort: (port) => {
          record.port = port;
          try {
            writeFileAtomic(file, serialize(record), 0o600);
          } catch {
            // Only a diagnostic (worker.pid has the port too); the lock itself still stands.
          }
        },
        release: () => {
          const cur = readRecord(file);
          if (cur.kind === 'record' && cur.rec.nonce === record.nonce) fs.rmSync(file, { force: true });
        },
      };
    }
    const cur = readRecord(file);
    if (cur.kind === 'missing') continue;
    if (cur.kind === 'record' && cur.rec.nonce !== record.nonce && ownership(cur.rec) === 'ours') return { acquired: false, owner: cur.rec };
    if (cur.kind === 'garbage') {
      // Possibly being written by the O_EXCL fallback right now: look again after a moment.
      sleepSync(50);
      const again = readRecord(file);
      if (again.kind !== 'garbage' || again.raw !== cur.raw) continue;
    }
    removeIfUnchanged(file, cur.raw);
    if (attempt > 0) sleepSync(10 * attempt);
  }
  const cur = readRecord(file);
  return { acquired: false, owner: cur.kind === 'record' ? cur.rec : null };
}

/**
 * Removes worker.pid / worker.lock when they do not name a live worker of ours (dead owner or a
 * reused pid). Returns the names of the files removed.
 */
export function removeStaleWorkerFiles(): string[] {
  const removed: string[] = [];
  for (const file of [pidFilePath(), lockFilePath()]) {
    const cur = readRecord(file);
    if (cur.kind === 'missing') continue;
    if (cur.kind === 'record' && ownership(cur.rec) === 'ours') continue;
    if (cur.kind === 'garbage') {
      sleepSync(50);
      const again = readRecord(file);
      if (again.kind !== 'garbage' || again.raw !== cur.raw) continue;
    }
    removeIfUnchanged(file, cur.raw);
    if (!fs.existsSync(file)) removed.push(path.basename(file));
  }
  return removed;
}

/** The worker that the pid and lock files name, if one of them is provably running. */
export function recordedWorker(): WorkerRecord | null {
  for (const file of [pidFilePath(), lockFilePath()]) {
    const cur = readRecord(file);
    if (cur.kind === 'record' && ownership(cur.rec) === 'ours') return cur.rec;
  }
  return null;
}

/**
 * What `claude-mem doctor` should say about worker.lock and worker.pid, given what /api/health
 * answered (null: nothing answered). Lines in doctor's format: good true ✔, 'warn' !, false ✘.
 */
export function inspectWorkerLock(health: { pid: number; instance?: string } | null): Array<{ good: boolean | 'warn'; text: string }> {
  const out: Array<{ good: boolean | 'warn'; text: string }> = [];
  for (const file of [lockFilePath(), pidFilePath()]) {
    const name = path.basename(file);
    const cur = readRecord(file);
    if (cur.kind === 'missing') {
      if (health && name === 'worker.lock') out.push({ good: 'warn', text: `${name} is missing although a worker answers (pid ${health.pid}); another data dir's worker may be using this port` });
      continue;
    }
    if (cur.kind === 'garbage') {
      out.push({ good: 'warn', text: `${name} is unreadable — harmless: the next worker start replaces it (\`claude-mem worker stop\` removes it)` });
      continue;
    }
    const { rec } = cur;
    const state = ownership(rec);
    if (state === 'dead') {
      out.push({ good: 'warn', text: `stale ${name}: pid ${rec.pid} has exited — harmless: the next start takes it over (\`claude-mem worker stop\` removes it)` });
    } else if (state === 'stranger') {
      const who = processName(rec.pid);
      out.push({
        good: 'warn',
        text: `stale ${name}: pid ${rec.pid} is now another program${who ? ` (${who})` : ''}, not the worker — harmless: claude-mem never signals it, and the next start takes the file over`,
      });
    } else if (health && health.pid === rec.pid && (!health.instance || !rec.nonce || health.instance === rec.nonce)) {
      out.push({ good: true, text: `${name}: held by the running worker (pid ${rec.pid}${rec.port ? `, port ${rec.port}` : ''})` });
    } else if (health) {
      out.push({ good: false, text: `${name} names worker pid ${rec.pid}, but pid ${health.pid} answers on the port — run \`claude-mem worker restart\`` });
    } else {
      out.push({
        good: false,
        text: `${name}: worker pid ${rec.pid} is running but does not answer /api/health${rec.port ? ` on port ${rec.port}` : ''} (hung, or still starting) — \`claude-mem worker restart\` ends it and starts a new one`,
      });
    }
  }
  return out;
}

/** Prefix of the line the worker prints to stderr when it cannot start; starters look for it. */
export const START_FAILURE_PREFIX = 'claude-mem worker failed to start: ';

/** The worker's own reason for failing to start, read from what it wrote to `logFile` after `offset`. */
export function startFailureSince(logFile: string, offset: number): string | null {
  let text: string;
  try {
    const fd = fs.openSync(logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const from = size >= offset ? offset : 0; // rotated meanwhile: read the new file whole
      const len = Math.min(size - from, 256 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, from);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith(START_FAILURE_PREFIX));
  return line ? line.slice(START_FAILURE_PREFIX.length).trim() : null;
}

/** Size of a file now (0 if missing): where a starter begins reading the child's output. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Which process listens on a TCP port, best effort (Linux: /proc/net/tcp{,6} then the socket
 * inode among /proc/<pid>/fd; only our own user's processes are visible). Null when unknown.
 */
export function portHolder(port: number): { pid: number; name: string | null } | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local "ADDR:PORT" (hex), f[3] state (0A = LISTEN), f[9] socket inode
      if (f.length < 10 || f[3] !== '0A') continue;
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port && f[9] !== '0') inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const p of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${p}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return { pid: Number(p), name: processName(Number(p)) };
    }
  }
  return null;
}
