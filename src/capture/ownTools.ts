// claude-mem never remembers itself: calls to its own MCP tools and runs of its own CLI from the
// Bash tool are not captured. Their output is memory already (search results, context, status);
// storing it again would feed memories back in as new observations. Node builtins only: the hook
// bundle imports this file.

/**
 * Our MCP tools as Claude Code names them: `mcp__plugin_claude-mem_<server>__<tool>` when loaded as
 * the plugin, `mcp__claude-mem__<tool>` (or with `_`, Claude Code's spelling of other characters)
 * when the server was registered by hand under the name claude-mem.
 */
const OWN_MCP_TOOL = /^mcp__(?:plugin_claude[-_]mem_.+?|claude[-_]mem)__./i;

export function isOwnMcpTool(toolName: string): boolean {
  return OWN_MCP_TOOL.test(toolName);
}

// Words that run the next word as the command; their own options (`npx -y`) are skipped too.
const LAUNCHERS = new Set(['sudo', 'time', 'exec', 'command', 'env', 'nohup', 'npx', 'bunx', 'node', 'bun', 'nice']);
// `pnpm dlx claude-mem`, `yarn dlx claude-mem`, `npm exec claude-mem`.
const RUNNER_SUBCOMMANDS = new Map([
  ['pnpm', new Set(['dlx', 'exec'])],
  ['yarn', new Set(['dlx', 'exec'])],
  ['npm', new Set(['exec', 'x'])],
]);

/** The CLI itself, however it is reached: `claude-mem`, a path to it, its built script, `claude-mem@1.2`. */
function isOwnCliWord(word: string): boolean {
  const base = word.replace(/^['"]|['"]$/g, '').split('/').pop() ?? '';
  return /^claude-mem(?:@[\w.^~-]+)?$/i.test(base) || /^claude-mem\.[cm]?js$/i.test(base);
}

/**
 * True when any command of a shell line runs the claude-mem CLI (`claude-mem search x`,
 * `cd repo && npx claude-mem doctor`, `node dist/cli/claude-mem.js …`). A mention as an argument
 * (`grep claude-mem`, `cd claude-mem`) does not count.
 */
export function runsOwnCli(command: string): boolean {
  for (const segment of command.split(/&&|\|\||[;|&\n]|\$\(|`/)) {
    const words = segment.trim().replace(/^[({!\s]+/, '').split(/\s+/).filter(Boolean);
    let i = 0;
    for (;;) {
      const w = words[i];
      if (w === undefined) break;
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++; // FOO=bar claude-mem …
      else if (LAUNCHERS.has(w)) {
        i++;
        while (words[i]?.startsWith('-')) i++;
      } else if (RUNNER_SUBCOMMANDS.get(w)?.has(words[i + 1] ?? '')) {
        i += 2;
        while (words[i]?.startsWith('-')) i++;
      } else break;
    }
    if (words[i] !== undefined && isOwnCliWord(words[i])) return true;
  }
  return false;
}

/** An event from claude-mem's own tools or CLI: never captured. */
export function isOwnToolCall(toolName: string, toolInput: unknown): boolean {
  if (isOwnMcpTool(toolName)) return true;
  if (toolName !== 'Bash' || !toolInput || typeof toolInput !== 'object') return false;
  const command = (toolInput as { command?: unknown }).command;
  return typeof command === 'string' && runsOwnCli(command);
}
