// Cost you can see: the usage ledger grouped by day, project, session or model, with tokens and
// estimated cost (pricing.ts), for `claude-mem stats` and the viewer's chart.
import type { UsageStats, UsageStatsRow } from '../api/types.js';
import type { Settings } from '../config/SettingsManager.js';
import type { Store, UsageGroup } from '../store/Store.js';
import { costOf, priceTable } from './pricing.js';

const zero = (): Omit<UsageStatsRow, 'key'> => ({ requests: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, costUsd: null, unpriced: [] });

/** Ledger totals of the last `days` UTC days (today included). Throws PriceTableError for a bad price setting. */
export async function usageStats(store: Store, settings: Settings, q: { by: UsageGroup; days: number; now?: number }): Promise<UsageStats> {
  const prices = priceTable(settings.CLAUDE_MEM_MODEL_PRICES);
  const sinceDay = new Date((q.now ?? Date.now()) - (q.days - 1) * 86_400_000).toISOString().slice(0, 10);
  const total = zero();
  const rows: UsageStatsRow[] = [];
  for (const g of await store.queue.usage(q.by, sinceDay)) {
    const row: UsageStatsRow = { ...zero(), key: g.key };
    for (const part of g.byModel) {
      for (const r of [row, total]) {
        r.requests += part.requests;
        r.input_tokens += part.input_tokens;
        r.output_tokens += part.output_tokens;
        r.cache_read_tokens += part.cache_read_tokens;
        r.cache_write_tokens += part.cache_write_tokens;
        const cost = costOf(part, part.model, prices);
        if (cost === null) {
          if (!r.unpriced.includes(part.model)) r.unpriced.push(part.model);
        } else r.costUsd = (r.costUsd ?? 0) + cost;
      }
    }
    rows.push(row);
  }
  if (q.by === 'day') rows.sort((a, b) => a.key.localeCompare(b.key));
  return { by: q.by, sinceDay, rows, total };
}
