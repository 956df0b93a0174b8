// The viewer's entry point: header controls (project filter, live indicator, theme), hash routing
// between the views, and wiring of live events to the views that care.
import type { ProjectInfo } from '../api/types.js';
import { api } from './api.js';
import { initContext } from './context.js';
import { initDetail } from './detail.js';
import { h, mount } from './dom.js';
import { Feed } from './feed.js';
import { LiveStream, type LiveState } from './live.js';
import { initLogs } from './logs.js';
import { initSearch } from './search.js';
import { initSettings } from './settings.js';
import { currentProject, setProject } from './state.js';
import { initStatus } from './status.js';
import { initTheme } from './theme.js';

const VIEWS = ['feed', 'search', 'status', 'settings', 'logs', 'context'] as const;
type View = (typeof VIEWS)[number];

const $ = (id: string) => document.getElementById(id)!;

function start(): void {
  initTheme($('theme-toggle') as HTMLButtonElement);
  initDetail();

  const live = new LiveStream();
  const liveEl = $('live');
  const LIVE_TEXT: Record<LiveState, string> = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting' };
  live.onState((s) => {
    liveEl.dataset.state = s;
    liveEl.querySelector('.live-text')!.textContent = LIVE_TEXT[s];
    liveEl.title = s === 'live' ? 'Receiving live updates' : 'Lost the live connection; reconnecting';
  });

  const feed = new Feed($('view-feed'), live);
  const search = initSearch($('view-search'));
  const status = initStatus($('view-status'));
  const settings = initSettings($('view-settings'));
  const logs = initLogs($('view-logs'));
  const context = initContext($('view-context'));

  // Project filter.
  const projectSelect = $('project-select') as HTMLSelectElement;
  let projects: ProjectInfo[] = [];
  const loadProjects = async () => {
    try {
      projects = await api.projects();
    } catch {
      return;
    }
    const keep = currentProject();
    mount(
      projectSelect,
      h('option', { value: '' }, 'All projects'),
      ...projects.map((p) => h('option', { value: p.name, selected: p.name === keep }, `${p.name} (${p.observations})`)),
    );
    context.refresh(projects);
  };
  projectSelect.addEventListener('change', () => setProject(projectSelect.value));

  // Dead-letter count on the Status tab, so failures are visible from any view.
  const deadCount = $('dead-count');
  const updateHealthBadge = async () => {
    try {
      const hl = await api.health();
      deadCount.hidden = hl.deadLetters === 0;
      deadCount.textContent = String(hl.deadLetters);
      deadCount.setAttribute('aria-label', `${hl.deadLetters} dead-lettered`);
    } catch {
      /* the live indicator already says we are disconnected */
    }
  };

  // Routing.
  let view: View = 'feed';
  const show = (next: View) => {
    view = next;
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== next;
    for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('.tabs a'))) {
      if (a.dataset.view === next) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = next === 'feed' ? 'claude-mem' : `${next[0].toUpperCase()}${next.slice(1)} · claude-mem`;
    if (next === 'status') void status.refresh();
    if (next === 'settings') void settings.refresh();
    if (next === 'logs') void logs.refresh();
    if (next === 'context') void loadProjects();
    if (next === 'search') search.focus();
  };
  const route = () => {
    const name = location.hash.replace(/^#\/?/, '') as View;
    show(VIEWS.includes(name) ? name : 'feed');
  };
  window.addEventListener('hashchange', route);

  // Live events: refresh what depends on them, a little later to batch bursts.
  let statusTimer: ReturnType<typeof setTimeout> | undefined;
  live.on((event, data) => {
    if (event === 'queue' || event === 'status') {
      clearTimeout(statusTimer);
      statusTimer = setTimeout(() => {
        void updateHealthBadge();
        if (view === 'status') void status.refresh();
      }, 300);
    }
    if (event === 'observation' || event === 'prompt' || event === 'summary') {
      const project = (data as { project?: string }).project;
      if (project && !projects.some((p) => p.name === project)) void loadProjects();
    }
  });
  // Status also changes without events (time passes, budget resets): poll while it is shown.
  setInterval(() => {
    if (view === 'status' && !document.hidden) void status.refresh();
  }, 5000);

  // "/" jumps to search from anywhere except a text field.
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !t.closest('input,textarea,select,[contenteditable]')) {
      e.preventDefault();
      location.hash = '#/search';
      search.focus();
    }
  });

  live.start();
  feed.init();
  void loadProjects();
  void updateHealthBadge();
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
