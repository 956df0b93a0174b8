// The hook-side bounds that keep a capture small, tested on the
// functions themselves (the process-level behaviour is in privacy-at-capture.test.ts).
import { describe, expect, it } from 'vitest';
import { salvageOversized } from '../../src/capture/hooks/hook-io.js';
import { boundToJsonSize, MAX_EVENT_JSON_CHARS } from '../../src/capture/bound.js';

describe('salvageOversized (a payload too large to parse)', () => {
  const head =
    '{"session_id":"s-1","transcript_path":"/t.jsonl","cwd":"/home/u/proj","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"cat big"},"tool_response":{"stdout":"';
  const tail = 'xxxx "tool_use_id":"nested-not-this" xxx","stderr":""},"tool_use_id":"toolu_real","duration_ms":5}';

  it('recovers the identifying fields from the two ends and notes the size', () => {
    const out = salvageOversized({ text: head + 'x'.repeat(1000), bytes: 200_000_000, tail: 'x'.repeat(1000) + tail });
    expect(out).toMatchObject({
      session_id: 's-1',
      cwd: '/home/u/proj',
      hook_event_name: 'PostToolUse',
      tool_name: 'Bash',
      tool_use_id: 'toolu_real',
    });
    expect(String(out!.tool_response)).toMatch(/200000000 bytes was too large/);
    expect(out!.error).toBeUndefined();
  });

  it('ignores look-alike fields inside the tool data at the head', () => {
    const sneaky = '{"hook_event_name":"PostToolUse","tool_input":{"session_id":"fake","cwd":"/fake"},"session_id":"late"';
    const out = salvageOversized({ text: sneaky, bytes: 1, tail: ',"tool_use_id":"t"}' });
    expect(out?.cwd).toBeUndefined();
    expect(out?.session_id).not.toBe('fake');
  });

  it('gives up (null) for non-tool events or when the event cannot be identified', () => {
    expect(salvageOversized({ text: '{"session_id":"s","hook_event_name":"UserPromptSubmit","prompt":"', bytes: 1, tail: '"}' })).toBeNull();
    expect(salvageOversized({ text: '{"hook_event_name":"PostToolUse","tool_response":"', bytes: 1, tail: '"}' })).toBeNull();
  });

  it('a failure gets the note as its error', () => {
    const out = salvageOversized({
      text: '{"session_id":"s","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"c":"',
      bytes: 5,
      tail: '"},"tool_use_id":"t","error":"Exit 1"}',
    });
    expect(out?.error).toMatch(/too large/);
    expect(out?.tool_response).toBeUndefined();
  });
});

describe('boundToJsonSize', () => {
  it('leaves small values alone', () => {
    const v = { a: 'x'.repeat(1000), b: [1, 2, { c: 'd' }] };
    expect(boundToJsonSize(v)).toEqual(v);
  });

  it('bounds the total, keeping every key', () => {
    const wide = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'v'.repeat(60_000)]));
    const out = boundToJsonSize(wide) as Record<string, string>;
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(MAX_EVENT_JSON_CHARS);
    expect(Object.keys(out)).toHaveLength(400);
  });

  it('summarises a structure too wide to fit even with tiny fields', () => {
    const deep = Array.from({ length: 500 }, () => Array.from({ length: 500 }, () => 'x'.repeat(300)));
    const out = boundToJsonSize(deep);
    // Keeps what fits, in order, and says what was left out.
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(MAX_EVENT_JSON_CHARS + 1024);
    const arr = out as unknown[];
    expect(String(arr.at(-1))).toMatch(/^\[\d+ more items omitted\]$/);
    expect((arr[0] as string[])).toHaveLength(500);
    expect((arr[0] as string[])[0].startsWith('xxx')).toBe(true);
    expect(arr.length).toBeLessThan(500);
  });
});
