// Human-readable tables for CLI output.
import type { SearchResults } from '../types.js';

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export function formatSearchTable(res: SearchResults): string {
  const lines: string[] = [];
  if (res.observations.length) {
    lines.push('ID      DATE              TYPE            PROJECT          TITLE');
    for (const o of res.observations) {
      const date = o.created_at.slice(0, 16).replace('T', ' ');
      lines.push(`${String(o.id).padEnd(7)} ${date.padEnd(17)} ${o.type.padEnd(15)} ${cut(o.project, 16).padEnd(16)} ${cut(o.title, 80)}`);
    }
  }
  if (res.sessions.length) {
    lines.push('', 'Session summaries:');
    for (const s of res.sessions) lines.push(`  S${s.id} ${s.created_at.slice(0, 10)} ${cut(s.request || s.completed, 100)}`);
  }
  if (res.prompts.length) {
    lines.push('', 'Prompts:');
    for (const p of res.prompts) lines.push(`  P${p.id} ${p.created_at.slice(0, 10)} ${cut(p.prompt_text.replace(/\s+/g, ' '), 100)}`);
  }
  return lines.length ? lines.join('\n') : 'No results.';
}
