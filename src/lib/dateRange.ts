// The one rule for date bounds in search filters, used by the HTTP API, the MCP tools and the
// viewer alike. A date-only bound (YYYY-MM-DD) means that whole calendar day in the worker's local
// time zone — the machine the user sits at — so "until 2026-11-25" includes the evening of the
// 25th: a start is 00:00:00.000 that day, an end is 23:59:59.999. A date with a time is read as
// ISO 8601 (with its zone, or local time without one); digits alone are epoch milliseconds.

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms for a bound, or null when the value is not a date. */
export function parseDateBound(value: string | number, edge: 'start' | 'end'): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const day = DATE_ONLY.exec(text);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const t = edge === 'start' ? new Date(y, m, d, 0, 0, 0, 0) : new Date(y, m, d, 23, 59, 59, 999);
    // Reject rolled-over dates (2026-02-31 would silently become March 3rd).
    return t.getFullYear() === y && t.getMonth() === m && t.getDate() === d ? t.getTime() : null;
  }
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : null;
}

export const DATE_BOUND_HELP = 'an ISO date (2026-11-25: that whole day, local time), an ISO date-time (2026-11-25T14:00:00Z) or epoch milliseconds';
