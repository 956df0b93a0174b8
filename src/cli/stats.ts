// `claude-mem stats`: what the memory agent spent, as a table (or JSON).
import type { UsageStats } from '../api/types.js';

const n = (x: number) => x.toLocaleString('en-US');
const usd = (x: number | null) => (x === null ? '–' : x < 0.01 && x > 0 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);

export function formatUsageStats(s: UsageStats): string {
  if (s.rows.length === 0) return `No memory-agent requests since ${s.sinceDay}.`;
  const head = [s.by, 'requests', 'input', 'output', 'cache read', 'cache write', 'est. cost'];
  const body = s.rows.map((r) => [r.key, n(r.requests), n(r.input_tokens), n(r.output_tokens), n(r.cache_read_tokens), n(r.cache_write_tokens), usd(r.costUsd)]);
  const t = s.total;
  body.push(['total', n(t.requests), n(t.input_tokens), n(t.output_tokens), n(t.cache_read_tokens), n(t.cache_write_tokens), usd(t.costUsd)]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  const out = [`Memory-agent usage since ${s.sinceDay} (UTC), by ${s.by}:`, line(head), ...body.map(line)];
  if (t.unpriced.length) out.push(`No price for ${t.unpriced.join(', ')}: set CLAUDE_MEM_MODEL_PRICES to include it in the cost.`);
  return out.join('\n');
}
