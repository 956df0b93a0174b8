// What a memory-agent batch may hold: one prompt's events in order, at most maxEvents, ending at
// the turn's summary, waiting for more only while the prompt may still be running; an event that
// failed before goes alone. And which files an observation from a batch is about.
import { describe, expect, it } from 'vitest';
import { fieldCapFor, filesForObservation, formBatch } from '../../src/agent/batching.js';
import type { ParsedObservation } from '../../src/agent/parser.js';
import type { PendingEventRow } from '../../src/api/types.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
let nextId = 1;
function ev(kind: 'tool' | 'summarize', prompt: number | null, atMs: number, attempts = 0): PendingEventRow {
  return {
    id: nextId++,
    content_session_id: 's',
    project: 'p',
    kind,
    payload: kind === 'tool' ? { tool_name: 'Read', tool_input: {}, prompt_number: prompt, occurred_at: '' } : { last_assistant_message: 'done', prompt_number: prompt },
    tool_use_id: null,
    attempts,
    next_attempt_at: 0,
    claimed_by: 'w',
    claimed_at: 0,
    last_error: null,
    created_at: new Date(T0 + atMs).toISOString(),
  } as unknown as PendingEventRow;
}
const ids = (xs: PendingEventRow[]) => xs.map((e) => e.id);

describe('formBatch', () => {
  const rule = { maxEvents: 3, idleMs: 5000, now: T0 + 1000 };

  it('waits while the prompt may still be running, until its newest event is idleMs old', () => {
    const rows = [ev('tool', 1, 0), ev('tool', 1, 500)];
    expect(formBatch(rows, rule)).toMatchObject({ batch: rows, rest: [], dueAt: T0 + 5500 });
    expect(formBatch(rows, { ...rule, now: T0 + 5500 }).dueAt).toBeNull();
  });

  it('ends at the summary, which rides along, and at a prompt boundary', () => {
    const [a, s, b] = [ev('tool', 1, 0), ev('summarize', 1, 10), ev('tool', 2, 20)];
    expect(formBatch([a, s, b], rule)).toMatchObject({ batch: [a, s], rest: [b], dueAt: null });
    const [c, d] = [ev('tool', 1, 0), ev('tool', 2, 10)];
    expect(formBatch([c, d], rule)).toMatchObject({ batch: [c], rest: [d], dueAt: null });
  });

  it('holds at most maxEvents and sends a full batch at once', () => {
    const rows = [0, 1, 2, 3].map((i) => ev('tool', 1, i));
    const f = formBatch(rows, rule);
    expect(ids(f.batch)).toEqual(ids(rows.slice(0, 3)));
    expect(ids(f.rest)).toEqual([rows[3].id]);
    expect(f.dueAt).toBeNull();
  });

  it('retries an event that failed before on its own', () => {
    const rows = [ev('tool', 1, 0, 1), ev('tool', 1, 1), ev('tool', 1, 2)];
    expect(ids(formBatch(rows, rule).batch)).toEqual([rows[0].id]);
    const fresh = [ev('tool', 1, 0), ev('tool', 1, 1, 2)];
    expect(ids(formBatch(fresh, rule).batch)).toEqual([fresh[0].id]);
  });
});

describe('batch field caps and files', () => {
  it('shrinks fields as a batch grows, within bounds', () => {
    expect(fieldCapFor(1, 4000, 48_000)).toBe(4000);
    expect(fieldCapFor(20, 4000, 48_000)).toBe(1200);
    expect(fieldCapFor(1000, 4000, 48_000)).toBe(400);
  });

  it('an observation gets the touched files it names, plus the ones the model listed', () => {
    const obs: ParsedObservation = {
      type: 'discovery',
      title: 'parser.ts strips code fences',
      subtitle: '',
      narrative: 'The reply parser removes fences.',
      facts: [],
      concepts: [],
      files_read: ['src/extra.ts'],
      files_modified: [],
    };
    const touched = { read: ['/repo/src/parser.ts', '/repo/src/unrelated.ts'], modified: ['/repo/src/other.ts'] };
    expect(filesForObservation(obs, touched, '/repo')).toEqual({ files_read: ['/repo/src/extra.ts', '/repo/src/parser.ts'], files_modified: [] });
  });
});
