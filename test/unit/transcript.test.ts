// The transcript reader (capture/transcript.ts) and the reconciler (capture/reconcile.ts): real
// Claude Code 2.1.332 transcript lines map to the same events the hooks post, reads are
// incremental and idempotent, bad lines are counted, and nothing outside the config dir is read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTranscript, safeTranscriptPath, type TranscriptEvent, type TranscriptToolEvent } from '../../src/capture/transcript.js';
import { TranscriptReconciler } from '../../src/capture/reconcile.js';
import { TranscriptState } from '../../src/capture/transcriptState.js';
import { SessionService } from '../../src/capture/SessionService.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite/SqliteStore.js';
import { EventBus } from '../../src/lib/EventBus.js';
import { SETTINGS_DEFAULTS, type Settings } from '../../src/config/SettingsManager.js';

const ROOT = path.resolve(__dirname, '../..');
const SAMPLE = path.join(ROOT, 'test/fixtures/transcripts/two-turns.jsonl');
const HOOKS = path.join(ROOT, 'test/fixtures/claude-code-hooks');

async function readAll(file: string, offset = 0) {
  const events: TranscriptEvent[] = [];
  const res = await readTranscript(file, offset, (e) => void events.push(e));
  return { events, res };
}

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-transcript-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('transcript reader', () => {
  it('maps a real transcript to the prompts and tool events the hooks posted', async () => {
    const { events, res } = await readAll(SAMPLE);
    expect(res.malformed).toBe(0);
    expect(res.offset).toBe(fs.statSync(SAMPLE).size);
    const prompts = events.filter((e) => e.kind === 'prompt');
    expect(prompts.map((p) => p.prompt)).toEqual([
      "Rename the greeting target to 'sandbox', document greet() in docs/NOTES.md, and track the remaining work.",
      'Check the notes you wrote and tell me what is left.',
    ]);
    // Every PostToolUse / PostToolUseFailure payload captured from the hooks has its twin here.
    const tools = events.filter((e): e is TranscriptToolEvent => e.kind === 'tool');
    const payloads = fs
      .readdirSync(HOOKS)
      .filter((f) => /PostToolUse/.test(f))
      .map((f) => JSON.parse(fs.readFileSync(path.join(HOOKS, f), 'utf8')) as Record<string, unknown>);
    expect(tools.map((t) => t.toolUseId)).toEqual(payloads.map((p) => p.tool_use_id));
    for (const p of payloads) {
      const t = tools.find((x) => x.toolUseId === p.tool_use_id)!;
      expect(t.toolName).toBe(p.tool_name);
      expect(t.toolInput).toEqual(p.tool_input);
      expect(t.sessionId).toBe(p.session_id);
      expect(t.cwd).toBe(p.cwd);
      if (p.hook_event_name === 'PostToolUseFailure') {
        expect(t.error).toBe(p.error);
        expect(t.toolResponse).toBeUndefined();
      } else {
        expect(t.toolResponse).toEqual(p.tool_response);
      }
    }
    // The prompt key is Claude Code's prompt id, the one UserPromptSubmit carries.
    const submitted = JSON.parse(fs.readFileSync(path.join(HOOKS, '02-UserPromptSubmit.json'), 'utf8')) as { prompt_id: string };
    expect(prompts[0].kind === 'prompt' && prompts[0].promptKey).toBe(submitted.prompt_id);
  });

  it('reads incrementally: split anywhere, the two reads give every event exactly once', async () => {
    const full = (await readAll(SAMPLE)).events;
    const text = fs.readFileSync(SAMPLE);
    const file = path.join(dir, 't.jsonl');
    for (const cut of [1000, Math.floor(text.length / 3), Math.floor(text.length / 2), text.length - 10]) {
      fs.writeFileSync(file, text.subarray(0, cut));
      const first = await readAll(file);
      fs.writeFileSync(file, text);
      const second = await readAll(file, first.res.offset);
      const firstTools = new Set(first.events.filter((e) => e.kind === 'tool').map((e) => (e as TranscriptToolEvent).toolUseId));
      // A re-read from a pinned offset may repeat a prompt (deduplicated by key), never a tool call.
      const secondTools = second.events.filter((e) => e.kind === 'tool').map((e) => (e as TranscriptToolEvent).toolUseId);
      expect(secondTools.filter((id) => firstTools.has(id))).toEqual([]);
      const keys = (es: TranscriptEvent[]) => es.map((e) => (e.kind === 'tool' ? e.toolUseId : e.promptKey));
      expect(new Set([...keys(first.events), ...keys(second.events)])).toEqual(new Set(keys(full)));
      expect(second.res.offset).toBe(text.length);
    }
  });

  it('leaves a line still being written, and a tool call still waiting for its result, for the next read', async () => {
    const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n');
    const useIdx = lines.findIndex((l) => l.includes('"tool_use"') && l.includes('"Write"'));
    const file = path.join(dir, 't.jsonl');
    // Up to the Write tool_use, plus half of its result line.
    const head = lines.slice(0, useIdx + 1).join('\n') + '\n';
    fs.writeFileSync(file, head + lines[useIdx + 1].slice(0, 50));
    const { events, res } = await readAll(file);
    expect(events.filter((e) => e.kind === 'tool').map((e) => (e as TranscriptToolEvent).toolName)).toEqual(['Read']);
    expect(res.offset).toBe(Buffer.byteLength(lines.slice(0, useIdx).join('\n') + '\n'));
  });

  it('skips and counts malformed lines', async () => {
    const text = fs.readFileSync(SAMPLE, 'utf8').split('\n');
    text.splice(5, 0, '{"type":"user", broken', 'not json at all', '[1,2]');
    const file = path.join(dir, 't.jsonl');
    fs.writeFileSync(file, text.join('\n'));
    const { events, res } = await readAll(file);
    expect(res.malformed).toBe(3);
    expect(events.filter((e) => e.kind === 'tool')).toHaveLength(9);
  });

  it('streams a large transcript (about 40 MB, 20,000 tool calls) in bounded memory', async () => {
    const file = path.join(dir, 'big.jsonl');
    const fd = fs.openSync(file, 'w');
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 20_000; i++) {
      const id = `toolu_${i}`;
      fs.writeSync(fd, JSON.stringify({ type: 'assistant', sessionId: 's1', cwd: '/p', message: { content: [{ type: 'tool_use', id, name: 'Bash', input: { command: `echo ${i}` } }] } }) + '\n');
      fs.writeSync(fd, JSON.stringify({ type: 'user', sessionId: 's1', cwd: '/p', message: { content: [{ type: 'tool_result', tool_use_id: id, content: filler }] }, toolUseResult: { stdout: filler } }) + '\n');
    }
    fs.closeSync(fd);
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    const res = await readTranscript(file, 0, () => {
      count++;
      if (count % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    });
    expect(count).toBe(20_000);
    expect(res.offset).toBe(fs.statSync(file).size);
    expect(fs.statSync(file).size).toBeGreaterThan(40_000_000);
    expect(peak).toBeLessThan(30_000_000);
  });

  it('marks the tool calls of an entirely private turn', async () => {
    const file = path.join(dir, 't.jsonl');
    const row = (o: object) => JSON.stringify({ sessionId: 's1', cwd: '/p', ...o });
    fs.writeFileSync(
      file,
      [
        row({ type: 'user', promptId: 'p1', message: { content: '<private>my secret plan</private>' } }),
        row({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 'a', name: 'Bash', input: { command: 'ls' } }] } }),
        row({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'a', content: 'x' }] } }),
        row({ type: 'user', promptId: 'p2', message: { content: [{ type: 'text', text: 'public one' }] } }),
        row({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 'b', name: 'Bash', input: { command: 'pwd' } }] } }),
        row({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'b', content: 'y', is_error: true }] } }),
        row({ type: 'user', isMeta: true, message: { content: 'meta text' } }),
        row({ type: 'user', promptId: 'p3', message: { content: '<command-name>/clear</command-name>' } }),
      ].join('\n') + '\n',
    );
    const { events } = await readAll(file);
    expect(events.map((e) => (e.kind === 'tool' ? `${e.toolUseId}:${e.privateTurn}:${e.error ?? ''}` : e.promptKey))).toEqual([
      'p1',
      'a:true:',
      'p2',
      'b:false:y',
    ]);
  });
});

describe('transcript path check', () => {
  it('accepts only real files under <config dir>/projects', () => {
    const config = path.join(dir, 'claude');
    const projects = path.join(config, 'projects', '-p');
    fs.mkdirSync(projects, { recursive: true });
    const good = path.join(projects, 's.jsonl');
    fs.writeFileSync(good, '');
    const outside = path.join(dir, 'outside.jsonl');
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(projects, 'link.jsonl'));
    expect(safeTranscriptPath(good, config)).toBe(good);
    expect(safeTranscriptPath(outside, config)).toBeNull();
    expect(safeTranscriptPath(path.join(projects, 'link.jsonl'), config)).toBeNull();
    expect(safeTranscriptPath(path.join(projects, '..', '..', '..', 'outside.jsonl'), config)).toBeNull();
    expect(safeTranscriptPath('/etc/passwd', config)).toBeNull();
    expect(safeTranscriptPath('relative/s.jsonl', config)).toBeNull();
    expect(safeTranscriptPath(path.join(projects, 'missing.jsonl'), config)).toBeNull();
    expect(safeTranscriptPath(42, config)).toBeNull();
  });
});

describe('reconciler', () => {
  let store: SqliteStore;
  let sessions: SessionService;
  let config: string;
  let file: string;
  const settings: Partial<Settings> = {};
  beforeEach(() => {
    store = openStore(path.join(dir, 'claude-mem.db'));
    sessions = new SessionService(store, new EventBus(), () => ({ ...SETTINGS_DEFAULTS, ...settings }) as Settings, new TranscriptState(path.join(dir, 'transcripts.json')));
    config = path.join(dir, 'claude');
    fs.mkdirSync(path.join(config, 'projects', '-home-user-project'), { recursive: true });
    file = path.join(config, 'projects', '-home-user-project', '247065a8-ed4f-496f-b3f1-036073813b85.jsonl');
    fs.copyFileSync(SAMPLE, file);
  });
  afterEach(() => store.close());

  it('enqueues each tool call once and each prompt once, across repeated reads and the hook path', async () => {
    // The hook already delivered the first prompt and the Read.
    const hookPrompt = JSON.parse(fs.readFileSync(path.join(HOOKS, '02-UserPromptSubmit.json'), 'utf8'));
    await sessions.initSession({ sessionId: hookPrompt.session_id, cwd: hookPrompt.cwd, prompt: hookPrompt.prompt, promptKey: hookPrompt.prompt_id });
    const read = JSON.parse(fs.readFileSync(path.join(HOOKS, '04-PostToolUse-Read.json'), 'utf8'));
    await sessions.recordToolEvent({ sessionId: read.session_id, cwd: read.cwd, toolName: 'Read', toolInput: read.tool_input, toolResponse: read.tool_response, toolUseId: read.tool_use_id });

    const rec = new TranscriptReconciler(sessions, () => undefined, () => config);
    const first = await rec.reconcile(file);
    // 9 tool calls: the Read was delivered, TodoWrite is a skipped tool by default.
    expect(first).toMatchObject({ prompts: 1, tools: 7, duplicates: 2, skipped: 1, malformed: 0 });
    const again = await rec.reconcile(file);
    expect(again).toMatchObject({ prompts: 0, tools: 0, duplicates: 0 });
    // Forgetting the offset (state lost) reads it all again: still nothing twice.
    const fresh = new SessionService(store, new EventBus(), () => SETTINGS_DEFAULTS as Settings, new TranscriptState(path.join(dir, 'transcripts.json')));
    fs.rmSync(path.join(dir, 'transcripts.json'));
    const third = await new TranscriptReconciler(fresh, () => undefined, () => config).reconcile(file);
    expect(third?.tools).toBe(0);
    expect(await store.queue.depth()).toBe(8);
    const prompts = await store.sessions.listPrompts({ limit: 10 });
    expect(prompts).toHaveLength(2);
  });

  it('applies capture privacy: skipped tools are not queued', async () => {
    settings.CLAUDE_MEM_SKIP_TOOLS = 'Grep,Glob';
    const r = await new TranscriptReconciler(sessions, () => undefined, () => config).reconcile(file);
    expect(r).toMatchObject({ tools: 7, skipped: 2 });
    delete settings.CLAUDE_MEM_SKIP_TOOLS;
  });

  it('refuses a transcript outside the config dir', async () => {
    const outside = path.join(dir, 'elsewhere.jsonl');
    fs.copyFileSync(SAMPLE, outside);
    expect(await new TranscriptReconciler(sessions, () => undefined, () => config).reconcile(outside)).toBeNull();
    expect(await store.queue.depth()).toBe(0);
  });

  it('at SessionStart catches up a sibling session never seen since capture began, not older ones', async () => {
    const state = sessions.transcripts;
    const projectDir = path.dirname(file);
    const old = path.join(projectDir, 'old-session.jsonl');
    fs.writeFileSync(old, fs.readFileSync(SAMPLE, 'utf8').replaceAll('247065a8-ed4f-496f-b3f1-036073813b85', 'old-session').replaceAll('toolu_', 'toolu_old_'));
    const past = (state.captureSince() - 60_000) / 1000;
    fs.utimesSync(old, past, past);
    const current = path.join(projectDir, 'current.jsonl');
    fs.writeFileSync(current, '');
    const results = await new TranscriptReconciler(sessions, () => undefined, () => config).sessionStarted(current, 'current');
    expect(results.map((r) => [path.basename(r.file), r.tools])).toEqual([['247065a8-ed4f-496f-b3f1-036073813b85.jsonl', 8]]);
    // Its Stop never reached the worker either: the summary is asked for from its last answer.
    const queued = await store.queue.pending(50);
    const summaries = queued.filter((e) => e.kind === 'summarize');
    expect(summaries.map((e) => e.content_session_id)).toEqual(['247065a8-ed4f-496f-b3f1-036073813b85']);
    expect(queued.at(-1)?.kind).toBe('summarize');
  });

  it('asks for no summary when nothing of a sibling session had to be recovered', async () => {
    const rec = new TranscriptReconciler(sessions, () => undefined, () => config);
    await rec.reconcile(file);
    const current = path.join(path.dirname(file), 'current.jsonl');
    fs.writeFileSync(current, '');
    fs.appendFileSync(file, '\n');
    await rec.sessionStarted(current, 'current');
    expect((await store.queue.pending(50)).filter((e) => e.kind === 'summarize')).toHaveLength(0);
  });
});
