// Capture: turns hook events into durable rows. Privacy rules apply here, before anything is
// stored: <private> text and context tags are removed, key-shaped secrets redacted, skipped
// tools, claude-mem's own tools and CLI runs, and excluded projects dropped, oversized fields cut.
import type { Settings } from '../config/SettingsManager.js';
import {
  isEntirelyPrivate,
  isExcludedProject,
  redactDeep,
  shouldSkipTool,
  stripContextTags,
  stripPrivate,
} from './privacy.js';
import { isOwnToolCall } from './ownTools.js';
import { resolveProject } from '../config/project.js';
import type { Store } from '../store/Store.js';
import type { EventBus } from '../lib/EventBus.js';
import { boundValue } from './bound.js';
import { TranscriptState } from './transcriptState.js';

export type CaptureOutcome =
  | { status: 'queued'; id: number; project: string }
  | { status: 'duplicate'; project: string }
  | { status: 'skipped'; reason: string };

function cleanText(text: string): string {
  return stripContextTags(stripPrivate(text));
}

export class SessionService {
  private stateCache: TranscriptState | null = null;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly settings: () => Settings,
    state?: TranscriptState,
  ) {
    this.stateCache = state ?? null;
  }

  /** Transcript offsets and prompt ids seen (created on first use: tests construct many services). */
  get transcripts(): TranscriptState {
    return (this.stateCache ??= new TranscriptState());
  }

  private excluded(cwd: string): boolean {
    return isExcludedProject(cwd, this.settings().CLAUDE_MEM_EXCLUDED_PROJECTS);
  }

  private async session(contentSessionId: string, cwd: string) {
    const existing = await this.store.sessions.getSession(contentSessionId);
    if (existing) return existing;
    const { project } = resolveProject(cwd);
    return this.store.sessions.upsertSession({ contentSessionId, project, cwd });
  }

  /** A turn whose prompt was entirely private has a number but no stored prompt. */
  private async inPrivateTurn(sessionId: number, promptCounter: number): Promise<boolean> {
    if (promptCounter === 0) return false;
    const latest = await this.store.sessions.latestPrompt(sessionId);
    return latest?.prompt_number !== promptCounter;
  }

  /** UserPromptSubmit (or SessionStart without a prompt): creates/refreshes the session. */
  async initSession(args: {
    sessionId: string;
    cwd: string;
    prompt?: string;
    /** Claude Code's prompt_id (hook) / promptId (transcript): a prompt is stored once. */
    promptKey?: string;
    /** When the prompt was typed (transcript import); default now. */
    occurredAt?: string;
  }): Promise<
    | { status: 'ok'; project: string; promptNumber: number | null }
    | { status: 'skipped'; reason: string }
    | { status: 'duplicate'; project: string }
  > {
    if (this.excluded(args.cwd)) return { status: 'skipped', reason: 'project excluded' };
    const { project } = resolveProject(args.cwd);
    if (args.prompt !== undefined && args.promptKey) {
      // Checked and recorded before any await: the hook and a transcript read may carry the same
      // prompt at the same moment.
      if (this.transcripts.hasPrompt(args.sessionId, args.promptKey)) return { status: 'duplicate', project };
      this.transcripts.addPrompt(args.sessionId, args.promptKey);
    }
    const session = await this.store.sessions.upsertSession({ contentSessionId: args.sessionId, project, cwd: args.cwd });
    if (args.prompt === undefined) return { status: 'ok', project, promptNumber: null };
    if (isEntirelyPrivate(args.prompt)) {
      // The turn still counts, so its tool events can be recognised as private and dropped.
      await this.store.sessions.skipPrompt(session.id);
      return { status: 'skipped', reason: 'prompt is entirely private' };
    }
    const text = redactDeep(cleanText(args.prompt)) as string;
    const promptNumber = await this.store.sessions.addPrompt(session.id, boundValue(text) as string, args.occurredAt);
    this.bus.emit('prompt', { project, content_session_id: args.sessionId, prompt_number: promptNumber, prompt_text: text });
    return { status: 'ok', project, promptNumber };
  }

  async recordToolEvent(e: {
    sessionId: string;
    cwd: string;
    toolName: string;
    toolInput: unknown;
    toolResponse?: unknown;
    error?: string;
    toolUseId: string;
    agentId?: string | null;
    agentType?: string | null;
    /** Known privacy of the call's turn (transcript import: the current turn may be a later one). */
    privateTurn?: boolean;
    /** When the call happened (transcript import); default now. */
    occurredAt?: string;
  }): Promise<CaptureOutcome> {
    const s = this.settings();
    if (shouldSkipTool(e.toolName, s.CLAUDE_MEM_SKIP_TOOLS)) return { status: 'skipped', reason: 'tool skipped' };
    if (isOwnToolCall(e.toolName, e.toolInput)) return { status: 'skipped', reason: 'claude-mem tool' };
    if (this.excluded(e.cwd)) return { status: 'skipped', reason: 'project excluded' };
    if (e.privateTurn === true) return { status: 'skipped', reason: 'private turn' };
    const session = await this.session(e.sessionId, e.cwd);
    if (e.privateTurn === undefined && (await this.inPrivateTurn(session.id, session.prompt_counter))) {
      return { status: 'skipped', reason: 'private turn' };
    }
    const clean = (v: unknown) => boundValue(redactDeep(v));
    const res = await this.store.queue.enqueue(e.sessionId, session.project, {
      kind: 'tool',
      payload: {
        tool_name: e.toolName,
        tool_input: clean(e.toolInput),
        ...(e.error !== undefined ? { error: clean(e.error) as string } : { tool_response: clean(e.toolResponse) }),
        tool_use_id: e.toolUseId,
        cwd: e.cwd,
        agent_id: e.agentId ?? null,
        agent_type: e.agentType ?? null,
        prompt_number: session.prompt_counter || null,
        occurred_at: e.occurredAt ?? new Date().toISOString(),
      },
    });
    if (res.duplicate) return { status: 'duplicate', project: session.project };
    this.bus.emit('queue', { depth: await this.store.queue.depth() });
    return { status: 'queued', id: res.id!, project: session.project };
  }

  /** Stop: queue a summary of the turn (main agent only). */
  async requestSummary(args: { sessionId: string; cwd: string; lastAssistantMessage: string }): Promise<CaptureOutcome> {
    if (this.excluded(args.cwd)) return { status: 'skipped', reason: 'project excluded' };
    const session = await this.session(args.sessionId, args.cwd);
    if (await this.inPrivateTurn(session.id, session.prompt_counter)) return { status: 'skipped', reason: 'private turn' };
    const res = await this.store.queue.enqueue(args.sessionId, session.project, {
      kind: 'summarize',
      payload: {
        last_assistant_message: boundValue(redactDeep(cleanText(args.lastAssistantMessage))) as string,
        prompt_number: session.prompt_counter || null,
        occurred_at: new Date().toISOString(),
      },
    });
    return { status: 'queued', id: res.id!, project: session.project };
  }

  async endSession(sessionId: string): Promise<boolean> {
    return this.store.sessions.endSession(sessionId);
  }
}
