import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONCEPTS, OBSERVATION_TYPES, type ToolEventPayload } from '../../src/api/types.js';
import { estimateTokens, truncationMarker } from '../../src/lib/text.js';
import {
  buildSessionIntroTurn,
  buildSummaryTurn,
  buildSystemPrompt,
  buildToolEventTurn,
} from '../../src/agent/prompts.js';

const FIXTURES = path.resolve(__dirname, '../fixtures/claude-code-hooks');

/** A hook payload as the worker would queue it. */
function eventFrom(name: string, extra: Partial<ToolEventPayload> = {}): ToolEventPayload {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
  return {
    tool_name: raw.tool_name,
    tool_input: raw.tool_input,
    tool_response: raw.tool_response,
    error: raw.error,
    tool_use_id: raw.tool_use_id,
    cwd: raw.cwd,
    occurred_at: '2026-11-26T10:00:00.000Z',
    ...extra,
  };
}

/** The text between `<tag>\n` and `\n</tag>` in a turn. */
function section(turn: string, tag: string): string {
  const start = turn.indexOf(`<${tag}>\n`);
  const end = turn.lastIndexOf(`\n</${tag}>`);
  expect(start, `<${tag}> present`).toBeGreaterThanOrEqual(0);
  return turn.slice(start + tag.length + 3, end);
}

describe('buildSystemPrompt', () => {
  it('is the same constant text for every project, so the prompt cache is shared', () => {
    const a = buildSystemPrompt('alpha-project');
    expect(buildSystemPrompt('beta-project')).toBe(a);
    expect(buildSystemPrompt()).toBe(a);
    expect(a).not.toContain('alpha-project');
  });

  it('enumerates every allowed type and concept and the whole output format', () => {
    const p = buildSystemPrompt();
    for (const t of OBSERVATION_TYPES) expect(p).toContain(t);
    for (const c of CONCEPTS) expect(p).toContain(c);
    for (const tag of ['observation', 'type', 'title', 'subtitle', 'facts', 'fact', 'narrative', 'concepts', 'concept', 'files_read', 'files_modified', 'file']) {
      expect(p).toContain(`<${tag}>`);
    }
    for (const tag of ['summary', 'request', 'investigated', 'learned', 'completed', 'next_steps', 'notes']) {
      expect(p).toContain(`<${tag}>`);
    }
    expect(p).toContain('<skip/>');
    expect(p).toMatch(/secret/i);
    expect(p).toMatch(/80 characters/);
  });

  it('stays compact', () => {
    expect(estimateTokens(buildSystemPrompt())).toBeLessThan(1200);
  });
});

describe('buildSessionIntroTurn', () => {
  it('carries the project, the prompt number and the user request', () => {
    const turn = buildSessionIntroTurn({
      project: 'project',
      userPrompt: "Rename the greeting target to 'sandbox', document greet() in docs/NOTES.md.",
      promptNumber: 2,
    });
    expect(turn).toContain('Project: project');
    expect(turn).toContain('Prompt number: 2');
    expect(section(turn, 'user_request')).toBe("Rename the greeting target to 'sandbox', document greet() in docs/NOTES.md.");
    expect(turn).toContain('<skip/>');
  });

  it('truncates a very long request and marks an empty one', () => {
    const long = buildSessionIntroTurn({ project: 'p', userPrompt: 'q'.repeat(100_000), maxChars: 1000 });
    expect(section(long, 'user_request').length).toBeLessThanOrEqual(1000 + truncationMarker(99_000).length);
    expect(long).not.toContain('Prompt number');
    expect(section(buildSessionIntroTurn({ project: 'p', userPrompt: '  ' }), 'user_request')).toBe('(empty)');
  });

  it('rejects an empty project, naming the field', () => {
    expect(() => buildSessionIntroTurn({ project: ' ', userPrompt: 'x' })).toThrow(/project/);
  });
});

describe('buildToolEventTurn', () => {
  it('renders a successful Edit with its input and output', () => {
    const turn = buildToolEventTurn(eventFrom('10-PostToolUse-Edit.json'), { maxFieldChars: 4000 });
    expect(turn).toContain('<tool_call status="ok">');
    expect(turn).toContain('tool: Edit');
    expect(turn).toContain('time: 2026-11-26T10:00:00.000Z');
    expect(section(turn, 'input')).toContain('file_path: /home/user/project/src/app.ts');
    expect(section(turn, 'input')).toContain("new_string: console.log(greet('sandbox'));");
    expect(section(turn, 'output')).toContain('filePath: /home/user/project/src/app.ts');
    expect(turn).not.toContain('<error>');
    expect(turn).not.toContain('subagent');
  });

  it('renders a PostToolUseFailure with its error and no output', () => {
    const turn = buildToolEventTurn(eventFrom('16-PostToolUseFailure-Bash.json'), { maxFieldChars: 4000 });
    expect(turn).toContain('<tool_call status="failed">');
    expect(turn).toContain('tool: Bash');
    expect(section(turn, 'input')).toContain('command: cat src/missing.ts');
    expect(section(turn, 'error')).toBe('Exit code 1\ncat: src/missing.ts: No such file or directory');
    expect(turn).not.toContain('<output>');
  });

  it('labels a subagent call', () => {
    const turn = buildToolEventTurn(
      eventFrom('04-PostToolUse-Read.json', { agent_id: 'agent-7f3', agent_type: 'Explore' }),
      { maxFieldChars: 4000 },
    );
    expect(turn).toContain('by: subagent Explore (agent-7f3)');
  });

  it('truncates a 50 MB output and a 50 MB error to maxFieldChars plus the marker', () => {
    const huge = 'h'.repeat(50 * 1024 * 1024);
    const max = 2000;
    const ok = buildToolEventTurn(eventFrom('13-PostToolUse-Bash.json', { tool_response: huge }), { maxFieldChars: max });
    const out = section(ok, 'output');
    expect(out.length).toBeLessThanOrEqual(max + truncationMarker(huge.length).length);
    expect(out).toMatch(/…\[truncated \d+ chars\]…/);

    const failed = buildToolEventTurn(
      eventFrom('16-PostToolUseFailure-Bash.json', { error: huge }),
      { maxFieldChars: max },
    );
    expect(section(failed, 'error').length).toBeLessThanOrEqual(max + truncationMarker(huge.length).length);

    const bigInput = buildToolEventTurn(
      eventFrom('07-PostToolUse-Write.json', { tool_input: { file_path: '/home/user/project/big.log', content: huge } }),
      { maxFieldChars: max },
    );
    const input = section(bigInput, 'input');
    expect(input).toContain('file_path: /home/user/project/big.log');
    expect(input.length).toBeLessThanOrEqual(max + truncationMarker(huge.length).length);
  });

  it('rejects a bad maxFieldChars, naming it', () => {
    const ev = eventFrom('04-PostToolUse-Read.json');
    expect(() => buildToolEventTurn(ev, { maxFieldChars: 0 })).toThrow(/maxFieldChars/);
    expect(() => buildToolEventTurn(ev, { maxFieldChars: 10.5 })).toThrow(/maxFieldChars/);
  });
});

describe('buildSummaryTurn', () => {
  it('asks for one summary with every field, given the final message and the request', () => {
    const stop = JSON.parse(fs.readFileSync(path.join(FIXTURES, '27-Stop.json'), 'utf8'));
    const turn = buildSummaryTurn({ lastAssistantMessage: stop.last_assistant_message, userPrompt: 'Rename the target.' });
    expect(section(turn, 'final_message')).toBe(stop.last_assistant_message.trim());
    expect(section(turn, 'user_request')).toBe('Rename the target.');
    expect(turn).toContain('<summary>');
    for (const f of ['request', 'investigated', 'learned', 'completed', 'next_steps', 'notes']) expect(turn).toContain(f);
  });

  it('omits a missing request and truncates a long final message', () => {
    const turn = buildSummaryTurn({ lastAssistantMessage: 'z'.repeat(50_000), maxChars: 500 });
    expect(turn).not.toContain('<user_request>');
    expect(section(turn, 'final_message').length).toBeLessThanOrEqual(500 + truncationMarker(49_500).length);
  });
});
