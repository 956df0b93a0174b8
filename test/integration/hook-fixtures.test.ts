// Every real Claude Code hook payload, piped through the real hook bundles
// into a real worker (no credentials: the agent pauses, so events stay queued), produces the
// expected sessions, prompts, queued tool events and summary requests.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, getJson, HOOK_FOR_EVENT, runHook, startWorker, type HookRun, type WorkerHandle } from '../helpers/worker.js';

let w: WorkerHandle;
const runs: Array<{ name: string; event: string; run: HookRun }> = [];

/** The hook printed exactly one JSON object (one line) and exited 0. */
function expectOneJsonObject(r: HookRun, label: string): Record<string, unknown> {
  expect(r.code, `${label} exit code (stderr: ${r.stderr})`).toBe(0);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `${label} stdout: ${r.stdout}`).toHaveLength(1);
  const parsed = JSON.parse(lines[0]) as unknown;
  expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${label} prints an object`).toBe(true);
  return parsed as Record<string, unknown>;
}

beforeAll(async () => {
  w = await startWorker();
  for (const f of fixtures()) {
    const hook = HOOK_FOR_EVENT[f.event];
    if (!hook) continue; // PostToolBatch: we register no hook for it
    runs.push({ name: f.name, event: f.event, run: runHook(hook, f.payload, w.env) });
  }
}, 120_000);

afterAll(async () => {
  await w?.stop();
});

function db() {
  return new Database(path.join(w.dataDir, 'claude-mem.db'), { readonly: true, fileMustExist: true });
}

const S1 = '247065a8-ed4f-496f-b3f1-036073813b85';
const S2 = '9efab886';

describe('real hook payloads through the real hooks', () => {
  it('ran every non-batch fixture and each hook printed one JSON object and exited 0', () => {
    // 39 numbered payloads minus 9 PostToolBatch (hook-env.json is not a payload).
    expect(runs).toHaveLength(30);
    expect(new Set(runs.map((r) => r.event))).toEqual(new Set(Object.keys(HOOK_FOR_EVENT)));
    for (const r of runs) {
      const out = expectOneJsonObject(r.run, r.name);
      // The worker is up: nobody should be told memory is offline.
      expect(out.systemMessage, r.name).toBeUndefined();
      if (r.event === 'SessionStart') {
        const hso = out.hookSpecificOutput as { hookEventName?: string; additionalContext?: string } | undefined;
        expect(hso?.hookEventName, r.name).toBe('SessionStart');
        expect(typeof hso?.additionalContext, r.name).toBe('string');
      }
    }
  });

  it('creates one session per session_id, project = basename of the non-git cwd, all ended', () => {
    const d = db();
    try {
      const sessions = d.prepare('SELECT content_session_id, project, cwd, status, prompt_counter FROM sessions ORDER BY id').all() as Array<
        Record<string, unknown>
      >;
      expect(sessions).toHaveLength(2);
      expect(sessions[0]).toMatchObject({ content_session_id: S1, project: 'project', cwd: '/home/user/project', status: 'ended', prompt_counter: 2 });
      expect(String(sessions[1].content_session_id).startsWith(S2)).toBe(true);
      expect(sessions[1]).toMatchObject({ project: 'project', status: 'ended', prompt_counter: 1 });
    } finally {
      d.close();
    }
  });

  it('numbers prompts per session and serves them over /api/prompts and /api/projects', async () => {
    const { prompts } = await getJson<{ prompts: Array<Record<string, unknown>> }>(`${w.url}/api/prompts?project=project&limit=50`);
    const bySession = (id: string) =>
      prompts
        .filter((p) => String(p.content_session_id).startsWith(id))
        .map((p) => [p.prompt_number, p.prompt_text])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(bySession(S1)).toEqual([
      [1, "Rename the greeting target to 'sandbox', document greet() in docs/NOTES.md, and track the remaining work."],
      [2, 'Check the notes you wrote and tell me what is left.'],
    ]);
    expect(bySession(S2)).toEqual([[1, 'What did we work on in this project last time?']]);
    for (const p of prompts) expect(p.project).toBe('project');

    const { projects } = await getJson<{ projects: Array<{ name: string }> }>(`${w.url}/api/projects`);
    expect(projects.map((p) => p.name)).toContain('project');
  });

  it('queues the captured tool events (failure with its error, TodoWrite skipped) and one summary per Stop', async () => {
    const queue = await getJson<{ depth: number; pending: Array<Record<string, unknown>> }>(`${w.url}/api/queue`);
    const toolIds = fixtures()
      .filter((f) => f.event === 'PostToolUse' || f.event === 'PostToolUseFailure')
      .filter((f) => f.payload.tool_name !== 'TodoWrite')
      .map((f) => f.payload.tool_use_id);
    expect(toolIds).toHaveLength(8);
    const queuedTools = queue.pending.filter((p) => p.kind === 'tool');
    expect(queuedTools.map((p) => p.tool_use_id).sort()).toEqual([...toolIds].sort());
    const summaries = queue.pending.filter((p) => p.kind === 'summarize');
    expect(summaries).toHaveLength(3);
    expect(summaries.filter((s) => s.content_session_id === S1)).toHaveLength(2);
    expect(queue.depth).toBe(11);
    for (const p of queue.pending) expect(p.project).toBe('project');

    const d = db();
    try {
      const rows = d.prepare("SELECT tool_use_id, payload FROM pending_events WHERE kind = 'tool'").all() as Array<{ tool_use_id: string; payload: string }>;
      const payloads = new Map(rows.map((r) => [r.tool_use_id, JSON.parse(r.payload) as Record<string, unknown>]));
      const todo = fixtures().find((f) => f.payload.tool_name === 'TodoWrite' && f.event === 'PostToolUse')!;
      expect(payloads.has(String(todo.payload.tool_use_id))).toBe(false);
      expect(d.prepare('SELECT COUNT(*) FROM seen_tool_uses WHERE tool_use_id = ?').pluck().get(todo.payload.tool_use_id)).toBe(0);

      const failure = fixtures().find((f) => f.event === 'PostToolUseFailure')!;
      const failed = payloads.get(String(failure.payload.tool_use_id))!;
      expect(failed.tool_name).toBe('Bash');
      expect(failed.error).toBe('Exit code 1\ncat: src/missing.ts: No such file or directory');
      expect(failed.tool_response).toBeUndefined();

      const tools = [...payloads.values()].map((p) => p.tool_name).sort();
      expect(tools).toEqual(['Bash', 'Bash', 'Edit', 'Glob', 'Grep', 'Read', 'Read', 'Write']);
      for (const p of payloads.values()) expect(p.cwd).toBe('/home/user/project');
      // Turn numbers: run 1's tools belong to prompt 1, run 2's Read to prompt 2.
      const run2Read = fixtures().find((f) => f.name.startsWith('32-'))!;
      expect(payloads.get(String(run2Read.payload.tool_use_id))!.prompt_number).toBe(2);
      expect(payloads.get(String(failure.payload.tool_use_id))!.prompt_number).toBe(1);

      const stops = d.prepare("SELECT payload FROM pending_events WHERE kind = 'summarize' ORDER BY id").pluck().all() as string[];
      expect(JSON.parse(stops[0]).last_assistant_message).toBe(
        "Changed the greeting to 'sandbox', wrote docs/NOTES.md, and noted a follow-up test.",
      );
    } finally {
      d.close();
    }
  });

  it('the worker without credentials is paused and keeps every event queued', async () => {
    const h = await getJson<{ paused: string | null; queueDepth: number }>(`${w.url}/api/health`);
    expect(h.paused).toBeTruthy();
    expect(h.queueDepth).toBe(11);
  });
});
