// Search: full-text query with type and date filters over /api/search; matches highlighted.
import { api, errorMessage } from './api.js';
import { type FeedItem, renderCard } from './cards.js';
import { openDetail } from './detail.js';
import { h, mount, searchTerms } from './dom.js';
import { currentProject, onProjectChange } from './state.js';

const TYPES = ['bugfix', 'feature', 'refactor', 'change', 'discovery', 'decision', 'security_alert', 'security_note'];

/** `YYYY-MM-DD` from a date input → epoch ms at the start (or end) of that local day. */

export function initSearch(root: HTMLElement): { focus: () => void } {
  const input = h('input', {
    type: 'search',
    id: 'search-query',
    name: 'query',
    placeholder: 'Search observations, summaries and prompts',
    autocomplete: 'off',
    'aria-describedby': 'search-hint',
  });
  const typeBoxes = TYPES.map((t) => h('input', { type: 'checkbox', name: 'type', value: t, id: `search-type-${t}` }));
  const from = h('input', { type: 'date', id: 'search-from', name: 'dateStart' });
  const to = h('input', { type: 'date', id: 'search-to', name: 'dateEnd' });
  const order = h(
    'select',
    { id: 'search-order', name: 'orderBy' },
    h('option', { value: 'relevance' }, 'Relevance'),
    h('option', { value: 'date_desc' }, 'Newest first'),
    h('option', { value: 'date_asc' }, 'Oldest first'),
  );
  const results = h('div', { id: 'search-results', class: 'search-results' });
  const status = h('p', { class: 'muted', role: 'status', id: 'search-status' });

  const form = h(
    'form',
    { class: 'search-form', role: 'search', 'aria-label': 'Search memory' },
    h(
      'div',
      { class: 'search-row' },
      h('label', { for: 'search-query', class: 'sr-only' }, 'Search text'),
      input,
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
    ),
    h(
      'details',
      { class: 'filters' },
      h('summary', {}, 'Filters'),
      h(
        'fieldset',
        { class: 'type-filter' },
        h('legend', {}, 'Observation types'),
        ...TYPES.map((t, i) => h('label', { class: 'check', for: `search-type-${t}` }, typeBoxes[i], t.replace('_', ' '))),
      ),
      h(
        'div',
        { class: 'filter-row' },
        h('label', { for: 'search-from' }, 'From', from),
        h('label', { for: 'search-to' }, 'To', to),
        h('label', { for: 'search-order' }, 'Order', order),
      ),
    ),
    h('p', { id: 'search-hint', class: 'hint' }, 'Words are matched in titles, narratives, facts, summaries and prompts. The project filter at the top applies.'),
  );

  let seq = 0;
  const run = async () => {
    const query = input.value.trim();
    const types = typeBoxes.filter((b) => b.checked).map((b) => b.value);
    const filtered = types.length || from.value || to.value;
    if (!query && !filtered) {
      mount(results);
      status.textContent = 'Type something to search.';
      return;
    }
    const mine = ++seq;
    status.textContent = 'Searching…';
    try {
      const r = await api.search({
        query,
        project: currentProject() || undefined,
        type: types.join(',') || undefined,
        // Sent as picked (YYYY-MM-DD): the worker applies the one date-bound rule (lib/dateRange.ts).
        dateStart: from.value || undefined,
        dateEnd: to.value || undefined,
        orderBy: order.value,
        limit: 50,
      });
      if (mine !== seq) return;
      const terms = searchTerms(query);
      const open = (item: FeedItem, opener: HTMLElement) => openDetail(item, opener, terms);
      const group = (label: string, items: FeedItem[]) =>
        items.length
          ? h('section', { class: 'result-group' }, h('h2', {}, `${label} (${items.length})`), ...items.map((i) => renderCard(i, open, terms)))
          : null;
      const total = r.observations.length + r.sessions.length + r.prompts.length;
      status.textContent = total ? `${total} result${total === 1 ? '' : 's'}` : 'No matches.';
      mount(
        results,
        group('Observations', r.observations.map((row) => ({ kind: 'observation', row }))),
        group('Session summaries', r.sessions.map((row) => ({ kind: 'summary', row }))),
        group('Prompts', r.prompts.map((row) => ({ kind: 'prompt', row }))),
      );
    } catch (err) {
      if (mine === seq) status.textContent = `Search failed: ${errorMessage(err)}`;
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 250);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    void run();
  });
  input.addEventListener('input', soon);
  for (const el of [...typeBoxes, from, to, order]) el.addEventListener('change', soon);
  onProjectChange(() => soon());

  mount(root, h('h2', { class: 'sr-only' }, 'Search'), form, status, results);
  return { focus: () => input.focus() };
}
