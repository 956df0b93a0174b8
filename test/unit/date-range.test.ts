// The date-bound rule shared by the HTTP API, the MCP tools and the viewer (lib/dateRange.ts).
import { expect, it } from 'vitest';
import { parseDateBound } from '../../src/lib/dateRange.js';

it('a date-only bound is that whole local day', () => {
  expect(parseDateBound('2026-11-25', 'start')).toBe(new Date(2026, 10, 25, 0, 0, 0, 0).getTime());
  expect(parseDateBound('2026-11-25', 'end')).toBe(new Date(2026, 10, 25, 23, 59, 59, 999).getTime());
});

it('a date-time or epoch is taken as given; nonsense and rolled-over days are refused', () => {
  expect(parseDateBound('2026-11-25T14:00:00Z', 'end')).toBe(Date.UTC(2026, 10, 25, 14));
  expect(parseDateBound('1764000000000', 'start')).toBe(1764000000000);
  expect(parseDateBound(1764000000000, 'end')).toBe(1764000000000);
  expect(parseDateBound('2026-02-31', 'end')).toBeNull();
  expect(parseDateBound('next tuesday', 'start')).toBeNull();
  expect(parseDateBound(-5, 'start')).toBeNull();
});
