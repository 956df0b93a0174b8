// Opens the SQLite database with the pragmas the worker relies on and applies migrations.
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = BetterSqlite3.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Busy timeout in ms: how long a write waits for another connection's lock. */
  busyTimeoutMs?: number;
}

/**
 * The database and its WAL/shared-memory files are the user's alone (0600), like .env and the logs:
 * created so before SQLite opens it (SQLite gives -wal and -shm the main file's mode), and narrowed
 * when an older install left them wider.
 */
function ownerOnly(file: string): void {
  if (process.platform === 'win32' || file === ':memory:' || file === '') return;
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600));
  } catch {
    return; // a missing directory or read-only place: SQLite reports it with the real reason
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      if (fs.statSync(f).mode & 0o077) fs.chmodSync(f, 0o600);
    } catch {
      /* not there */
    }
  }
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (!opts.readonly) ownerOnly(file);
  const db = new BetterSqlite3(file, { readonly: opts.readonly ?? false });
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged event survives power loss too, not only a process crash.
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  // Deleted content is overwritten with zeros, so a forgotten record's text leaves the file.
  db.pragma('secure_delete = ON');
  // 16 MB of page cache instead of 2: keyword search checks each match against the narrow filter
  // index, which then stays in memory (in-project search at 100k rows: ~40% faster).
  db.pragma('cache_size = -16384');
  cacheStatements(db);
  if (!opts.readonly) migrate(db);
  return db;
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * Memoises db.prepare by SQL text: the store prepares its statements where it uses them, and
 * re-preparing on every call cost ~15% of the worker's CPU under load. A cached statement is
 * handed back in its default mode (pluck off), as a fresh one would be.
 */
function cacheStatements(db: Db): void {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      stmt = prepare(sql);
      cache.set(sql, stmt);
    } else if (stmt.reader) {
      stmt.pluck(false);
    }
    return stmt;
  }) as Db['prepare'];
}

export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
    ran.push(m.version);
  }
  return ran;
}

export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number) ?? 0;
}
