// Ingest: durable tool events per second through POST /api/sessions/observations (a 202 means
// "committed to SQLite"), at concurrency 1 and 16, against raw better-sqlite3 single-row
// autocommit inserts with the store's pragmas (WAL, synchronous=FULL) on the same disk.
//
// Disk and CPU speed drift on a shared machine, so the two sides run in alternating blocks and each
// side's rate is its total events over its total time. Two more figures explain the gap:
//  - store SQL: the exact statements the worker runs per event (session lookup, the two-insert
//    enqueue transaction, the queue-depth count), in-process, no HTTP;
//  - HTTP floor: the same request with no tool_use_id, which the worker rejects after parsing and
//    validating the body (HTTP + JSON + zod, no database).
// The memory agent has no credentials here, so it pauses and does not compete for the database.
import path from 'node:path';
import Database from 'better-sqlite3';
import { authedFetch, getJson, loadFixture, log, nowMs, ratio, round, startWorker, summarize, tempDir } from './lib.mjs';

const QUEUE_DDL = `
CREATE TABLE sessions (id INTEGER PRIMARY KEY, content_session_id TEXT NOT NULL, platform TEXT NOT NULL DEFAULT 'claude-code',
  project TEXT NOT NULL, cwd TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active',
  prompt_counter INTEGER NOT NULL DEFAULT 0, started_at TEXT NOT NULL, ended_at TEXT, UNIQUE (content_session_id, platform));
CREATE TABLE pending_events (id INTEGER PRIMARY KEY, content_session_id TEXT NOT NULL, project TEXT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL, tool_use_id TEXT UNIQUE, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, claimed_at INTEGER, last_error TEXT, created_at TEXT NOT NULL);
CREATE INDEX pending_events_session ON pending_events (content_session_id, id);
CREATE TABLE seen_tool_uses (tool_use_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;`;

function eventBody(fixture, i) {
  return {
    session_id: `ingest-${i % 4}`,
    cwd: fixture.cwd,
    tool_name: fixture.tool_name,
    tool_input: fixture.tool_input,
    tool_response: fixture.tool_response,
    tool_use_id: `toolu_ingest_${i}`,
  };
}

function openSqlite(file) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(QUEUE_DDL);
  for (let s = 0; s < 4; s++) {
    db.prepare(`INSERT INTO sessions (content_session_id, project, cwd, started_at) VALUES (?, 'project', '/p', ?)`).run(`ingest-${s}`, new Date().toISOString());
  }
  return db;
}

/** Raw floor: one prepared autocommit INSERT per event (one commit, one fsync each). */
function rawSide(fixture) {
  const db = openSqlite(path.join(tempDir('cm-bench-raw-'), 'raw.db'));
  const ins = db.prepare(
    `INSERT INTO pending_events (content_session_id, project, kind, payload, tool_use_id, created_at) VALUES (?, 'project', 'tool', ?, ?, ?)`,
  );
  let i = 0;
  return {
    run(n) {
      for (const end = i + n; i < end; i++) {
        const b = eventBody(fixture, i);
        ins.run(b.session_id, JSON.stringify(b), b.tool_use_id, new Date().toISOString());
      }
    },
    close: () => db.close(),
  };
}

/** What the worker's store does per event, statement for statement (prepared per call, as it does). */
function storeSqlSide(fixture) {
  const db = openSqlite(path.join(tempDir('cm-bench-sql-'), 'store.db'));
  let i = 0;
  return {
    run(n) {
      for (const end = i + n; i < end; i++) {
        const b = eventBody(fixture, i);
        db.prepare('SELECT * FROM sessions WHERE content_session_id = ? AND platform = ?').get(b.session_id, 'claude-code');
        db.transaction(() => {
          db.prepare('INSERT INTO seen_tool_uses (tool_use_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(b.tool_use_id, Date.now());
          db.prepare(
            `INSERT INTO pending_events (content_session_id, project, kind, payload, tool_use_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
          ).run(b.session_id, 'project', 'tool', JSON.stringify(b), b.tool_use_id, new Date().toISOString());
        })();
        db.prepare('SELECT COUNT(*) FROM pending_events').pluck().get();
      }
    },
    close: () => db.close(),
  };
}

async function post(url, body, latencies, statuses) {
  const s = nowMs();
  const res = await authedFetch(`${url}/api/sessions/observations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  latencies.push(nowMs() - s);
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
}

/** HTTP side: `n` requests with `concurrency` in flight; `valid=false` omits tool_use_id (400). */
function httpSide(url, fixture, concurrency, startAt, valid = true) {
  let i = startAt;
  const latencies = [];
  const statuses = {};
  return {
    latencies,
    statuses,
    async run(n) {
      const end = i + n;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (i < end) {
            const b = eventBody(fixture, i++);
            if (!valid) delete b.tool_use_id;
            await post(url, JSON.stringify(b), latencies, statuses);
          }
        }),
      );
    },
  };
}

/** Alternates blocks of the given sides; returns events/s of each over its own time. */
async function alternate(sides, { blocks, blockSize }) {
  const ms = sides.map(() => 0);
  for (let b = 0; b < blocks; b++) {
    for (let s = 0; s < sides.length; s++) {
      const t0 = nowMs();
      await sides[s].run(blockSize);
      ms[s] += nowMs() - t0;
    }
  }
  const events = blocks * blockSize;
  return ms.map((m) => ({ events, ms: round(m, 1), perSec: round((events * 1000) / m, 0) }));
}

export async function benchIngest({ blocks = 10, blockSize = 150 } = {}) {
  const fixture = loadFixture('04-PostToolUse-Read.json');
  log(`ingest: ${blocks}×${blockSize} events per side, alternating raw / store SQL / HTTP floor / HTTP c1 / HTTP c16`);
  const worker = await startWorker();
  const raw = rawSide(fixture);
  const sql = storeSqlSide(fixture);
  try {
    const warm = httpSide(worker.url, fixture, 4, 1_000_000);
    await warm.run(100); // route compilation, session rows
    const floor = httpSide(worker.url, fixture, 1, 2_000_000, false);
    const c1 = httpSide(worker.url, fixture, 1, 0);
    const c16 = httpSide(worker.url, fixture, 16, 500_000);
    const [rRaw, rSql, rFloor, r1, r16] = await alternate([raw, sql, floor, c1, c16], { blocks, blockSize });
    const depth = (await getJson(`${worker.url}/api/health`)).queueDepth;
    const base = rRaw.perSec;
    return {
      name: 'ingest',
      baseline: { what: 'better-sqlite3 prepared autocommit INSERT (WAL, synchronous=FULL)', ...rRaw },
      storeSql: { what: 'the store’s per-event statements in-process, no HTTP', ...rSql, ratio: ratio(rSql.perSec, base) },
      httpFloor: { what: 'same POST rejected by validation (no DB), concurrency 1', ...rFloor, latencyMs: summarize(floor.latencies), statuses: floor.statuses },
      concurrency1: { ...r1, ratio: ratio(r1.perSec, base), latencyMs: summarize(c1.latencies), statuses: c1.statuses },
      concurrency16: { ...r16, ratio: ratio(r16.perSec, base), latencyMs: summarize(c16.latencies), statuses: c16.statuses },
      // Every accepted event is in the durable queue (the agent is paused): proves 202 = stored.
      queueDepthAfter: depth,
      expectedQueueDepth: 100 + 2 * blocks * blockSize,
      target: { ratio: 0.5 },
      meets: Math.min(r1.perSec, r16.perSec) / base >= 0.5,
    };
  } finally {
    raw.close();
    sql.close();
    await worker.stop();
  }
}
