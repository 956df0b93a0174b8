// The memory a hook adds, served to Claude Code's `mcp_tool` hooks by the plugin's MCP server: the
// process is already running for the session, so UserPromptSubmit and PreToolUse(Read) cost an
// RPC instead of a Node process each. The token goes only over a connection on which the worker
// proved it holds it (api/provenConnection.ts). It is left out of tools/list, so the model neither
// sees nor calls it; still read-only, as anything an MCP client can call: it records nothing (the
// http hooks record the same events) and answers only what search would.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ProvenConnection } from '../api/provenConnection.js';
import { WorkerImpostorError, WorkerUnreachableError } from '../api/workerClient.js';
import { recordedWorker } from '../worker/lock.js';

export const HOOK_TOOL = 'hook_context';

/** What the hooks pass (`${…}` fields of Claude Code's payload); the worker validates each at its edge. */
const hookShape = {
  event: z.enum(['UserPromptSubmit', 'PreToolUse']),
  session_id: z.string(),
  cwd: z.string(),
  prompt: z.string().optional(),
  tool_name: z.string().optional(),
  file_path: z.string().optional(),
};
type HookArgs = z.infer<z.ZodObject<typeof hookShape>>;

const DESCRIPTION = "For claude-mem's hooks: the memory a prompt or a file Read brings back, as hook output JSON.";

const REQUEST_TIMEOUT_MS = 3000;
/** How long a session's first prompt waits for the worker that SessionStart starts in the background. */
const FIRST_PROMPT_WAIT_MS = 4000;

/** How long the first prompt waits before it needs a starting worker (its lock) to keep waiting. */
const SPAWN_GRACE_MS = 2000;
const RETRY_MS = 100;

export interface HookToolDeps {
  worker: ProvenConnection;
  log: (message: string) => void;
}

export function registerHookTool(server: McpServer, deps: HookToolDeps): void {
  // Sessions this Claude Code process has answered a prompt for: the first one also brings the
  // project's context (SessionStart(startup) does not wait for it). /clear starts a new id.
  const answered = new Set<string>();
  // `first`: the session's first prompt here, which also asks for the project's context.
  const ask = (a: HookArgs, first: boolean) =>
    a.event === 'UserPromptSubmit'
      ? deps.worker.request(
          'POST',
          '/api/hooks/UserPromptSubmit/answer',
          { session_id: a.session_id, cwd: a.cwd, prompt: a.prompt ?? '', start_context: first },
          REQUEST_TIMEOUT_MS,
        )
      : deps.worker.request(
          'POST',
          '/api/hooks/PreToolUse',
          { session_id: a.session_id, cwd: a.cwd, tool_name: a.tool_name ?? '', tool_input: { file_path: a.file_path ?? '' } },
          REQUEST_TIMEOUT_MS,
        );
  // Only a session's first prompt waits for the worker, and only while one may be coming up: for
  // 2 s (SessionStart may not have spawned it yet, and a worker takes its lock ~0.7 s after its
  // spawn), then while a worker process of ours holds the lock. A worker that failed to start costs
  // the prompt 2 s, not 4; later hooks of a stopped worker answer at once.
  const askWaiting = async (a: HookArgs, first: boolean) => {
    const t0 = Date.now();
    for (;;) {
      try {
        return await ask(a, first);
      } catch (err) {
        const elapsed = Date.now() - t0;
        const mayCome = first && elapsed < FIRST_PROMPT_WAIT_MS && (elapsed < SPAWN_GRACE_MS || recordedWorker() !== null);
        if (!(err instanceof WorkerUnreachableError) || !mayCome) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  };

  server.registerTool(HOOK_TOOL, { title: 'Memory for a hook', description: DESCRIPTION, inputSchema: hookShape }, async (a) => {
    const first = a.event === 'UserPromptSubmit' && !answered.has(a.session_id);
    try {
      const res = await askWaiting(a, first);
      if (res.status !== 200) throw new Error(`the worker answered ${res.status}: ${res.text.slice(0, 300)}`);
      if (first) answered.add(a.session_id);
      const hso = (JSON.parse(res.text) as { hookSpecificOutput?: unknown }).hookSpecificOutput;
      return hookOutput(hso ? { hookSpecificOutput: hso } : {});
    } catch (err) {
      // Never an MCP error, which Claude Code would only note. The user hears of an impostor, though.
      if (err instanceof WorkerImpostorError) return hookOutput({ systemMessage: `claude-mem: WARNING — ${err.message}. No memory was loaded.` });
      deps.log(`${HOOK_TOOL} ${a.event}: ${err instanceof Error ? err.message : String(err)}`);
      return hookOutput({});
    }
  });
}

const hookOutput = (value: object): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });

/**
 * Claude Code's mcp_tool hooks call a tool by name whether or not tools/list shows it (verified on
 * 2.1.332: an unlisted tool's answer reached the model), so hook_context is taken out of the list
 * on its way out: no tokens for it in every request, and nothing for the model to call.
 */
export function unlistHookTool(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => send(withoutHookTool(message), options);
}

function withoutHookTool(message: JSONRPCMessage): JSONRPCMessage {
  const result = (message as { result?: { tools?: unknown } }).result;
  if (!result || !Array.isArray(result.tools)) return message;
  return { ...message, result: { ...result, tools: result.tools.filter((t: { name?: unknown }) => t?.name !== HOOK_TOOL) } } as JSONRPCMessage;
}
