// Storage failures (SQLite or the file system) turned into answers a client can act on: the HTTP
// status, and a message naming the cause and the fix instead of a bare "internal error".

export interface StorageProblem {
  status: 503 | 507 | 500;
  message: string;
  /** Seconds a client may wait before retrying (transient causes only). */
  retryAfter?: number;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Describes an error from the store or the data dir, or returns null when it is something else.
 * `where` names the data dir so the fix can point at it.
 */
export function describeStorageError(err: unknown, where: string): StorageProblem | null {
  const code = codeOf(err);
  const detail = `${code}: ${err instanceof Error ? err.message : String(err)}`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return {
      status: 503,
      retryAfter: 1,
      message: `database: locked by another process (${detail}); nothing was stored — retry shortly, and close any other program holding ${where}/claude-mem.db open`,
    };
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return { status: 507, message: `storage: disk full (${detail}); nothing was stored — free space on the disk holding ${where}` };
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return { status: 503, message: `storage: the data dir is read-only (${detail}); nothing was stored — make ${where} writable and restart the worker` };
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return { status: 503, retryAfter: 5, message: `storage: I/O error (${detail}); nothing was stored — check the disk holding ${where}` };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return { status: 500, message: `database: corrupt (${detail}); stop the worker and restore ${where}/claude-mem.db from a backup or export` };
  }
  return null;
}

/**
 * Why the data dir could not be prepared, in words: a read-only or unwritable directory otherwise
 * surfaces as a puzzling `ENOENT … mkdir logs` from the recursive mkdir.
 */
export function dataDirStartError(err: unknown, dir: string, access: (p: string) => void): Error {
  let cause = codeOf(err) || (err instanceof Error ? err.message : String(err));
  try {
    access(dir);
  } catch (accessErr) {
    cause = codeOf(accessErr) || cause;
    return new Error(
      `data dir ${dir} is not writable (${cause}): make it writable, or point CLAUDE_MEM_DATA_DIR at a writable directory`,
    );
  }
  return new Error(`data dir ${dir} could not be prepared (${cause}: ${err instanceof Error ? err.message : String(err)})`);
}
