// `claude-mem backfill` over a few hundred recorded transcripts (the fixture session, copied with
// fresh session and tool ids into three projects): estimate first, nothing without --yes, progress
// shown, every tool call queued once, and a second run imports nothing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedFetch, ROOT, runCli, startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';

const SAMPLE = path.join(ROOT, 'test/fixtures/transcripts/two-turns.jsonl');
const SESSION = '247065a8-ed4f-496f-b3f1-036073813b85';
const SESSIONS = 300;
const PROJECTS = 3;
// 9 tool calls per session, TodoWrite is a skipped tool by default.
const TOOLS_PER_SESSION = 8;

let worker: WorkerHandle;
let dataDir: string;

function count(sql: string): number {
  const db = new Database(path.join(dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dataDir = tempDir('cm-backfill-');
  const config = path.join(dataDir, 'claude-config');
  const text = fs.readFileSync(SAMPLE, 'utf8');
  for (let i = 0; i < SESSIONS; i++) {
    const p = i % PROJECTS;
    const cwd = `/work/bf-proj-${p}`;
    const dir = path.join(config, 'projects', cwd.replace(/\//g, '-'));
    fs.mkdirSync(dir, { recursive: true });
    const id = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
    fs.writeFileSync(
      path.join(dir, `${id}.jsonl`),
      text.replaceAll(SESSION, id).replaceAll('toolu_', `toolu_${i}_`).replaceAll('/home/user/project', cwd),
    );
  }
  worker = await startWorker({ dataDir });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('claude-mem backfill', () => {
  it('--dry-run estimates tokens and cost and imports nothing', () => {
    const r = runCli(['backfill', '--dry-run'], worker.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${SESSIONS} session(s) to import: ${SESSIONS * 2} prompt(s), ${(SESSIONS * TOOLS_PER_SESSION).toLocaleString('en-US')} tool call(s)`);
    expect(r.stdout).toMatch(/≈ [\d,]+ input \+ [\d,]+ output tokens, ≈ \$\d+\.\d+ with claude-haiku-4-5/);
    expect(r.stdout).toContain('Dry run: nothing imported.');
    expect(count('SELECT COUNT(*) AS n FROM seen_tool_uses')).toBe(0);
  });

  it('--project narrows the import to one project', () => {
    const r = runCli(['backfill', '--dry-run', '--project', 'bf-proj-1'], worker.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${SESSIONS / PROJECTS} session(s) to import`);
  });

  it('--since rejects a date it cannot read, naming the option', () => {
    const r = runCli(['backfill', '--dry-run', '--since', 'last tuesday'], worker.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--since');
  });

  it('does not spend anything without a yes', () => {
    const r = runCli(['backfill'], worker.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--yes');
    expect(count('SELECT COUNT(*) AS n FROM seen_tool_uses')).toBe(0);
  });

  it('--yes imports every session with progress; a second run imports nothing', () => {
    const r = runCli(['backfill', '--yes'], worker.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`backfill: ${SESSIONS}/${SESSIONS} (100%)`);
    expect(r.stderr).toContain(`backfill: ${SESSIONS / 2}/${SESSIONS} (50%)`);
    expect(r.stdout).toContain(`Imported ${SESSIONS} session(s): ${SESSIONS * 2} prompt(s) and ${SESSIONS * TOOLS_PER_SESSION} tool call(s) queued`);
    expect(count('SELECT COUNT(*) AS n FROM seen_tool_uses')).toBe(SESSIONS * TOOLS_PER_SESSION);
    expect(count('SELECT COUNT(*) AS n FROM user_prompts')).toBe(SESSIONS * 2);

    const again = runCli(['backfill', '--yes'], worker.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing to import');
    expect(count('SELECT COUNT(*) AS n FROM seen_tool_uses')).toBe(SESSIONS * TOOLS_PER_SESSION);
    expect(count('SELECT COUNT(*) AS n FROM user_prompts')).toBe(SESSIONS * 2);
  }, 120_000);

  it('the worker refuses a transcript outside the Claude config dir', async () => {
    const outside = path.join(dataDir, 'elsewhere.jsonl');
    fs.copyFileSync(SAMPLE, outside);
    const res = await authedFetch(`${worker.url}/api/transcripts/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transcript_path: outside }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('transcript_path');
  });
});
