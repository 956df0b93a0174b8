// Status: worker health, the memory agent's provider and last error (verbatim), today's token spend
// against the budget, and dead-lettered events with a Retry button.
import type { DeadLetterRow as DeadLetter, HealthResponse as Health, QueueResponse as QueueState } from '../api/types.js';
import { api, errorMessage } from './api.js';
import { formatNumber, h, mount, timeEl, toast } from './dom.js';
import { usagePanel } from './usage.js';

function kv(rows: Array<[string, Node | string]>): HTMLElement {
  return h('dl', { class: 'kv' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function budgetMeter(b: Health['budget']): HTMLElement {
  const spent = formatNumber(b.spentToday);
  if (!b.dailyLimit) return h('p', {}, `${spent} tokens today (no daily budget set)`);
  const pct = Math.min(100, Math.round((b.spentToday / b.dailyLimit) * 100));
  return h(
    'div',
    { class: 'budget' },
    h('p', {}, `${spent} of ${formatNumber(b.dailyLimit)} tokens today (${pct}%)`, b.exhausted ? h('strong', { class: 'warn' }, ' — budget spent, events wait') : null),
    h('meter', { min: '0', max: String(b.dailyLimit), value: String(b.spentToday), high: String(b.dailyLimit * 0.8), optimum: '0', 'aria-label': 'Tokens spent today' }),
  );
}

/** The backend is unreachable: since when, when the agent tries again, and what it said last. */
function outageBanner(o: NonNullable<Health['outage']>): HTMLElement {
  const inSeconds = Math.max(0, Math.round((Date.parse(o.nextProbeAt) - Date.now()) / 1000));
  return h(
    'div',
    { class: 'banner banner-warn', id: 'outage', role: 'status' },
    h('p', {}, h('strong', {}, 'Backend unavailable'), ' since ', h('time', { datetime: o.since, title: new Date(o.since).toLocaleString() }, o.since), `, next probe in ${inSeconds}s`, o.probes ? ` (${o.probes} failed probe${o.probes === 1 ? '' : 's'} so far)` : '', '. Events wait in the queue; none are lost.'),
    h('pre', { class: 'error-text', id: 'outage-error' }, o.lastError),
  );
}

function healthCard(hl: Health): HTMLElement {
  const uptime = hl.uptimeSeconds < 3600 ? `${Math.round(hl.uptimeSeconds / 60)} min` : `${(hl.uptimeSeconds / 3600).toFixed(1)} h`;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'health-h' },
    h('h2', { id: 'health-h' }, 'Worker'),
    hl.paused ? h('p', { class: 'banner banner-warn', id: 'paused-reason' }, h('strong', {}, 'Paused: '), hl.paused) : null,
    hl.outage ? outageBanner(hl.outage) : null,
    kv([
      ['Status', hl.status],
      ['Version', hl.version],
      ['PID', String(hl.pid)],
      ['Uptime', uptime],
      ['Provider', hl.provider],
      ['Model', hl.model],
      ['Endpoint', h('code', { id: 'endpoint', class: 'endpoint' }, hl.baseUrl || hl.baseUrlHost || '—')],
      ['Queue depth', formatNumber(hl.queueDepth)],
      ['Dead-lettered', formatNumber(hl.deadLetters)],
    ]),
    h('h3', {}, 'Token spend'),
    budgetMeter(hl.budget),
    h('h3', {}, 'Last error'),
    hl.lastError
      ? h('div', { class: 'last-error' }, h('p', { class: 'muted' }, timeEl(Date.parse(hl.lastError.at)), hl.lastError.kind ? ` · ${hl.lastError.kind}` : ''), h('pre', { class: 'error-text', id: 'last-error' }, hl.lastError.message))
      : h('p', { class: 'muted' }, 'None since the worker started.'),
  );
}

function deadRow(d: DeadLetter, retry: (d: DeadLetter, btn: HTMLButtonElement) => void): HTMLElement {
  const btn = h('button', { type: 'button', class: 'btn', 'aria-label': `Retry dead-lettered event ${d.id}` }, 'Retry');
  btn.addEventListener('click', () => retry(d, btn));
  return h(
    'li',
    { class: 'dead', 'data-id': String(d.id) },
    h(
      'div',
      { class: 'dead-head' },
      h('strong', {}, `#${d.id} ${d.kind}`),
      h('span', { class: 'project' }, d.project),
      h('span', { class: 'muted' }, `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}, dead `, timeEl(Date.parse(d.dead_at))),
      btn,
    ),
    d.tool_use_id ? h('p', { class: 'muted small' }, 'tool_use_id ', h('code', {}, d.tool_use_id)) : null,
    h('pre', { class: 'error-text' }, d.last_error ?? '(no error recorded)'),
  );
}

function queueCard(q: QueueState, retry: (d: DeadLetter, btn: HTMLButtonElement) => void): HTMLElement {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'queue-h' },
    h('h2', { id: 'queue-h' }, 'Queue'),
    h('p', {}, `${formatNumber(q.depth)} event${q.depth === 1 ? '' : 's'} waiting to be processed.`),
    q.pending.length
      ? h(
          'ul',
          { class: 'pending' },
          ...q.pending.slice(0, 20).map((p) =>
            h('li', {}, h('span', {}, `#${p.id} ${p.kind}`), h('span', { class: 'project' }, p.project), h('span', { class: 'muted' }, `${p.attempts} attempts`), p.last_error ? h('pre', { class: 'error-text small' }, p.last_error) : null),
          ),
        )
      : null,
    h('h3', {}, 'Dead-lettered events'),
    q.deadLetters.length
      ? h('ul', { class: 'dead-list', id: 'dead-list' }, ...q.deadLetters.map((d) => deadRow(d, retry)))
      : h('p', { class: 'muted' }, 'None. Events that fail every attempt land here with their last error.'),
  );
}

export function initStatus(root: HTMLElement): { refresh: () => Promise<void> } {
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    try {
      const [health, queue, usage] = await Promise.all([api.health(), api.queue(), usagePanel()]);
      if (mine !== seq) return;
      mount(root, h('h2', { class: 'sr-only' }, 'Status'), h('div', { class: 'status-grid' }, healthCard(health), queueCard(queue, retry), usage));
    } catch (err) {
      if (mine === seq) mount(root, h('p', { class: 'banner banner-error', role: 'alert' }, `Could not reach the worker: ${errorMessage(err)}`));
    }
  };
  const retry = async (d: DeadLetter, btn: HTMLButtonElement) => {
    btn.disabled = true;
    try {
      await api.retryDead(d.id);
      toast(`Event #${d.id} queued again.`);
    } catch (err) {
      toast(`Retry failed: ${errorMessage(err)}`, 'error');
    }
    await refresh();
  };
  return { refresh };
}
