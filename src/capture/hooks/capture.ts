// Builds the worker request for a tool event (PostToolUse and PostToolUseFailure share it).
import { boundToJsonSize, boundValue } from '../bound.js';
import { isOwnToolCall } from '../ownTools.js';
import { isExcludedProject, shouldSkipTool } from '../privacy.js';
import type { Settings } from '../../config/SettingsManager.js';
import type { HookInput, HookOutput } from './hook-io.js';
import { postEvent } from './hook-io.js';

/**
 * Skipped tools, claude-mem's own tools and CLI runs, and excluded projects are dropped here, before
 * anything leaves the process (the worker applies the same rules to direct callers).
 */
export function captured(input: HookInput, settings: Settings): boolean {
  const cwd = typeof input.cwd === 'string' ? input.cwd : '';
  if (cwd && isExcludedProject(cwd, settings.CLAUDE_MEM_EXCLUDED_PROJECTS)) return false;
  const tool = typeof input.tool_name === 'string' ? input.tool_name : '';
  if (tool && isOwnToolCall(tool, input.tool_input)) return false;
  return !(tool && shouldSkipTool(tool, settings.CLAUDE_MEM_SKIP_TOOLS));
}

export async function sendToolEvent(input: HookInput, settings: Settings): Promise<HookOutput> {
  if (!captured(input, settings)) return {};
  const failed = input.hook_event_name === 'PostToolUseFailure' || (input.error !== undefined && input.tool_response === undefined);
  return postEvent(settings, '/api/sessions/observations', {
    session_id: input.session_id,
    cwd: input.cwd,
    tool_name: input.tool_name,
    tool_input: boundToJsonSize(input.tool_input ?? null),
    ...(failed ? { error: String(boundValue(String(input.error ?? 'unknown error'))) } : { tool_response: boundToJsonSize(input.tool_response ?? null) }),
    tool_use_id: input.tool_use_id,
    agent_id: input.agent_id ?? null,
    agent_type: input.agent_type ?? null,
  });
}
