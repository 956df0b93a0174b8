// The detail panel: a modal <dialog> (Escape closes it, focus stays inside while open and returns
// to the card that opened it).
import { OBSERVATION_TYPES, type LivePrompt as Prompt, type Observation, type Summary, type TokenUsage as Tokens } from '../api/types.js';
import { api, errorMessage } from './api.js';
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
    statusLine(o, item),
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
        ['Corrected', o.edited_at ? new Date(o.edited_at).toLocaleString() : ''],
      ]),
    ),
    actions(o, item),
  ];
}

// ---- trust: superseded / stale status, correct, forget ------------------------------------------

/** Superseded (with a link to the newer one, and undo) and stale marks; null when current and fresh. */
function statusLine(o: Observation, item: FeedItem): HTMLElement | null {
  const parts: Array<Node | string> = [];
  if (o.superseded_by) {
    const newer = h('button', { type: 'button', class: 'link', 'data-action': 'open-newer' }, `#${o.superseded_by}`);
    newer.addEventListener('click', () => void openById(o.superseded_by!));
    const undo = h('button', { type: 'button', class: 'btn', 'data-action': 'unsupersede' }, 'Make current again');
    undo.addEventListener('click', () => void run(undo, async () => reopen(item, await api.supersede(o.id, null))));
    parts.push('Superseded by ', newer, ' ', undo);
  }
  if (o.stale) {
    const files = o.stale_files?.length ? o.stale_files.join(', ') : 'a file it describes';
    parts.push(h('span', { class: 'stale' }, `Stale: ${files} changed since this was recorded.`));
  }
  return parts.length ? h('p', { class: 'detail-status', role: 'status' }, ...parts) : null;
}

async function openById(id: number): Promise<void> {
  try {
    const row = await api.observation(id);
    openDetail({ kind: 'observation', row } as FeedItem, opener);
  } catch (err) {
    mount(body, h('p', { class: 'error-text', role: 'alert' }, errorMessage(err)));
  }
}

function reopen(item: FeedItem, row: Observation): void {
  const next = { ...item, row } as FeedItem;
  mount(body, ...render(next));
}

/** Runs a button's action, showing its error next to it instead of failing silently. */
async function run(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    button.disabled = false;
    button.after(h('span', { class: 'error-text', role: 'alert' }, ` ${errorMessage(err)}`));
  }
}

function actions(o: Observation, item: FeedItem): HTMLElement {
  const edit = h('button', { type: 'button', class: 'btn', 'data-action': 'edit' }, 'Edit');
  const del = h('button', { type: 'button', class: 'btn', 'data-action': 'delete' }, 'Delete…');
  const bar = h('div', { class: 'detail-actions' }, edit, ' ', del);
  edit.addEventListener('click', () => mount(body, editForm(o, item)));
  del.addEventListener('click', () => {
    // The confirmation lives in the panel: nothing is deleted until "Forget" is pressed.
    const yes = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'confirm-delete' }, 'Forget');
    const no = h('button', { type: 'button', class: 'btn', 'data-action': 'cancel-delete' }, 'Cancel');
    const ask = h(
      'div',
      { class: 'detail-confirm', role: 'alertdialog', 'aria-label': 'Confirm delete' },
      h('p', {}, `Forget #${o.id} for good? It is removed from search, context and the database, and will not come back. This cannot be undone.`),
      yes,
      ' ',
      no,
    );
    no.addEventListener('click', () => ask.replaceWith(bar));
    yes.addEventListener('click', () =>
      void run(yes, async () => {
        const r = await api.forgetObservation(o.id);
        // The card goes too: the feed shows what exists.
        opener?.closest('article.card')?.remove();
        opener = null;
        mount(
          body,
          h('h2', { id: 'detail-title', tabindex: '-1' }, `Forgot #${o.id}`),
          h(
            'p',
            { class: 'detail-receipt', role: 'status' },
            `Removed ${r.observations} observation${r.observations === 1 ? '' : 's'}, ${r.queuedEvents} queued event(s), ${r.vectors} vector(s).`,
          ),
        );
        (document.getElementById('detail-title') as HTMLElement).focus();
      }),
    );
    bar.replaceWith(ask);
    yes.focus();
  });
  return bar;
}

function field(label: string, control: HTMLElement, id: string): HTMLElement {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

/** The correction form: only changed fields are sent; the row comes back re-indexed. */
function editForm(o: Observation, item: FeedItem): HTMLElement {
  const title = h('input', { type: 'text', value: o.title, required: true, maxlength: '2000' });
  const subtitle = h('input', { type: 'text', value: o.subtitle });
  const narrative = h('textarea', { rows: '6' }, o.narrative);
  const facts = h('textarea', { rows: '4' }, o.facts.join('\n'));
  const concepts = h('input', { type: 'text', value: o.concepts.join(', ') });
  const type = h('select', {}, ...OBSERVATION_TYPES.map((t) => h('option', { value: t, selected: t === o.type }, t)));
  const error = h('p', { class: 'error-text', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'save-edit' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'btn', 'data-action': 'cancel-edit' }, 'Cancel');
  cancel.addEventListener('click', () => reopen(item, o));
  const form = h(
    'form',
    { class: 'detail-edit', 'aria-label': `Edit observation #${o.id}` },
    h('h2', { id: 'detail-title', tabindex: '-1' }, `Edit #${o.id}`),
    field('Title', title, 'edit-title'),
    field('Subtitle', subtitle, 'edit-subtitle'),
    field('Narrative', narrative, 'edit-narrative'),
    field('Facts (one per line)', facts, 'edit-facts'),
    field('Concepts (comma-separated)', concepts, 'edit-concepts'),
    field('Type', type, 'edit-type'),
    error,
    save,
    ' ',
    cancel,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {
      title: title.value.trim(),
      subtitle: subtitle.value,
      narrative: narrative.value,
      facts: facts.value.split('\n').map((f) => f.trim()).filter(Boolean),
      concepts: concepts.value.split(',').map((c) => c.trim()).filter(Boolean),
      type: type.value as Observation['type'],
    };
    const patch = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(o[k as keyof typeof next])),
    );
    if (Object.keys(patch).length === 0) return reopen(item, o);
    save.disabled = true;
    api
      .editObservation(o.id, patch)
      .then((row) => reopen(item, row))
      .catch((err: unknown) => {
        save.disabled = false;
        error.textContent = errorMessage(err);
      });
  });
  return form;
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
