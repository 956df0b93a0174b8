// Owner-only files (issue 16, point 7): the database, its WAL and shared-memory files, and the logs
// are 0600 whether created now or left wider by an older install.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/sqlite/Database.js';
import { createLogger } from '../../src/config/logger.js';
import { workerErrorLogPath, workerLogPath } from '../../src/config/paths.js';

const posix = process.platform !== 'win32';
const mode = (p: string) => fs.statSync(p).mode & 0o777;
let dir: string;
const saved = process.env.CLAUDE_MEM_DATA_DIR;
const savedUmask = posix ? process.umask(0o022) : 0;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-modes-'));
  process.env.CLAUDE_MEM_DATA_DIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
  else process.env.CLAUDE_MEM_DATA_DIR = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});
process.on('exit', () => posix && process.umask(savedUmask));

describe.skipIf(!posix)('owner-only modes', () => {
  it('a new database, its WAL and shm are 0600 under a 022 umask', () => {
    const file = path.join(dir, 'claude-mem.db');
    const db = openDatabase(file);
    db.exec('CREATE TABLE IF NOT EXISTS t (x TEXT); INSERT INTO t VALUES (\'a\')');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f), f).toBe(0o600);
    db.close();
  });

  it('an existing database left 0644 is narrowed on open', () => {
    const file = path.join(dir, 'old.db');
    openDatabase(file).close();
    fs.chmodSync(file, 0o644);
    const db = openDatabase(file);
    db.exec('CREATE TABLE IF NOT EXISTS t (x TEXT); INSERT INTO t VALUES (\'a\')');
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    db.close();
  });

  it('logs: created 0600, and a log left 0644 is narrowed on the first write', () => {
    fs.mkdirSync(path.dirname(workerLogPath()), { recursive: true });
    fs.writeFileSync(workerErrorLogPath(), 'old line\n', { mode: 0o644 });
    fs.chmodSync(workerErrorLogPath(), 0o644);
    createLogger('modes').error('boom');
    expect(mode(workerLogPath())).toBe(0o600);
    expect(mode(workerErrorLogPath())).toBe(0o600);
  });
});
