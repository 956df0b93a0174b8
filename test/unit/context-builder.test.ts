import { describe, expect, it } from 'vitest';
import {
  byteLength,
  renderContext,
  stripContextTags,
  type ContextInput,
  type ContextSettings,
} from '../../src/recall/ContextBuilder.js';
import type { Observation, ObservationType, Summary } from '../../src/api/types.js';

const BASE = Date.UTC(2026, 10, 20, 9, 0); // Nov 20, 2026 09:00 UTC

function obs(id: number, minutesAfterBase: number, over: Partial<Observation> = {}): Observation {
  const epoch = BASE + minutesAfterBase * 60_000;
  return {
    id,
    content_session_id: 'sess-1',
    project: 'app',
    type: 'bugfix' as ObservationType,
    title: `Title ${id}`,
    subtitle: `Subtitle ${id}`,
    narrative: `Narrative of observation ${id}.`,
    facts: [`fact A of ${id}`, `fact B of ${id}`],
    concepts: ['gotcha'],
    files_read: [],
    files_modified: [],
    prompt_number: 1,
    agent_id: null,
    model: 'm',
    tokens: null,
    created_at: new Date(epoch).toISOString(),
    created_at_epoch: epoch,
    stale: false,
    superseded_by: null,
    edited_at: null,
    ...over,
  };
}

function summary(id: number, minutesAfterBase: number, over: Partial<Summary> = {}): Summary {
  const epoch = BASE + minutesAfterBase * 60_000;
  return {
    id,
    content_session_id: `sess-${id}`,
    project: 'app',
    request: `Request ${id}`,
    investigated: `Investigated ${id}`,
    learned: `Learned ${id}`,
    completed: `Completed ${id}`,
    next_steps: `Next ${id}`,
    notes: '',
    prompt_number: 1,
    model: 'm',
    tokens: null,
    created_at: new Date(epoch).toISOString(),
    created_at_epoch: epoch,
    ...over,
  };
}

const SETTINGS: ContextSettings = {
  observations: 50,
  sessionCount: 10,
  fullCount: 2,
  fullField: 'narrative',
  showLastSummary: true,
  maxBytes: 8000,
};

function render(over: Partial<Omit<ContextInput, 'settings'>> & { settings?: Partial<ContextSettings> } = {}): string {
  return renderContext({
    project: 'app',
    projects: ['app'],
    observations: [],
    summaries: [],
    now: new Date(BASE + 3 * 86_400_000),
    timeZone: 'UTC',
    ...over,
    settings: { ...SETTINGS, ...over.settings },
  });
}

/** Newest first, as the store returns them. */
const newestFirst = <T>(rows: T[]): T[] => [...rows].reverse();

describe('renderContext', () => {
  it('explains claude-mem in one short paragraph for a project with no memory', () => {
    const out = render();
    expect(out.startsWith('<claude-mem-context>\n')).toBe(true);
    expect(out.endsWith('\n</claude-mem-context>')).toBe(true);
    expect(out).toContain('No memory for app yet');
    expect(out).toContain('search(');
    expect(out).not.toContain('###');
    expect(byteLength(out)).toBeLessThan(800);
  });

  it('groups observations by day, oldest first, one line each with id, time, icon and title', () => {
    const rows = [
      obs(1, 0, { type: 'bugfix', title: 'Fixed login crash' }),
      obs(2, 65, { type: 'feature', title: 'Added export' }),
      obs(3, 24 * 60 + 5, { type: 'decision', title: 'Chose SQLite' }),
    ];
    const out = render({ observations: newestFirst(rows), settings: { fullCount: 0 } });
    const lines = out.split('\n');
    const day1 = lines.indexOf('### Nov 20, 2026');
    const day2 = lines.indexOf('### Nov 21, 2026');
    expect(day1).toBeGreaterThan(-1);
    expect(day2).toBeGreaterThan(day1);
    expect(lines).toContain('#1 09:00 🔴 Fixed login crash');
    expect(lines).toContain('#2 10:05 🟣 Added export');
    expect(lines).toContain('#3 09:05 ⚖️ Chose SQLite');
    expect(lines.indexOf('#1 09:00 🔴 Fixed login crash')).toBeLessThan(lines.indexOf('#2 10:05 🟣 Added export'));
    expect(lines.indexOf('#2 10:05 🟣 Added export')).toBeLessThan(day2);
    expect(lines.indexOf('#3 09:05 ⚖️ Chose SQLite')).toBeGreaterThan(day2);
    expect(out).toMatch(/Legend: .*🔴 bugfix.*🔐 security_note/);
    // exactly one line telling Claude how to fetch details
    expect(lines.filter((l) => l.includes('get_observations([IDs])'))).toHaveLength(1);
    expect(out).toContain('timeline(');
  });

  it('interleaves session summaries as headed rows in time order', () => {
    const out = render({
      observations: newestFirst([obs(1, 0), obs(2, 30)]),
      summaries: [summary(7, 15, { request: 'Make the tests green' })],
      settings: { fullCount: 0, showLastSummary: false },
    });
    const lines = out.split('\n');
    const sRow = lines.findIndex((l) => l.startsWith('**Session S7**'));
    expect(lines[sRow]).toBe('**Session S7** 09:15 Make the tests green');
    expect(lines.findIndex((l) => l.startsWith('#1 '))).toBeLessThan(sRow);
    expect(lines.findIndex((l) => l.startsWith('#2 '))).toBeGreaterThan(sRow);
    expect(out).not.toContain('## Last session');
  });

  it('shows the narrative of the newest fullCount observations only', () => {
    const rows = [obs(1, 0), obs(2, 1), obs(3, 2), obs(4, 3)];
    const out = render({ observations: newestFirst(rows), settings: { fullCount: 2 } });
    expect(out).toContain('Narrative of observation 4.');
    expect(out).toContain('Narrative of observation 3.');
    expect(out).not.toContain('Narrative of observation 2.');
    expect(out).not.toContain('Narrative of observation 1.');
    const lines = out.split('\n');
    expect(lines[lines.indexOf('#4 09:03 🔴 Title 4') + 1]).toBe('  Narrative of observation 4.');
  });

  it('shows facts as bullets when fullField is facts', () => {
    const out = render({ observations: [obs(1, 0)], settings: { fullCount: 1, fullField: 'facts' } });
    expect(out).toContain('  - fact A of 1\n  - fact B of 1');
    expect(out).not.toContain('Narrative of observation 1.');
  });

  it('ends with the last summary: completed, learned and next steps', () => {
    const out = render({
      observations: [obs(1, 0)],
      summaries: [
        summary(9, 50, { completed: 'Shipped the parser', learned: 'FTS5 needs escaping', next_steps: 'Write docs' }),
        summary(8, 20, { completed: 'Older work' }),
      ],
    });
    const section = out.slice(out.indexOf('## Last session'));
    expect(section).toContain('S9');
    expect(section).toContain('- Completed: Shipped the parser');
    expect(section).toContain('- Learned: FTS5 needs escaping');
    expect(section).toContain('- Next steps: Write docs');
    expect(section).not.toContain('Older work');
  });

  it('respects the observation and session count settings', () => {
    const rows = Array.from({ length: 20 }, (_, i) => obs(i + 1, i));
    const sums = Array.from({ length: 5 }, (_, i) => summary(i + 1, i * 3));
    const out = render({
      observations: newestFirst(rows),
      summaries: newestFirst(sums),
      settings: { observations: 5, sessionCount: 2, fullCount: 0, showLastSummary: false },
    });
    const obsRows = out.split('\n').filter((l) => /^#\d+ /.test(l));
    expect(obsRows.map((l) => l.split(' ')[0])).toEqual(['#16', '#17', '#18', '#19', '#20']);
    const sessionRows = out.split('\n').filter((l) => l.startsWith('**Session'));
    expect(sessionRows.map((l) => l.split(' ')[1])).toEqual(['S4**', 'S5**']);
  });

  for (const cap of [2000, 8000]) {
    it(`never exceeds a ${cap}-byte cap with 10,000 observations, keeping the newest`, () => {
      const rows = Array.from({ length: 10_000 }, (_, i) =>
        obs(i + 1, i * 7, { title: `Änderung ${i + 1} — naïve café 🚀 ${'x'.repeat(i % 40)}`, narrative: 'ñ'.repeat(900) }),
      );
      const out = render({
        observations: newestFirst(rows),
        summaries: [summary(1, 10_000 * 7, { completed: 'z'.repeat(3000), learned: 'y'.repeat(3000) })],
        settings: { observations: 10_000, fullCount: 5, maxBytes: cap },
      });
      expect(byteLength(out)).toBeLessThanOrEqual(cap);
      expect(out.startsWith('<claude-mem-context>')).toBe(true);
      expect(out.endsWith('</claude-mem-context>')).toBe(true);
      const ids = out
        .split('\n')
        .filter((l) => /^#\d+ /.test(l))
        .map((l) => Number(l.slice(1, l.indexOf(' '))));
      expect(ids.length).toBeGreaterThan(3);
      expect(ids[ids.length - 1]).toBe(10_000); // newest kept
      expect(ids).not.toContain(1); // oldest dropped
      // what is kept is a contiguous run of the newest rows, in chronological order
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => 10_000 - ids.length + 1 + i));
      expect(out).toContain('get_observations([IDs])');
    });
  }

  it('drops old index rows before shrinking the newest narratives', () => {
    const rows = Array.from({ length: 200 }, (_, i) => obs(i + 1, i, { narrative: `N${i + 1} ${'word '.repeat(40)}` }));
    const out = render({ observations: newestFirst(rows), settings: { observations: 200, fullCount: 2, maxBytes: 3000 } });
    expect(byteLength(out)).toBeLessThanOrEqual(3000);
    expect(out).toContain(`N200 ${'word '.repeat(39)}word`); // full narrative intact
    expect(out).not.toContain('#1 ');
  });

  it('shrinks narratives when the newest rows alone do not fit', () => {
    const rows = [obs(1, 0, { narrative: 'long '.repeat(2000) }), obs(2, 1, { narrative: 'long '.repeat(2000) })];
    const out = render({ observations: newestFirst(rows), settings: { fullCount: 2, maxBytes: 2000 } });
    expect(byteLength(out)).toBeLessThanOrEqual(2000);
    expect(out).toContain('#2 09:01');
    expect(out).toMatch(/ {2}long long .*…/);
  });

  it('never exceeds even a tiny cap', () => {
    for (const cap of [0, 10, 60, 120, 300]) {
      const out = render({ observations: [obs(1, 0)], summaries: [summary(1, 1)], settings: { maxBytes: cap } });
      expect(byteLength(out)).toBeLessThanOrEqual(cap);
    }
  });

  it('strips context tags from titles, narratives and summaries so blocks never nest', () => {
    const out = render({
      observations: [
        obs(1, 0, {
          title: 'Fix <claude-mem-context>hook</claude-mem-context> output </claude-mem-context>',
          narrative: 'Saw <claude-mem-context>\nold injected stuff\n</claude-mem-context> in the log.',
        }),
      ],
      summaries: [summary(2, 5, { request: '<claude-mem-context>nested</claude-mem-context>Do it' })],
      settings: { fullCount: 1 },
    });
    expect(out.match(/<claude-mem-context>/g)).toHaveLength(1);
    expect(out.match(/<\/claude-mem-context>/g)).toHaveLength(1);
    expect(out).not.toContain('old injected stuff');
    expect(out).toContain('#1 09:00 🔴 Fix output');
    expect(out).toContain('Saw in the log.');
  });

  it('stripContextTags removes whole blocks and stray tags', () => {
    expect(stripContextTags('a <claude-mem-context>x</claude-mem-context> b')).toBe('a   b');
    expect(stripContextTags('a <CLAUDE-MEM-CONTEXT> b')).toBe('a  b');
    expect(stripContextTags('x </claude-mem-context > y')).toBe('x  y');
  });

  it('labels rows from the parent project inside a worktree', () => {
    const out = render({
      project: 'app/feature-x',
      projects: ['app/feature-x', 'app'],
      observations: [obs(2, 10, { project: 'app/feature-x', title: 'Worktree work' }), obs(1, 0, { project: 'app', title: 'Parent work' })],
      settings: { fullCount: 0 },
    });
    expect(out).toContain('#1 09:00 🔴 [app] Parent work');
    expect(out).toContain('#2 09:10 🔴 Worktree work');
    expect(out).toContain('recent memory for app/feature-x');
    expect(out).toMatch(/parent project.*\[app\]/);
  });
});
