// Logs: the tail of worker.log or worker-error.log, as plain text.
import { api, errorMessage } from './api.js';
import { h, mount } from './dom.js';

export function initLogs(root: HTMLElement): { refresh: () => Promise<void> } {
  const file = h(
    'select',
    { id: 'log-file', name: 'file' },
    h('option', { value: 'worker' }, 'worker.log'),
    h('option', { value: 'error' }, 'worker-error.log'),
  );
  const lines = h(
    'select',
    { id: 'log-lines', name: 'lines' },
    ...[100, 200, 500, 1000].map((n) => h('option', { value: String(n), selected: n === 200 }, `${n} lines`)),
  );
  const button = h('button', { type: 'button', class: 'btn', id: 'log-refresh' }, 'Refresh');
  const out = h('pre', { class: 'log', id: 'log-text', tabindex: '0', 'aria-label': 'Log lines' });
  const status = h('p', { class: 'muted', role: 'status' });

  const refresh = async () => {
    status.textContent = 'Loading…';
    try {
      const r = await api.logs(file.value as 'worker' | 'error', Number(lines.value));
      out.textContent = r.lines.join('\n');
      status.textContent = r.lines.length ? `${r.lines.length} lines` : 'The log is empty.';
      out.scrollTop = out.scrollHeight;
    } catch (err) {
      status.textContent = `Could not read the log: ${errorMessage(err)}`;
    }
  };
  file.addEventListener('change', () => void refresh());
  lines.addEventListener('change', () => void refresh());
  button.addEventListener('click', () => void refresh());

  mount(
    root,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'logs-h' },
      h('h2', { id: 'logs-h' }, 'Logs'),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { for: 'log-file' }, 'File ', file),
        h('label', { for: 'log-lines' }, 'Show ', lines),
        button,
      ),
      status,
      out,
    ),
  );
  return { refresh };
}
