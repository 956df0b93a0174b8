// DOM helpers. Every piece of data reaches the page as a text node or an attribute value set
// through the DOM API: the viewer never assigns innerHTML, so untrusted observation text cannot
// become markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates an element; `on*` attributes become listeners, `false`/`null` attributes are omitted. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Replaces an element's children. */
export function mount(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, ...children);
}

const FTS_WORDS = new Set(['and', 'or', 'not', 'near']);

/** Words of a search query worth highlighting (FTS operators and punctuation dropped). */
export function searchTerms(query: string): string[] {
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length >= 2 && !FTS_WORDS.has(w));
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Text with every occurrence of `terms` wrapped in <mark>. Built from text nodes, so the text is
 * escaped by construction before any highlight is added.
 */
export function highlight(text: string, terms: string[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  if (!terms.length || !text) {
    frag.appendChild(document.createTextNode(text));
    return frag;
  }
  const re = new RegExp(terms.map(escapeRegExp).join('|'), 'giu');
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > last) frag.appendChild(document.createTextNode(text.slice(last, at)));
    frag.appendChild(h('mark', {}, m[0]));
    last = at + m[0].length;
  }
  if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

/** "3 min ago" style time, with the exact timestamp available as a tooltip. */
export function timeAgo(epochMs: number, now = Date.now()): string {
  const s = Math.round((now - epochMs) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return `${hrs} h ago`;
  const d = Math.round(hrs / 24);
  if (d < 30) return `${d} d ago`;
  return new Date(epochMs).toLocaleDateString();
}

export function timeEl(epochMs: number): HTMLTimeElement {
  const iso = Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : '';
  return h('time', { datetime: iso, title: iso ? new Date(epochMs).toLocaleString() : '' }, timeAgo(epochMs));
}

export function formatNumber(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : String(n);
}

/** A polite live region message (screen readers) plus a visible toast. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const region = document.getElementById('toast');
  if (!region) return;
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 3500);
}
