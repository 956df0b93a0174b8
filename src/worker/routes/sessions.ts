// Hook endpoints: each acknowledges only after the event is committed to SQLite. Identifiers are
// validated first (schemas.ts): a malformed one is a 400, never a row.
import { Hono } from 'hono';
import { parseEdgeBody, parseEdgeQuery } from '../edge.js';
import { endBody, fileContextQuery, initBody, summarizeBody, toolEventBody } from '../../api/schemas.js';
import type { WorkerDeps } from '../WorkerDeps.js';
import { fileContext } from '../../recall/fileContext.js';

export function sessionRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();

  app.post('/api/sessions/init', async (c) => {
    const b = await parseEdgeBody(c, initBody);
    return c.json(await deps.sessions.initSession({ sessionId: b.session_id, cwd: b.cwd, prompt: b.prompt }));
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
    return c.json(out, out.status === 'queued' ? 202 : 200);
  });

  app.post('/api/sessions/end', async (c) => {
    const b = await parseEdgeBody(c, endBody);
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
