// Search, listing, timeline and context endpoints (SPEC §8.1).
import { Hono } from 'hono';
import { buildContext, projectScope } from '../../recall/contextService.js';
import { timeline } from '../../recall/timeline.js';
import { promptRecallOptions, recallCandidates, selectRecall } from '../../recall/promptRecall.js';
import { parseEdgeBody, parseEdgeQuery, routeId } from '../edge.js';
import { batchBody, contextQuery, listQuery, promptRecallBody, searchQuery, timelineQuery } from '../../api/schemas.js';
import type { ObservationsPage, ProjectInfo, PromptRecallResponse, SearchResponse, TimelineResponse } from '../../api/types.js';
import type { WorkerDeps } from '../WorkerDeps.js';

export function recallRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  const { store } = deps;
  const projects = (p?: string) => (p ? projectScope({ project: p }).projects : undefined);

  app.get('/api/search', async (c) => {
    const q = parseEdgeQuery(c, searchQuery);
    const results = await store.search.search({
      query: q.query,
      project: q.project,
      type: q.type,
      concepts: q.concepts,
      files: q.files,
      dateStart: q.dateStart,
      dateEnd: q.dateEnd,
      orderBy: q.orderBy,
      limit: q.limit,
      offset: q.offset,
      kinds: q.kinds,
    });
    return c.json(results satisfies SearchResponse);
  });

  app.get('/api/observations', async (c) => {
    const q = parseEdgeQuery(c, listQuery);
    return c.json((await store.sessions.listObservations({ projects: projects(q.project), limit: q.limit, offset: q.offset })) satisfies ObservationsPage);
  });

  app.post('/api/observations/batch', async (c) => {
    const b = await parseEdgeBody(c, batchBody);
    let rows = await store.sessions.getObservations(b.ids);
    if (b.project) rows = rows.filter((o) => o.project === b.project);
    return c.json({ observations: rows });
  });

  app.get('/api/observation/:id', async (c) => {
    const id = routeId(c, 'id', 'an observation id');
    const [row] = await store.sessions.getObservations([id]);
    return row ? c.json(row) : c.json({ error: `observation ${id} not found` }, 404);
  });

  app.get('/api/summaries', async (c) => {
    const q = parseEdgeQuery(c, listQuery);
    return c.json({ summaries: await store.sessions.listSummaries({ projects: projects(q.project), limit: q.limit, offset: q.offset }) });
  });

  app.get('/api/prompts', async (c) => {
    const q = parseEdgeQuery(c, listQuery);
    return c.json({ prompts: await store.sessions.listPrompts({ projects: projects(q.project), limit: q.limit, offset: q.offset }) });
  });

  app.get('/api/projects', async (c) => c.json({ projects: (await store.sessions.listProjects()) satisfies ProjectInfo[] }));

  app.get('/api/timeline', async (c) => {
    const q = parseEdgeQuery(c, timelineQuery);
    const t = await timeline(store, { anchor: q.anchor, query: q.query, projects: projects(q.project), before: q.before, after: q.after });
    if ('missingAnchor' in t) return c.json({ error: `anchor: observation ${t.missingAnchor} not found` }, 404);
    return c.json(t satisfies TimelineResponse);
  });

  app.post('/api/recall/prompt', async (c) => {
    const b = await parseEdgeBody(c, promptRecallBody);
    if (!b.project && !b.cwd) return c.json({ error: 'project: give a project name (or cwd, a working directory)' }, 400);
    const projects = projectScope({ project: b.project, cwd: b.cwd }).projects;
    const candidates = await recallCandidates(deps.store, b.prompt, projects);
    const body: PromptRecallResponse = selectRecall(candidates, new Set(), promptRecallOptions(deps.settings()));
    if (b.explain) body.candidates = candidates.map((x) => ({ id: x.observation.id, matched: x.matched, share: x.share }));
    return c.json(body);
  });

  app.get('/api/context/inject', async (c) => {
    const q = parseEdgeQuery(c, contextQuery);
    const text = await buildContext(store, deps.settings(), projectScope(q));
    return c.text(text, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });

  return app;
}
