// Nothing lost: at Stop, SessionEnd and the next SessionStart in the project the worker reads the
// session's transcript from where it last stopped and hands every prompt and tool call it has not
// seen to SessionService — the same path the hooks use, so privacy, bounds and idempotency (by
// tool_use_id, by prompt id) apply unchanged. Events sent while the worker was down, slow or
// restarting are recovered; events it already has are recognised as duplicates.
import fs from 'node:fs';
import path from 'node:path';
import { claudeConfigDir } from '../config/paths.js';
import type { SessionService } from './SessionService.js';
import { readTranscript, safeTranscriptPath, type TranscriptEvent } from './transcript.js';

export interface ReconcileResult {
  file: string;
  sessionId: string;
  prompts: number;
  tools: number;
  duplicates: number;
  skipped: number;
  malformed: number;
  offset: number;
  /** The main agent's last text answer in what was read, if any. */
  lastAnswer: { text: string; cwd: string } | null;
}

export interface ReconcileCounts {
  prompts: number;
  tools: number;
  duplicates: number;
  skipped: number;
}

/** Hands one transcript event to capture; counts what happened to it. */
export async function applyEvent(sessions: SessionService, e: TranscriptEvent, counts: ReconcileCounts): Promise<void> {
  if (e.kind === 'prompt') {
    const r = await sessions.initSession({ sessionId: e.sessionId, cwd: e.cwd, prompt: e.prompt, promptKey: e.promptKey, occurredAt: e.timestamp ?? undefined });
    if (r.status === 'ok') counts.prompts++;
    else if (r.status === 'duplicate') counts.duplicates++;
    else counts.skipped++;
    return;
  }
  const r = await sessions.recordToolEvent({
    sessionId: e.sessionId,
    cwd: e.cwd,
    toolName: e.toolName,
    toolInput: e.toolInput,
    ...(e.error !== undefined ? { error: e.error } : { toolResponse: e.toolResponse }),
    toolUseId: e.toolUseId,
    agentId: e.agentId,
    privateTurn: e.privateTurn,
    occurredAt: e.timestamp ?? undefined,
  });
  if (r.status === 'queued') counts.tools++;
  else if (r.status === 'duplicate') counts.duplicates++;
  else counts.skipped++;
}

export class TranscriptReconciler {
  /** One read at a time per transcript (Stop and SessionEnd arrive together). */
  private readonly running = new Map<string, Promise<ReconcileResult | null>>();

  constructor(
    private readonly sessions: SessionService,
    private readonly onQueued: () => void = () => undefined,
    readonly configDir: () => string = claudeConfigDir,
  ) {}

  /** The checked real path of a payload's transcript_path, or null (outside the config dir, missing). */
  resolve(transcriptPath: unknown, opts: { mayBeMissing?: boolean } = {}): string | null {
    return safeTranscriptPath(transcriptPath, this.configDir(), opts);
  }

  /** Reads `transcriptPath` from its remembered offset. Null when the path is not acceptable. */
  reconcile(transcriptPath: unknown, hint: { sessionId?: string; cwd?: string } = {}): Promise<ReconcileResult | null> {
    const file = this.resolve(transcriptPath);
    if (!file) return Promise.resolve(null);
    const prev = this.running.get(file) ?? Promise.resolve(null);
    const next = prev.catch(() => null).then(() => this.readOnce(file, hint));
    this.running.set(file, next);
    void next.finally(() => {
      if (this.running.get(file) === next) this.running.delete(file);
    }).catch(() => undefined);
    return next;
  }

  private async readOnce(file: string, hint: { sessionId?: string; cwd?: string }): Promise<ReconcileResult> {
    const state = this.sessions.transcripts;
    const rec = state.get(file);
    const sessionId = rec?.sessionId ?? hint.sessionId ?? path.basename(file, '.jsonl');
    let offset = rec?.offset ?? 0;
    // A transcript that shrank was rewritten: read it again from the start (all idempotent).
    if (offset > fs.statSync(file).size) offset = 0;
    const counts: ReconcileCounts = { prompts: 0, tools: 0, duplicates: 0, skipped: 0 };
    const res = await readTranscript(
      file,
      offset,
      async (e) => {
        await applyEvent(this.sessions, e, counts);
        if (counts.tools === 1 && e.kind === 'tool') this.onQueued();
      },
      { sessionId, cwd: hint.cwd, privateTurn: rec?.privateTurn ?? false },
    );
    state.advance(file, sessionId, res.offset, res.malformed, res.privateTurn);
    if (counts.tools > 0) this.onQueued();
    return { file, sessionId, ...counts, malformed: res.malformed, offset: res.offset, lastAnswer: res.lastAnswer };
  }

  /**
   * SessionStart: remember this session's transcript, then catch up the project's other sessions —
   * those known and not read to the end, and those written since capture began that were never
   * seen (the worker was down for the whole session). Older ones are left to `claude-mem backfill`.
   * A session whose prompts or tool calls had to be recovered missed its Stop too: its summary is
   * asked for here, from the last answer in its transcript.
   */
  async sessionStarted(transcriptPath: unknown, sessionId: string): Promise<ReconcileResult[]> {
    // The hook runs before Claude Code writes the session's first line: the file may not exist yet.
    const file = this.resolve(transcriptPath, { mayBeMissing: true });
    if (!file) return [];
    const state = this.sessions.transcripts;
    state.track(file, sessionId);
    const since = state.captureSince();
    const out: ReconcileResult[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return out;
    }
    for (const name of names) {
      const sibling = path.join(path.dirname(file), name);
      if (sibling === file) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(sibling);
      } catch {
        continue;
      }
      const rec = state.get(sibling);
      const behind = rec ? rec.offset < st.size : st.mtimeMs >= since;
      if (!behind) continue;
      const r = await this.reconcile(sibling);
      if (!r) continue;
      out.push(r);
      if ((r.prompts > 0 || r.tools > 0) && r.lastAnswer) {
        await this.sessions.requestSummary({ sessionId: r.sessionId, cwd: r.lastAnswer.cwd, lastAssistantMessage: r.lastAnswer.text });
      }
    }
    return out;
  }
}
