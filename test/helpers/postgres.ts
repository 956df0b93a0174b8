// PostgreSQL for tests: the server at CLAUDE_MEM_TEST_PG_URL (CI starts one with
// .ci/start-postgres.sh), else a throwaway cluster started here on 127.0.0.1 with a temp data dir.
// No PostgreSQL at all: locally the tests that need a database are skipped with one printed line
// naming what to install; under CI=true they fail with that message (test/helpers/requirements.ts).
// A file that needs a database in beforeAll gates itself at collection with
// canRun(POSTGRES_SUITE, postgresMissing()), since a hook has no test to skip.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TestRunner } from 'vitest';
import { canRun } from './requirements.js';
import { freePort } from './worker.js';

export const POSTGRES_SUITE = 'PostgreSQL tests';

export interface PgServer {
  /** URL of the server's maintenance database (`postgres`). */
  url: string;
  stop(): Promise<void>;
}

function findBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  try {
    const versions = fs.readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin', 'pg_ctl'))) return path.join(base, v, 'bin');
  } catch {
    /* not Debian-style */
  }
  try {
    return path.dirname(execFileSync('which', ['pg_ctl'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function hasPostgresUser(): boolean {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Null when the tests can get a server; otherwise what to install, for canRun. */
export function postgresMissing(): string | null {
  if (process.env.CLAUDE_MEM_TEST_PG_URL) return null;
  const how = 'install PostgreSQL (apt-get install postgresql) or set CLAUDE_MEM_TEST_PG_URL to a server (.ci/start-postgres.sh starts one)';
  const bin = findBinDir();
  if (!bin || !fs.existsSync(path.join(bin, 'initdb'))) return how;
  // The server refuses to run as root; the throwaway cluster then runs as the postgres user.
  if (isRoot() && !hasPostgresUser()) return `create the postgres system user (useradd --system postgres) or ${how}`;
  return null;
}

/** Runs a PostgreSQL binary, as the postgres system user when we are root (the server refuses root). */
function runPg(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: 'pipe', timeout: 120_000 });
}

async function startCluster(): Promise<PgServer> {
  const bin = findBinDir();
  const missing = postgresMissing();
  if (!bin || missing) throw new Error(`PostgreSQL is required for the PostgreSQL tests: ${missing}.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-pgtest-'));
  if (isRoot()) fs.chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
  const data = path.join(dir, 'data');
  const port = await freePort();
  runPg(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale']);
  runPg(path.join(bin, 'pg_ctl'), [
    '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60',
    '-o', `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`, 'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      try {
        runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let server: Promise<PgServer> | null = null;

/** The shared test server (started once per test file when CLAUDE_MEM_TEST_PG_URL is unset). */
export function pgServer(): Promise<PgServer> {
  const given = process.env.CLAUDE_MEM_TEST_PG_URL;
  server ??= given ? Promise.resolve({ url: given, stop: async () => {} }) : startCluster();
  return server;
}

export async function stopPgServer(): Promise<void> {
  if (!server) return;
  const s = await server.catch(() => null);
  server = null;
  await s?.stop();
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Skips the running test when PostgreSQL is missing on a developer's machine (throws under CI).
 * Outside a test (beforeAll) there is nothing to skip: it throws, naming the fix.
 */
function requirePostgres(): void {
  const missing = postgresMissing();
  if (missing === null || canRun(POSTGRES_SUITE, missing)) return;
  const test = TestRunner.getCurrentTest();
  if (test) test.context.skip(`${POSTGRES_SUITE}: ${missing}`);
  throw new Error(
    `PostgreSQL is required here: ${missing}. (A file that opens its database in beforeAll should gate itself with canRun(POSTGRES_SUITE, postgresMissing()).)`,
  );
}

/** A new empty database on the test server; returns its URL. */
export async function freshDatabase(): Promise<string> {
  requirePostgres();
  const s = await pgServer();
  const name = `cm_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(s.url, (c) => c.query(`CREATE DATABASE ${name}`));
  return withDatabase(s.url, name);
}

export async function dropDatabase(url: string | undefined): Promise<void> {
  if (!url) return; // setup never got a database (e.g. the test was skipped)
  const s = await pgServer();
  const name = new URL(url).pathname.slice(1);
  if (!/^cm_test_\w+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await admin(s.url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
