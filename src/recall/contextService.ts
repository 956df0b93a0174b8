// Selects a project's recent memory from the store and renders the SessionStart context.
import type { Settings } from '../config/SettingsManager.js';
import { getBool, getInt } from '../config/SettingsManager.js';
import { projectsToRead, resolveProject } from '../config/project.js';
import type { Store } from '../store/Store.js';
import { renderContext } from './ContextBuilder.js';
import { isFlaggedObservation } from './fence.js';

/** The project name and the projects whose memory it reads (a worktree reads its parent's too). */
export function projectScope(args: { project?: string; cwd?: string }): { project: string; projects: string[] } {
  if (args.cwd) {
    const resolved = resolveProject(args.cwd);
    return { project: resolved.project, projects: projectsToRead(resolved) };
  }
  const project = args.project!;
  // "parent/worktree" names also read the parent's memory.
  const slash = project.indexOf('/');
  return { project, projects: slash > 0 ? [project, project.slice(0, slash)] : [project] };
}

export async function buildContext(store: Store, settings: Settings, scope: { project: string; projects: string[] }): Promise<string> {
  const observationCount = getInt(settings, 'CLAUDE_MEM_CONTEXT_OBSERVATIONS');
  const sessionCount = getInt(settings, 'CLAUDE_MEM_CONTEXT_SESSION_COUNT');
  // Read a little more than shown so that the page stays full after the filters below.
  const listed = await store.sessions.listObservations({ projects: scope.projects, limit: observationCount * 2 + 10 });
  // Instruction-looking observations stay searchable but are never injected unasked (fence.ts);
  // superseded ones leave the context: the newer one says what is true now.
  const observations = listed.observations.filter((o) => !isFlaggedObservation(o) && !o.superseded_by).slice(0, observationCount);
  const summaries = await store.sessions.listSummaries({ projects: scope.projects, limit: Math.max(sessionCount, 1) });
  return renderContext({
    project: scope.project,
    projects: scope.projects,
    observations,
    summaries,
    settings: {
      observations: observationCount,
      sessionCount,
      fullCount: getInt(settings, 'CLAUDE_MEM_CONTEXT_FULL_COUNT'),
      fullField: settings.CLAUDE_MEM_CONTEXT_FULL_FIELD === 'facts' ? 'facts' : 'narrative',
      showLastSummary: getBool(settings, 'CLAUDE_MEM_CONTEXT_SHOW_LAST_SUMMARY'),
      maxBytes: getInt(settings, 'CLAUDE_MEM_CONTEXT_MAX_BYTES'),
    },
  });
}
