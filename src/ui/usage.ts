// Usage: the memory agent's tokens and estimated cost per day (a bar chart of the last 14 days)
// and per project, from GET /api/stats. Built from DOM nodes only, like the rest of the viewer.
import type { UsageStats, UsageStatsRow } from '../api/types.js';
import { formatNumber, h } from './dom.js';

const DAYS = 14;
const tokens = (r: Omit<UsageStatsRow, 'key'>) => r.input_tokens + r.output_tokens + r.cache_read_tokens + r.cache_write_tokens;
const usd = (x: number | null) => (x === null ? 'no price' : `$${x < 0.01 && x > 0 ? x.toFixed(4) : x.toFixed(2)}`);

async function stats(by: 'day' | 'project'): Promise<UsageStats> {
  const res = await fetch(`/api/stats?by=${by}&days=${DAYS}`);
  const body = (await res.json()) as UsageStats & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `GET /api/stats failed: HTTP ${res.status}`);
  return body;
}

/** One bar per UTC day (days without requests included), height by tokens, cost in the label. */
function dayChart(s: UsageStats): HTMLElement {
  const byDay = new Map(s.rows.map((r) => [r.key, r]));
  const days = Array.from({ length: DAYS }, (_, i) => new Date(Date.parse(`${s.sinceDay}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
  const max = Math.max(1, ...s.rows.map(tokens));
  return h(
    'div',
    { class: 'usage-chart', id: 'usage-chart', role: 'img', 'aria-label': `Memory-agent tokens per day since ${s.sinceDay}` },
    ...days.map((d) => {
      const r = byDay.get(d);
      const t = r ? tokens(r) : 0;
      const label = r ? `${d}: ${formatNumber(t)} tokens, ${r.requests} requests, ${usd(r.costUsd)}` : `${d}: nothing`;
      return h(
        'div',
        { class: 'usage-day', title: label, 'data-day': d },
        h('div', { class: 'usage-bar', style: `height:${Math.round((t / max) * 100)}%` }),
        h('span', { class: 'usage-label' }, d.slice(8)),
      );
    }),
  );
}

export async function usagePanel(): Promise<HTMLElement> {
  const panel = (...children: Array<Node | string | null>) =>
    h('section', { class: 'panel', 'aria-labelledby': 'usage-h', id: 'usage' }, h('h2', { id: 'usage-h' }, `Usage, last ${DAYS} days`), ...children);
  try {
    const [days, projects] = await Promise.all([stats('day'), stats('project')]);
    const t = days.total;
    return panel(
      h('p', {}, `${formatNumber(tokens(t))} tokens in ${formatNumber(t.requests)} requests, estimated ${usd(t.costUsd)}`, t.unpriced.length ? ` (no price for ${t.unpriced.join(', ')})` : ''),
      dayChart(days),
      projects.rows.length
        ? h(
            'table',
            { class: 'usage-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Project'), h('th', {}, 'Requests'), h('th', {}, 'Tokens'), h('th', {}, 'Est. cost'))),
            h('tbody', {}, ...projects.rows.slice(0, 10).map((r) => h('tr', {}, h('td', {}, r.key), h('td', {}, formatNumber(r.requests)), h('td', {}, formatNumber(tokens(r))), h('td', {}, usd(r.costUsd))))),
          )
        : h('p', { class: 'muted' }, 'No memory-agent requests yet.'),
    );
  } catch (err) {
    return panel(h('p', { class: 'banner banner-error' }, `Usage unavailable: ${(err as Error).message}`));
  }
}
