// PostgreSQL for tests: the server at CLAUDE_MEM_TEST_PG_URL (CI starts one with
// .ci/start-postgres.sh), else a throwaway cluster started here on 127.0.0.1 with a temp data dir.
// No PostgreSQL at all is a test failure with the fix in the message, never a silent skip.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './worker.js';

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

/** Runs a PostgreSQL binary, as the postgres system user when we are root (the server refuses root). */
function runPg(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: 'pipe', timeout: 120_000 });
}

async function startCluster(): Promise<PgServer> {
  const bin = findBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL is required for the PostgreSQL store tests: install it (apt-get install postgresql) or set ' +
        'CLAUDE_MEM_TEST_PG_URL to a server URL (.ci/start-postgres.sh prints one).',
    );
  }
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

/** A new empty database on the test server; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const s = await pgServer();
  const name = `cm_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(s.url, (c) => c.query(`CREATE DATABASE ${name}`));
  return withDatabase(s.url, name);
}

export async function dropDatabase(url: string): Promise<void> {
  const s = await pgServer();
  const name = new URL(url).pathname.slice(1);
  if (!/^cm_test_\w+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await admin(s.url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
