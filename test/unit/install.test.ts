// claude-mem install: the generated plugin (data dir, 0700), the hook type from Claude Code's
// version, the worker's address in the hooks (rewritten on re-install), and the disagreement check
// doctor prints.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseHookMode, detectClaudeVersion, install, isInstalled, pluginDir, uninstall } from '../../src/cli/install.js';

const PKG = '/opt/claude-mem pkg';
let dir: string;
const saved = { ...process.env };

function fakeClaude(version: string): string {
  const bin = path.join(dir, `claude-${version}`);
  fs.writeFileSync(bin, `#!/bin/sh\necho "${version} (Claude Code)"\n`, { mode: 0o755 });
  return bin;
}

const hooksFile = () => JSON.parse(fs.readFileSync(path.join(pluginDir(), 'hooks', 'hooks.json'), 'utf8')).hooks;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-install-')));
  process.env.CLAUDE_MEM_DATA_DIR = path.join(dir, 'data');
  process.env.CLAUDE_CONFIG_DIR = path.join(dir, 'claude');
  process.env.CLAUDE_MEM_WORKER_PORT = '41234';
  delete process.env.CLAUDE_MEM_WORKER_HOST;
});
afterEach(() => {
  process.env = { ...saved };
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('claude-mem install', () => {
  it('reads the version and chooses mcp_tool answers for a current Claude Code, http for 2.1.63–2.1.117, command hooks for an old one', () => {
    expect(detectClaudeVersion(fakeClaude('2.1.332'))).toBe('2.1.332');
    expect(detectClaudeVersion(path.join(dir, 'no-such-claude'))).toBeNull();
    expect(chooseHookMode('auto', '2.1.332').mode).toBe('mcp');
    expect(chooseHookMode('auto', '2.1.118').mode).toBe('mcp');
    expect(chooseHookMode('auto', '2.1.117')).toMatchObject({ mode: 'http', why: expect.stringContaining('until 2.1.118') });
    expect(chooseHookMode('auto', '2.1.63').mode).toBe('http');
    const old = chooseHookMode('auto', '2.0.14');
    expect(old.mode).toBe('command');
    expect(old.why).toContain('older than 2.1.63');
    expect(chooseHookMode('auto', null)).toMatchObject({ mode: 'mcp', why: expect.stringContaining('--hooks command') });
    expect(chooseHookMode('command', '2.1.332').mode).toBe('command');
  });

  it('generates the plugin in the data dir (owner only): http hooks record, the MCP server answers, SessionStart(startup) in the background', () => {
    const r = install({ packageRoot: PKG, claudeBin: fakeClaude('2.1.332') });
    expect(r.hooks.mode).toBe('mcp');
    expect(fs.statSync(pluginDir()).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(pluginDir(), 'hooks', 'hooks.json')).mode & 0o077).toBe(0);
    const hooks = hooksFile();
    expect(hooks.PostToolUse[0].matcher).toBe('*');
    for (const event of ['PostToolUse', 'PostToolUseFailure', 'Stop', 'SessionEnd']) {
      expect(hooks[event][0].hooks, event).toEqual([expect.objectContaining({ type: 'http', url: `http://127.0.0.1:41234/api/hooks/${event}` })]);
    }
    // The prompt: recorded over http, answered (recall; the context on a session's first prompt) by the MCP server.
    const server = 'plugin:claude-mem:mem-search';
    expect(hooks.UserPromptSubmit[0].hooks).toEqual([
      expect.objectContaining({ type: 'http', url: 'http://127.0.0.1:41234/api/hooks/UserPromptSubmit' }),
      expect.objectContaining({ type: 'mcp_tool', server, tool: 'hook_context', input: { event: 'UserPromptSubmit', session_id: '${session_id}', cwd: '${cwd}', prompt: '${prompt}' } }),
    ]);
    expect(hooks.PreToolUse).toEqual([
      { matcher: 'Read', hooks: [expect.objectContaining({ type: 'mcp_tool', server, tool: 'hook_context', input: expect.objectContaining({ file_path: '${tool_input.file_path}' }) })] },
    ]);
    // SessionStart stays a command hook (quoted for the space in the path): in the background at
    // startup/resume/clear, waited for at compact (no prompt follows to carry the context).
    const start = `node "${PKG}/dist/hooks/session-start.cjs"`;
    expect(hooks.SessionStart).toEqual([
      { matcher: 'startup|resume|clear', hooks: [{ type: 'command', command: `${start} --context-on-first-prompt`, timeout: 10, async: true }] },
      { matcher: 'compact', hooks: [{ type: 'command', command: start, timeout: 10 }] },
    ]);
    const mcp = JSON.parse(fs.readFileSync(path.join(pluginDir(), '.mcp.json'), 'utf8'));
    expect(Object.keys(mcp.mcpServers)).toEqual(['mem-search']);
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'claude', 'settings.json'), 'utf8'));
    expect(settings.extraKnownMarketplaces['claude-mem-local'].source.path).toBe(pluginDir());
    expect(isInstalled(PKG)).toMatchObject({ installed: true, mode: 'mcp', problems: [] });
  });

  it('Claude Code 2.1.63–2.1.117 gets http hooks, and command hooks for the answers (no mcp_tool hooks yet)', () => {
    const r = install({ packageRoot: PKG, claudeBin: fakeClaude('2.1.100') });
    expect(r.hooks.mode).toBe('http');
    const hooks = hooksFile();
    expect(hooks.UserPromptSubmit[0].hooks).toEqual([{ type: 'command', command: `node "${PKG}/dist/hooks/user-prompt-submit.cjs"`, timeout: 2 }]);
    expect(hooks.PreToolUse[0].hooks).toEqual([{ type: 'command', command: `node "${PKG}/dist/hooks/pre-tool-use.cjs"`, timeout: 2 }]);
    expect(hooks.Stop[0].hooks[0]).toMatchObject({ type: 'http' });
    expect(hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: `node "${PKG}/dist/hooks/session-start.cjs"`, timeout: 10 }] }]);
    expect(isInstalled(PKG)).toMatchObject({ installed: true, mode: 'http', problems: [] });
  });

  it('an old Claude Code gets command hooks for every event', () => {
    const r = install({ packageRoot: PKG, claudeBin: fakeClaude('2.0.14') });
    expect(r.hooks.mode).toBe('command');
    const hooks = hooksFile();
    for (const [event, groups] of Object.entries(hooks) as Array<[string, Array<{ hooks: Array<{ type: string; command: string }> }>]>) {
      expect(groups[0].hooks[0].type, event).toBe('command');
    }
    expect(hooks['PostToolUseFailure'][0].hooks[0].command).toBe(`node "${PKG}/dist/hooks/post-tool-use-failure.cjs"`);
    expect(isInstalled(PKG)).toMatchObject({ installed: true, mode: 'command', problems: [] });
  });

  it('doctor sees hooks that disagree with the configured port; install rewrites them', () => {
    install({ packageRoot: PKG, hooks: 'http' });
    process.env.CLAUDE_MEM_WORKER_PORT = '45678';
    const stale = isInstalled(PKG);
    expect(stale.problems).toEqual([expect.stringContaining('hooks post to 127.0.0.1:41234 but the worker is configured at 127.0.0.1:45678')]);
    const again = install({ packageRoot: PKG, hooks: 'http' });
    expect(again.changed).toBe(true);
    expect(hooksFile().Stop[0].hooks[0].url).toBe('http://127.0.0.1:45678/api/hooks/Stop');
    expect(isInstalled(PKG).problems).toEqual([]);
    // Another copy of claude-mem is named too.
    expect(isInstalled('/elsewhere').problems).toEqual([expect.stringContaining('another copy of claude-mem')]);
  });

  it('uninstall removes the registration and the generated plugin', () => {
    install({ packageRoot: PKG, hooks: 'http' });
    expect(uninstall().changed).toBe(true);
    expect(fs.existsSync(pluginDir())).toBe(false);
    expect(isInstalled(PKG).installed).toBe(false);
  });
});
