// Hook endpoints: each acknowledges only after the event is committed to SQLite. Identifiers are
// validated first (schemas.ts): a malformed one is a 400, never a row.
//
// /api/hooks/:event takes Claude Code's own hook payloads (http hooks post them unchanged; the
// SessionStart command hook forwards its stdin). It always answers with hook output JSON — `{}`, or
// context for PreToolUse(Read) — because Claude Code uses a 2xx body as the hook's output. Privacy
// applies in SessionService before anything is stored, logged or queued. At Stop and SessionEnd
// the session's transcript is read for anything the hooks did not deliver (capture/reconcile.ts).
import { Hono, type Context } from 'hono';
import { parseEdgeBody, parseEdgeQuery } from '../edge.js';
import { requestScope } from '../auth.js';
import {
  endBody,
  fileContextQuery,
  hookEndPayload,
  hookPreToolPayload,
  hookPromptAnswerBody,
  hookPromptPayload,
  hookSessionStartPayload,
  hookStopPayload,
  hookToolPayload,
  initBody,
  summarizeBody,
  toolEventBody,
  transcriptImportBody,
} from '../../api/schemas.js';
import type { WorkerDeps } from '../WorkerDeps.js';
import { fileContext } from '../../recall/fileContext.js';
import { buildContext, projectScope } from '../../recall/contextService.js';
import { GivenObservations, promptRecall, promptRecallOptions } from '../../recall/promptRecall.js';
import { boundToJsonSize } from '../../capture/bound.js';
import { TranscriptReconciler } from '../../capture/reconcile.js';
import { isExcludedProject, stripPrivate } from '../../capture/privacy.js';
import { createLogger } from '../../config/logger.js';

export function sessionRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  const log = createLogger('capture');
  const reconciler = new TranscriptReconciler(deps.sessions, () => deps.wakeAgent());
  /** Observation ids each session was given by prompt-time recall (never the same one twice). */
  const given = new GivenObservations();

  // http hooks are answered at once and their event is stored right after, in arrival order per
  // session (a prompt before its tool calls: the private-turn rule depends on it). Claude Code waits
  // for each hook's answer, so a commit per tool call would add its latency to every call; an event
  // lost to a crash in that window is recovered from the transcript at Stop/SessionEnd.
  const chains = new Map<string, Promise<unknown>>();
  const inOrder = (sessionId: string, what: string, work: () => Promise<unknown>): Promise<unknown> => {
    // setImmediate: the store is synchronous (better-sqlite3), so the work must start after the
    // answer has been written, not in the same turn of the event loop.
    const next = (chains.get(sessionId) ?? Promise.resolve())
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(work)
      .catch((err: unknown) => log.warn(`Storing a ${what} event failed; the transcript catch-up will retry it`, { session: sessionId, error: err instanceof Error ? err.message : String(err) }));
    chains.set(sessionId, next);
    void next.then(() => {
      if (chains.get(sessionId) === next) chains.delete(sessionId);
    });
    return next;
  };

  /** Catch up from the transcript in the background: the hook's answer never waits for it. */
  const catchUp = (transcriptPath: string | undefined, sessionId: string, cwd: string | undefined) => {
    if (!transcriptPath) return;
    if (cwd && isExcludedProject(cwd, deps.settings().CLAUDE_MEM_EXCLUDED_PROJECTS)) return;
    void (chains.get(sessionId) ?? Promise.resolve())
      .then(() => reconciler.reconcile(transcriptPath, { sessionId, cwd }))
      .then((r) => {
        if (r === null) log.warn('Transcript not read: not inside the Claude config dir', { session: sessionId });
        else if (r.prompts || r.tools || r.malformed) {
          log.info('Recovered from transcript', { session: sessionId, prompts: r.prompts, tools: r.tools, malformed: r.malformed });
        }
      })
      .catch((err: unknown) => log.warn('Transcript read failed', { session: sessionId, error: err instanceof Error ? err.message : String(err) }));
  };

  app.post('/api/hooks/SessionStart', async (c) => {
    const b = await parseEdgeBody(c, hookSessionStartPayload);
    if (isExcludedProject(b.cwd, deps.settings().CLAUDE_MEM_EXCLUDED_PROJECTS)) return c.json({});
    await deps.sessions.initSession({ sessionId: b.session_id, cwd: b.cwd });
    if (b.transcript_path) {
      reconciler
        .sessionStarted(b.transcript_path, b.session_id)
        .then((rs) => {
          for (const r of rs) if (r.prompts || r.tools) log.info('Recovered an earlier session from its transcript', { session: r.sessionId, prompts: r.prompts, tools: r.tools });
        })
        .catch((err: unknown) => log.warn('Catching up earlier sessions failed', { error: err instanceof Error ? err.message : String(err) }));
    }
    return c.json({});
  });

  /** Prompt-time recall for a session's prompt (never an observation it was already given), plus the project's context on request. */
  const promptAnswer = async (b: { session_id: string; cwd: string; prompt: string }, withContext: boolean) => {
    const s = deps.settings();
    if (isExcludedProject(b.cwd, s.CLAUDE_MEM_EXCLUDED_PROJECTS)) return {};
    const scope = projectScope({ cwd: b.cwd });
    const [context, r] = await Promise.all([
      withContext ? buildContext(deps.store, s, scope) : '',
      s.CLAUDE_MEM_PROMPT_RECALL === 'true' ? promptRecall(deps.store, { prompt: stripPrivate(b.prompt), projects: scope.projects, given: given.of(b.session_id) }, promptRecallOptions(s)) : null,
    ]);
    if (r?.text) given.add(b.session_id, r.observations.map((o) => o.id));
    const text = [context, r?.text].filter(Boolean).join('\n\n');
    return text ? { hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext: text } } : {};
  };

  app.post('/api/hooks/UserPromptSubmit', async (c) => {
    const b = await parseEdgeBody(c, hookPromptPayload);
    void inOrder(b.session_id, 'UserPromptSubmit', () =>
      deps.sessions.initSession({ sessionId: b.session_id, cwd: b.cwd, prompt: b.prompt, promptKey: b.prompt_id }),
    );
    // Recall reads memory: only for the full token (the command hook), never for the hooks' credential.
    return c.json(requestScope(c) === 'full' ? await promptAnswer(b, false) : {});
  });

  // What UserPromptSubmit adds, recording nothing: asked by the plugin's MCP server (an mcp_tool
  // hook) while the http hook records the prompt. `start_context`: the session's first prompt also
  // carries the project's context, because SessionStart(startup) runs in the background then.
  // Not a hook route: the full token only.
  app.post('/api/hooks/UserPromptSubmit/answer', async (c) => {
    const b = await parseEdgeBody(c, hookPromptAnswerBody);
    return c.json(await promptAnswer(b, b.start_context === true));
  });

  app.post('/api/hooks/PreToolUse', async (c) => {
    const b = await parseEdgeBody(c, hookPreToolPayload);
    const s = deps.settings();
    const file = (b.tool_input as { file_path?: unknown } | undefined)?.file_path;
    if (b.tool_name !== 'Read' || s.CLAUDE_MEM_FILE_CONTEXT !== 'true' || typeof file !== 'string' || !file) return c.json({});
    if (isExcludedProject(b.cwd, s.CLAUDE_MEM_EXCLUDED_PROJECTS)) return c.json({});
    const { text } = await fileContext(deps.store, file, b.cwd);
    if (!text) return c.json({});
    return c.json({ hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: text } });
  });

  const toolHook = async (c: Context) => {
    const b = await parseEdgeBody(c, hookToolPayload);
    const failed = b.error !== undefined && (b.hook_event_name === 'PostToolUseFailure' || b.tool_response === undefined);
    void inOrder(b.session_id, 'tool', async () => {
      const out = await deps.sessions.recordToolEvent({
        sessionId: b.session_id,
        cwd: b.cwd,
        toolName: b.tool_name,
        toolInput: boundToJsonSize(b.tool_input ?? null),
        ...(failed ? { error: b.error } : { toolResponse: boundToJsonSize(b.tool_response ?? null) }),
        toolUseId: b.tool_use_id,
        agentId: b.agent_id,
        agentType: b.agent_type,
      });
      if (out.status === 'queued') deps.wakeAgent();
    });
    return c.json({});
  };
  app.post('/api/hooks/PostToolUse', toolHook);
  app.post('/api/hooks/PostToolUseFailure', toolHook);

  app.post('/api/hooks/Stop', async (c) => {
    const b = await parseEdgeBody(c, hookStopPayload);
    // Summaries are per turn of the main agent; subagents' Stop events are not summarised.
    if (!b.agent_id) {
      void inOrder(b.session_id, 'Stop', async () => {
        const out = await deps.sessions.requestSummary({ sessionId: b.session_id, cwd: b.cwd, lastAssistantMessage: b.last_assistant_message ?? '' });
        if (out.status === 'queued') deps.wakeAgent();
      });
    }
    catchUp(b.transcript_path, b.session_id, b.cwd);
    return c.json({});
  });

  app.post('/api/hooks/SessionEnd', async (c) => {
    const b = await parseEdgeBody(c, hookEndPayload);
    catchUp(b.transcript_path, b.session_id, b.cwd);
    void inOrder(b.session_id, 'SessionEnd', async () => {
      await deps.sessions.endSession(b.session_id);
      deps.wakeAgent();
    });
    return c.json({});
  });

  // `claude-mem backfill`: import one past session from its transcript (idempotent: what is
  // already in memory, or was imported before, is not queued again).
  app.post('/api/transcripts/import', async (c) => {
    const b = await parseEdgeBody(c, transcriptImportBody);
    const r = await reconciler.reconcile(b.transcript_path);
    if (!r) {
      return c.json({ error: `transcript_path: not a transcript file inside ${reconciler.configDir()}/projects (the worker's Claude config dir); only Claude Code's own transcripts are read` }, 400);
    }
    return c.json(r);
  });

  app.post('/api/sessions/init', async (c) => {
    const b = await parseEdgeBody(c, initBody);
    return c.json(await deps.sessions.initSession({ sessionId: b.session_id, cwd: b.cwd, prompt: b.prompt, promptKey: b.prompt_id }));
  });

  app.post('/api/sessions/observations', async (c) => {
    const b = await parseEdgeBody(c, toolEventBody);
    const out = await deps.sessions.recordToolEvent({
      sessionId: b.session_id,
      cwd: b.cwd,
      toolName: b.tool_name,
      toolInput: b.tool_input ?? null,
      toolResponse: b.tool_response,
      error: b.error,
      toolUseId: b.tool_use_id,
      agentId: b.agent_id,
      agentType: b.agent_type,
    });
    if (out.status === 'queued') deps.wakeAgent();
    return c.json(out, out.status === 'queued' ? 202 : 200);
  });

  app.post('/api/sessions/summarize', async (c) => {
    const b = await parseEdgeBody(c, summarizeBody);
    // Summaries are per turn of the main agent; subagents' Stop events are not summarised.
    if (b.agent_id) return c.json({ status: 'skipped', reason: 'subagent' });
    const out = await deps.sessions.requestSummary({
      sessionId: b.session_id,
      cwd: b.cwd,
      lastAssistantMessage: b.last_assistant_message,
    });
    if (out.status === 'queued') deps.wakeAgent();
    catchUp(b.transcript_path, b.session_id, b.cwd);
    return c.json(out, out.status === 'queued' ? 202 : 200);
  });

  app.post('/api/sessions/end', async (c) => {
    const b = await parseEdgeBody(c, endBody);
    catchUp(b.transcript_path, b.session_id, b.cwd);
    const ended = await deps.sessions.endSession(b.session_id);
    deps.wakeAgent();
    return c.json({ status: ended ? 'ended' : 'unknown-session' });
  });

  app.get('/api/file-context', async (c) => {
    const q = parseEdgeQuery(c, fileContextQuery);
    return c.json(await fileContext(deps.store, q.path, q.cwd));
  });

  return app;
}
