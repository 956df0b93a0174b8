// The detail panel: a modal <dialog> (Escape closes it, focus stays inside while open and returns
// to the card that opened it).
import type { LivePrompt as Prompt, Observation, Summary, TokenUsage as Tokens } from '../api/types.js';
import { conceptChips, type FeedItem, itemTime, typeBadge } from './cards.js';
import { formatNumber, h, highlight, mount } from './dom.js';

let dialog: HTMLDialogElement;
let body: HTMLElement;
let opener: HTMLElement | null = null;
let terms: string[] = [];

export function initDetail(): void {
  dialog = document.getElementById('detail') as HTMLDialogElement;
  body = document.getElementById('detail-body')!;
  document.getElementById('detail-close')!.addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the panel box) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    if (opener?.isConnected) opener.focus();
    opener = null;
  });
}

export function openDetail(item: FeedItem, from: HTMLElement | null, highlightTerms: string[] = []): void {
  opener = from;
  terms = highlightTerms;
  mount(body, ...render(item));
  if (!dialog.open) dialog.showModal();
  (document.getElementById('detail-title') as HTMLElement).focus();
}

const hl = (s: string) => highlight(s, terms);

function section(label: string, ...content: Array<Node | string | null>): HTMLElement | null {
  const present = content.filter((c) => c !== null && c !== '');
  if (!present.length) return null;
  return h('section', { class: 'detail-section' }, h('h3', {}, label), ...present);
}

function textBlock(text: string): HTMLElement | null {
  return text && text.trim() ? h('p', { class: 'prose' }, hl(text)) : null;
}

function list(items: string[], cls = ''): HTMLElement | null {
  return items.length ? h('ul', { class: cls }, ...items.map((i) => h('li', {}, hl(i)))) : null;
}

function fileList(items: string[]): HTMLElement | null {
  return items.length ? h('ul', { class: 'files' }, ...items.map((f) => h('li', {}, h('code', {}, f)))) : null;
}

function tokenTable(t: Tokens | null, model: string | null): HTMLElement | null {
  const rows: Array<[string, string]> = [];
  if (model) rows.push(['Model', model]);
  if (t) {
    rows.push(['Input tokens', formatNumber(t.input_tokens)]);
    rows.push(['Output tokens', formatNumber(t.output_tokens)]);
    rows.push(['Cache read', formatNumber(t.cache_read_tokens)]);
    rows.push(['Cache write', formatNumber(t.cache_write_tokens)]);
    rows.push(['Total', formatNumber(t.input_tokens + t.output_tokens + t.cache_read_tokens + t.cache_write_tokens)]);
  }
  return rows.length ? h('dl', { class: 'kv' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null;
}

function meta(item: FeedItem, extra: Array<[string, string]> = []): HTMLElement {
  const when = new Date(itemTime(item));
  const rows: Array<[string, string]> = [
    ['Project', item.row.project],
    ['Session', item.row.content_session_id],
    ['When', Number.isNaN(when.getTime()) ? '' : when.toLocaleString()],
    ...extra,
  ];
  return h('dl', { class: 'kv' }, ...rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function heading(text: string, badge: HTMLElement): HTMLElement[] {
  return [h('div', { class: 'detail-kind' }, badge), h('h2', { id: 'detail-title', tabindex: '-1' }, hl(text))];
}

function render(item: FeedItem): Array<HTMLElement | null> {
  if (item.kind === 'observation') return renderObservation(item.row, item);
  if (item.kind === 'summary') return renderSummary(item.row, item);
  return renderPrompt(item.row, item);
}

function renderObservation(o: Observation, item: FeedItem): Array<HTMLElement | null> {
  return [
    ...heading(o.title, typeBadge(o.type)),
    o.subtitle ? h('p', { class: 'subtitle' }, hl(o.subtitle)) : null,
    conceptChips(o.concepts),
    section('Narrative', textBlock(o.narrative)),
    section('Facts', list(o.facts, 'facts')),
    section('Files read', fileList(o.files_read)),
    section('Files modified', fileList(o.files_modified)),
    section('Tokens spent', tokenTable(o.tokens, o.model)),
    section(
      'Details',
      meta(item, [
        ['Observation', `#${o.id}`],
        ['Prompt', o.prompt_number ? `#${o.prompt_number}` : ''],
        ['Subagent', o.agent_id ?? ''],
      ]),
    ),
  ];
}

function renderSummary(s: Summary, item: FeedItem): Array<HTMLElement | null> {
  return [
    ...heading(s.request || 'Session summary', h('span', { class: 'badge badge-summary' }, 'summary')),
    section('Investigated', textBlock(s.investigated)),
    section('Learned', textBlock(s.learned)),
    section('Completed', textBlock(s.completed)),
    section('Next steps', textBlock(s.next_steps)),
    section('Notes', textBlock(s.notes)),
    section('Tokens spent', tokenTable(s.tokens, s.model)),
    section('Details', meta(item, [['Summary', `#${s.id}`], ['Prompt', s.prompt_number ? `#${s.prompt_number}` : '']])),
  ];
}

function renderPrompt(p: Prompt, item: FeedItem): Array<HTMLElement | null> {
  return [
    ...heading(`Prompt #${p.prompt_number}`, h('span', { class: 'badge badge-prompt' }, 'prompt')),
    h('pre', { class: 'prompt-text' }, hl(p.prompt_text)),
    section('Details', meta(item)),
  ];
}
