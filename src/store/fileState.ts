// Is an observation still about the code as it is? At observation time the memory agent records a
// content hash of each file it names that lies inside the project; on the way out (context, search,
// get_observations) each row is checked against the files now on disk. Hashing is lazy and cached
// by (path, mtime, size), so checking a page of results costs a stat per file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** What was recorded: the project root and, per absolute path inside it, a sha256 (null: absent then). */
export interface FileHashes {
  root: string;
  files: Record<string, string | null>;
}

/** Files larger than this are not hashed (a hash of a huge generated file says little, and costs). */
const MAX_HASH_BYTES = 8 * 1024 * 1024;
/** Bounded cache: path → the hash for one (mtime, size). */
const CACHE_MAX = 5000;
const cache = new Map<string, { mtimeMs: number; size: number; hash: string | null }>();

/** Current hash of a file: null when it is gone (or not a regular file); 'large' past the cap. */
export function currentHash(file: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.hash;
  let hash: string | null;
  if (st.size > MAX_HASH_BYTES) hash = `large:${st.size}:${st.mtimeMs}`;
  else {
    try {
      hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    } catch {
      hash = null;
    }
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash });
  return hash;
}

const inside = (root: string, file: string): boolean => {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * Hashes of the given files that lie inside `root` (the project's git root, or the session cwd
 * outside git). Relative paths are taken against `cwd`. Null when there is nothing to record.
 */
export function captureFileHashes(files: string[], root: string | null, cwd: string): FileHashes | null {
  if (!root || !path.isAbsolute(root)) return null;
  const out: Record<string, string | null> = {};
  let n = 0;
  for (const f of files) {
    if (typeof f !== 'string' || f === '' || n >= 100) continue;
    const abs = path.isAbsolute(f) ? path.normalize(f) : path.resolve(cwd || root, f);
    if (!inside(root, abs) || abs in out) continue;
    out[abs] = currentHash(abs);
    n++;
  }
  return n ? { root, files: out } : null;
}

export function parseFileHashes(v: unknown): FileHashes | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const p = JSON.parse(v) as FileHashes;
    return p && typeof p.root === 'string' && p.files && typeof p.files === 'object' ? p : null;
  } catch {
    return null;
  }
}

/**
 * Files (as paths relative to the root, for display) that changed or went away since the
 * observation. Empty when nothing changed — and when the project root is not on this machine (a
 * teammate's observation in a shared store): then nothing can be judged.
 */
export function changedFiles(h: FileHashes | null): string[] {
  if (!h) return [];
  try {
    if (!fs.statSync(h.root).isDirectory()) return [];
  } catch {
    return [];
  }
  const changed: string[] = [];
  for (const [file, then] of Object.entries(h.files)) {
    if (currentHash(file) !== then) changed.push(path.relative(h.root, file) || file);
  }
  return changed;
}

/**
 * Set (not enumerable, never serialised) on observations whose file hashes were recorded, so that
 * callers can tell "unchanged" from "not tracked" (rows recorded before hashing existed).
 */
export const TRACKED_FILES: unique symbol = Symbol('claude-mem.trackedFiles');

export function trackedFiles(o: object): string[] | null {
  return (o as { [TRACKED_FILES]?: string[] })[TRACKED_FILES] ?? null;
}

/** The words Claude sees: "src/app.ts changed since", "a.ts, b.ts changed since". */
export function staleNote(files: string[]): string {
  if (files.length === 0) return '';
  const shown = files.slice(0, 3).join(', ');
  return `${shown}${files.length > 3 ? ` and ${files.length - 3} more` : ''} changed since`;
}
