import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesTouched, renderValue } from '../../src/agent/eventFormat.js';
import { capText, estimateTokens, truncateMiddle, truncationMarker } from '../../src/lib/text.js';

const FIXTURES = path.resolve(__dirname, '../fixtures/claude-code-hooks');
const fixture = (name: string): { tool_name: string; tool_input: unknown; tool_response?: unknown } =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

/** A lone surrogate (half of a split pair) anywhere in the string. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('truncateMiddle', () => {
  it('returns short text unchanged, including text exactly at the limit', () => {
    expect(truncateMiddle('hello', 10)).toBe('hello');
    expect(truncateMiddle('0123456789', 10)).toBe('0123456789');
    expect(truncateMiddle('', 0)).toBe('');
  });

  it('keeps head and tail around an explicit marker that counts the removed chars', () => {
    const text = 'A'.repeat(50) + 'M'.repeat(1000) + 'Z'.repeat(50);
    const out = truncateMiddle(text, 100);
    expect(out.startsWith('A'.repeat(50))).toBe(true);
    expect(out.endsWith('Z'.repeat(50))).toBe(true);
    expect(out).toContain('\n…[truncated 1000 chars]…\n');
    expect(out).not.toContain('M');
    expect(out.length).toBe(100 + truncationMarker(1000).length);
  });

  it('respects the bound for many lengths and limits', () => {
    const rand = rng(7);
    for (let i = 0; i < 500; i++) {
      const len = Math.floor(rand() * 5000);
      const max = Math.floor(rand() * 600);
      const text = 'x'.repeat(len);
      const out = truncateMiddle(text, max);
      if (len <= max) {
        expect(out).toBe(text);
      } else {
        const marker = truncationMarker(len - max);
        expect(out.length).toBe(max + marker.length);
        expect(out).toContain(marker);
      }
    }
  });

  it('never splits a surrogate pair and still respects the bound', () => {
    const emoji = '😀'; // two UTF-16 units
    const rand = rng(11);
    for (let i = 0; i < 300; i++) {
      const parts: string[] = [];
      const n = 50 + Math.floor(rand() * 400);
      for (let j = 0; j < n; j++) parts.push(rand() < 0.6 ? emoji : 'a');
      const text = parts.join('');
      const max = Math.floor(rand() * 120);
      const out = truncateMiddle(text, max);
      expect(out).not.toMatch(LONE_SURROGATE);
      if (text.length > max) {
        const removed = Number(/truncated (\d+) chars/.exec(out)?.[1]);
        expect(out.length).toBe(text.length - removed + truncationMarker(removed).length);
        expect(text.length - removed).toBeLessThanOrEqual(max);
      }
    }
  });

  it('with maxChars 0 leaves only the marker', () => {
    expect(truncateMiddle('abc', 0)).toBe(truncationMarker(3));
  });

  it('rejects a bad maxChars, naming it', () => {
    expect(() => truncateMiddle('abc', -1)).toThrow(/maxChars/);
    expect(() => truncateMiddle('abc', 1.5)).toThrow(/maxChars/);
    expect(() => truncateMiddle('abc', Number.NaN)).toThrow(/maxChars/);
  });
});

describe('capText', () => {
  it('cuts to the limit with an ellipsis and keeps surrogate pairs whole', () => {
    expect(capText('short', 10)).toBe('short');
    expect(capText('abcdefghij', 5)).toBe('abcd…');
    expect(capText('abcdefghij', 5).length).toBe(5);
    const out = capText('a😀😀😀', 3); // cutting at 2 units would split the first emoji
    expect(out).toBe('a…');
    expect(out).not.toMatch(LONE_SURROGATE);
  });
});

describe('estimateTokens', () => {
  it('is about a quarter of the character count, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('x'.repeat(4000))).toBe(1000);
  });
});

describe('renderValue', () => {
  it('renders strings as-is and nothing for undefined', () => {
    expect(renderValue('ls -la\n', 100)).toBe('ls -la\n');
    expect(renderValue(undefined, 100)).toBe('');
    expect(renderValue(null, 100)).toBe('null');
    expect(renderValue(42, 100)).toBe('42');
  });

  it('renders an object as key: value lines, multi-line strings raw, nested objects as dotted keys', () => {
    const read = fixture('04-PostToolUse-Read.json');
    const out = renderValue(read.tool_response, 10_000);
    expect(out).toContain('type: text');
    expect(out).toContain('file.filePath: /home/user/project/src/app.ts');
    expect(out).toContain('file.content: """\nimport { greet } from \'./util\';\n');
    expect(out).toContain('file.numLines: 8');
    expect(out).not.toContain('\\n'); // no JSON escapes for the file's newlines
  });

  it('renders arrays as compact JSON', () => {
    const glob = fixture('22-PostToolUse-Glob.json');
    expect(renderValue(glob.tool_response, 10_000)).toContain('filenames: ["src/util.ts","src/app.ts"]');
  });

  it('cuts a huge field on its own so the small fields survive', () => {
    const input = { file_path: '/home/user/project/big.txt', content: 'y'.repeat(1_000_000), mode: 'overwrite' };
    const out = renderValue(input, 2000);
    expect(out).toContain('file_path: /home/user/project/big.txt');
    expect(out).toContain('mode: overwrite');
    expect(out).toMatch(/…\[truncated \d+ chars\]…/);
    expect(out.length).toBeLessThanOrEqual(2000 + truncationMarker(1_000_000).length);
  });

  it('shares the budget between several long fields', () => {
    const out = renderValue({ a: 'A'.repeat(100_000), b: 'B'.repeat(100_000) }, 1000);
    // Each field keeps its own head and tail (the marker makes them multi-line).
    expect(out).toMatch(/a: """\nA{100,}\n…\[truncated \d+ chars\]…\nA{100,}\n"""/);
    expect(out).toMatch(/b: """\nB{100,}\n…\[truncated \d+ chars\]…\nB{100,}\n"""/);
    expect(out.length).toBeLessThanOrEqual(1000 + truncationMarker(200_000).length);
  });

  it('survives cycles, bigints, functions and very long arrays', () => {
    const cyclic: Record<string, unknown> = { name: 'loop', n: 10n, fn: () => 1 };
    cyclic.self = cyclic;
    const out = renderValue(cyclic, 1000);
    expect(out).toContain('name: loop');
    expect(out).toContain('self: [circular]');
    expect(out).toContain('n: 10');
    expect(out).not.toContain('fn');
    const arr = renderValue({ items: Array.from({ length: 500 }, (_, i) => i) }, 100_000);
    expect(arr).toContain('…[400 more items]');
  });

  it('bounds the whole rendering', () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key${i}`, i]));
    const out = renderValue(many, 500);
    const removed = Number(/truncated (\d+) chars/.exec(out)?.[1]);
    expect(out.length).toBe(500 + truncationMarker(removed).length);
  });
});

describe('filesTouched (real hook payloads)', () => {
  it('Write and Edit modify their file_path', () => {
    const write = fixture('07-PostToolUse-Write.json');
    expect(filesTouched(write.tool_name, write.tool_input)).toEqual({
      read: [],
      modified: ['/home/user/project/docs/NOTES.md'],
    });
    const edit = fixture('10-PostToolUse-Edit.json');
    expect(filesTouched(edit.tool_name, edit.tool_input)).toEqual({
      read: [],
      modified: ['/home/user/project/src/app.ts'],
    });
  });

  it('Read reads its file_path; Grep reads its path', () => {
    const read = fixture('04-PostToolUse-Read.json');
    expect(filesTouched(read.tool_name, read.tool_input)).toEqual({ read: ['/home/user/project/src/app.ts'], modified: [] });
    const grep = fixture('19-PostToolUse-Grep.json');
    expect(filesTouched(grep.tool_name, grep.tool_input)).toEqual({ read: ['/home/user/project/src'], modified: [] });
  });

  it('Glob without a path, Bash and TodoWrite touch nothing', () => {
    for (const name of ['22-PostToolUse-Glob.json', '13-PostToolUse-Bash.json', '25-PostToolUse-TodoWrite.json']) {
      const f = fixture(name);
      expect(filesTouched(f.tool_name, f.tool_input)).toEqual({ read: [], modified: [] });
    }
    expect(filesTouched('Glob', { pattern: '**/*.ts', path: '/home/user/project' })).toEqual({
      read: ['/home/user/project'],
      modified: [],
    });
  });

  it('MultiEdit modifies file_path; NotebookEdit modifies notebook_path', () => {
    expect(filesTouched('MultiEdit', { file_path: '/p/a.ts', edits: [] }).modified).toEqual(['/p/a.ts']);
    expect(filesTouched('NotebookEdit', { notebook_path: '/p/n.ipynb', new_source: 'x' }).modified).toEqual(['/p/n.ipynb']);
    expect(filesTouched('NotebookEdit', { file_path: '/p/n.ipynb' }).modified).toEqual([]);
  });

  it('ignores malformed inputs and unknown or inherited tool names', () => {
    const none = { read: [], modified: [] };
    expect(filesTouched('Edit', null)).toEqual(none);
    expect(filesTouched('Edit', 'file_path')).toEqual(none);
    expect(filesTouched('Edit', ['/p/a.ts'])).toEqual(none);
    expect(filesTouched('Edit', { file_path: 42 })).toEqual(none);
    expect(filesTouched('Edit', { file_path: '   ' })).toEqual(none);
    expect(filesTouched('constructor', { file_path: '/p/a.ts' })).toEqual(none);
    expect(filesTouched('mcp__x__write', { file_path: '/p/a.ts' })).toEqual(none);
  });
});
