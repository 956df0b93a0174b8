// Context preview: exactly the text SessionStart would inject for a project.
import type { ProjectInfo } from '../api/types.js';
import { api, errorMessage } from './api.js';
import { h, mount } from './dom.js';
import { currentProject } from './state.js';

export function initContext(root: HTMLElement): { refresh: (projects: ProjectInfo[]) => void } {
  const select = h('select', { id: 'context-project', name: 'project' });
  const button = h('button', { type: 'button', class: 'btn btn-primary', id: 'context-show' }, 'Show context');
  const out = h('pre', { class: 'context-text', id: 'context-text', tabindex: '0', 'aria-label': 'Injected context' });
  const status = h('p', { class: 'muted', role: 'status' });

  const show = async () => {
    if (!select.value) {
      status.textContent = 'No project to preview yet.';
      return;
    }
    status.textContent = 'Loading…';
    try {
      const text = await api.contextText(select.value);
      out.textContent = text;
      status.textContent = `${new TextEncoder().encode(text).length} bytes injected at SessionStart for ${select.value}.`;
    } catch (err) {
      out.textContent = '';
      status.textContent = `Could not build the context: ${errorMessage(err)}`;
    }
  };
  button.addEventListener('click', () => void show());
  select.addEventListener('change', () => void show());

  mount(
    root,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'context-h' },
      h('h2', { id: 'context-h' }, 'Context preview'),
      h('p', { class: 'hint' }, 'What Claude Code receives at the start of a session in this project.'),
      h('div', { class: 'toolbar' }, h('label', { for: 'context-project' }, 'Project ', select), button),
      status,
      out,
    ),
  );

  return {
    refresh: (projects) => {
      const keep = select.value || currentProject();
      mount(select, ...projects.map((p) => h('option', { value: p.name, selected: p.name === keep }, p.name)));
    },
  };
}
