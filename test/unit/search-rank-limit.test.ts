// The rank limit (termPruning.planTerms): on a store larger than the limit, a query is matched on
// its rarest words and a query of common words only ranks the newest matches — on both backends.
// The limit is set tiny here so a store of ~80 rows shows what 5,000 does to a large one.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObservationInput } from '../../src/api/types.js';
import type { Store } from '../../src/store/Store.js';
import { observationInput, storeBackends } from '../helpers/backends.js';
import { stopPgServer } from '../helpers/postgres.js';

const BACKENDS = storeBackends('cm-rank-limit-');
afterAll(() => stopPgServer());

const OLD_STRONG = 20;
const RECENT = 60;

/** Oldest first: strong "widget" matches, then weaker recent ones, then one "flux" row. */
function corpus(): ObservationInput[] {
  const rows: ObservationInput[] = [];
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  // One session each: no neighbours in the ranking.
  const obs = (i: number, title: string, narrative: string, project = 'proj') =>
    observationInput({ content_session_id: `s-${i}`, project, title, narrative, created_at: at(i) });
  for (let i = 0; i < OLD_STRONG; i++) rows.push(obs(i, `Widget widget ${i}`, 'widget widget widget'));
  for (let i = 0; i < RECENT; i++) {
    const n = OLD_STRONG + i;
    rows.push(obs(n, `Note ${n}`, `A long note about many things, the layout, the colours, and once a widget. Item ${n}.`, i % 2 ? 'proj' : 'other'));
  }
  rows.push(obs(OLD_STRONG + RECENT, 'Flux capacitor', 'Calibrated the flux capacitor next to the widget.'));
  return rows;
}

describe.each(BACKENDS)('$name store: rank limit', (backend) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  const titles = async (query: string, project?: string) =>
    (await store.search.search({ query, project, kinds: ['observations'], limit: 20 })).observations.map((o) => o.title);

  describe('limit 10', () => {
    beforeEach(async () => {
      store = await backend.open({ rankLimit: 10 });
      await store.sessions.importAll({ observations: corpus(), summaries: [], prompts: [] });
    });

    it('matches on the rare word alone when the common one would exceed the limit', async () => {
      expect(await titles('widget flux')).toEqual(['Flux capacitor']);
    });

    it('a date order is not ranked, so it keeps every word', async () => {
      const res = await store.search.search({ query: 'widget flux', kinds: ['observations'], orderBy: 'date_desc', limit: 5 });
      expect(res.observations.map((o) => o.title)).toContain('Note 79');
    });

    it('ranks only the newest matches when every word is common', async () => {
      const found = await titles('widget');
      expect(found).toHaveLength(20);
      expect(found.some((t) => t.startsWith('Widget widget'))).toBe(false);
    });

    it('keeps the project filter among the newest matches', async () => {
      const found = await titles('widget', 'other');
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((t) => t.startsWith('Note '))).toBe(true);
    });
  });

  it('ranks every match when the store is within the limit', async () => {
    store = await backend.open();
    await store.sessions.importAll({ observations: corpus(), summaries: [], prompts: [] });
    expect((await titles('widget'))[0]).toMatch(/^Widget widget/);
  });
});
