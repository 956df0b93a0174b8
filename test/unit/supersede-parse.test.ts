// The memory agent's side of supersede: the related observations in the batch turn, and the
// <supersedes> declarations in its reply.
import { describe, expect, it } from 'vitest';
import { parseAgentReply } from '../../src/agent/parser.js';
import { buildBatchTurn, relatedBlock } from '../../src/agent/prompts.js';
import type { ToolEventPayload } from '../../src/api/types.js';

const obs = (inner: string) => `<observation><type>change</type><title>Port moved</title><narrative>n</narrative>${inner}</observation>`;

describe('<supersedes> in a reply', () => {
  it('reads ids, "#12" and lists; ignores what is not an id', () => {
    expect(parseAgentReply(obs('<supersedes>12</supersedes>')).observations[0].supersedes).toEqual([12]);
    expect(parseAgentReply(obs('<supersedes>#12, #13</supersedes><supersedes>14</supersedes>')).observations[0].supersedes).toEqual([12, 13, 14]);
    expect(parseAgentReply(obs('<supersedes>none</supersedes>')).observations[0]).not.toHaveProperty('supersedes');
    expect(parseAgentReply(obs('')).observations[0]).not.toHaveProperty('supersedes');
    // Not an observation field: it does not leak into the narrative.
    expect(parseAgentReply(obs('<supersedes>7</supersedes>')).observations[0].narrative).toBe('n');
  });

  it('keeps at most 10 ids and never a zero or an unsafe integer', () => {
    const many = Array.from({ length: 30 }, (_, i) => i + 1).join(',');
    expect(parseAgentReply(obs(`<supersedes>${many}</supersedes>`)).observations[0].supersedes).toHaveLength(10);
    expect(parseAgentReply(obs('<supersedes>0 99999999999999999999</supersedes>')).observations[0]).not.toHaveProperty('supersedes');
  });
});

describe('related observations in the batch turn', () => {
  const event: ToolEventPayload = { tool_name: 'Edit', tool_input: { file_path: '/p/src/app.ts' }, tool_response: 'ok', tool_use_id: 't1', cwd: '/p', occurred_at: '' };

  it('lists id, type, title and short file names, with the instruction; nothing when there are none', () => {
    expect(relatedBlock([])).toEqual([]);
    const lines = relatedBlock([{ id: 42, type: 'change', title: 'Server listens on 3000', files: ['/p/src/app.ts'] }]);
    expect(lines[1]).toBe('- #42 [change] Server listens on 3000 (src/app.ts)');
    expect(lines.join('\n')).toMatch(/<supersedes>ID<\/supersedes>/);
    const turn = buildBatchTurn({ events: [event], maxFieldChars: 1000, related: [{ id: 42, type: 'change', title: 'T', files: [] }] });
    expect(turn).toContain('<existing_observations>\n- #42 [change] T\n</existing_observations>');
    expect(buildBatchTurn({ events: [event], maxFieldChars: 1000 })).not.toContain('existing_observations');
  });
});
