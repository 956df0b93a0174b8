// Feed/search cards for the three kinds of record, optionally with search terms highlighted.
import type { LivePrompt as Prompt, Observation, Summary } from '../api/types.js';
import { h, highlight, timeEl } from './dom.js';

export type FeedItem =
  | { kind: 'observation'; row: Observation }
  | { kind: 'summary'; row: Summary }
  | { kind: 'prompt'; row: Prompt };

/** Stable identity of an item, for de-duplicating paged and live rows. */
export function itemKey(item: FeedItem): string {
  if (item.kind === 'prompt') return `prompt:${item.row.content_session_id}:${item.row.prompt_number}`;
  return `${item.kind}:${item.row.id}`;
}

export function itemTime(item: FeedItem): number {
  if (item.kind === 'prompt') {
    const t = item.row.created_at ? Date.parse(item.row.created_at) : NaN;
    return Number.isFinite(t) ? t : Date.now();
  }
  return item.row.created_at_epoch;
}

export function typeBadge(type: string): HTMLElement {
  return h('span', { class: `badge badge-${type.replace(/[^a-z_]/g, '')}` }, type.replace('_', ' '));
}

export function conceptChips(concepts: string[]): HTMLElement | null {
  if (!concepts.length) return null;
  return h('ul', { class: 'chips', 'aria-label': 'Concepts' }, ...concepts.map((c) => h('li', { class: 'chip' }, c)));
}

function firstText(...values: string[]): string {
  return values.find((v) => v && v.trim()) ?? '';
}

/** One card. `open` is called from the title button (keyboard) and from a click anywhere on it. */
export function renderCard(item: FeedItem, open: (item: FeedItem, opener: HTMLElement) => void, terms: string[] = []): HTMLElement {
  const hl = (s: string) => highlight(s, terms);
  let kindLabel: HTMLElement;
  let title: string;
  let body: string;
  let extra: HTMLElement | null = null;
  let marks: HTMLElement[] = [];
  if (item.kind === 'observation') {
    const o = item.row;
    kindLabel = typeBadge(o.type);
    // Trust marks: a superseded memory names the newer one; a stale one says its file changed.
    marks = [
      o.superseded_by != null ? h('span', { class: 'badge badge-superseded', title: `Superseded by #${o.superseded_by}` }, `superseded → #${o.superseded_by}`) : null,
      o.stale ? h('span', { class: 'badge badge-stale', title: `${(o.stale_files ?? []).join(', ') || 'A file it describes'} changed since` }, 'stale') : null,
    ].filter((m): m is HTMLSpanElement => m !== null);
    title = o.title;
    body = firstText(o.subtitle, o.narrative);
    extra = conceptChips(o.concepts);
  } else if (item.kind === 'summary') {
    const s = item.row;
    kindLabel = h('span', { class: 'badge badge-summary' }, 'summary');
    title = firstText(s.request, s.completed, 'Session summary');
    body = firstText(s.completed, s.learned, s.investigated);
  } else {
    const p = item.row;
    kindLabel = h('span', { class: 'badge badge-prompt' }, `prompt #${p.prompt_number}`);
    title = p.prompt_text;
    body = '';
  }
  const button = h('button', { type: 'button', class: 'card-title' }, hl(title || '(untitled)'));
  const card = h(
    'article',
    { class: `card card-${item.kind}`, 'data-key': itemKey(item), 'data-kind': item.kind },
    h('div', { class: 'card-meta' }, kindLabel, ...marks, h('span', { class: 'project' }, item.row.project), timeEl(itemTime(item))),
    h('h3', {}, button),
    body ? h('p', { class: 'card-body' }, hl(body)) : null,
    extra,
  );
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    open(item, button);
  });
  card.addEventListener('click', (e) => {
    // Selecting text should not open the panel.
    if (window.getSelection()?.toString()) return;
    if ((e.target as HTMLElement).closest('a,button')) return;
    open(item, button);
  });
  return card;
}
