// PreToolUse(Read): adds what memory already knows about the file, if it is unchanged since.
import { captured } from './capture.js';
import { markOnline, runHook, workerTarget } from './hook-io.js';
import { authed, impostorMessage, verifyTarget } from './verified.js';

void runHook(async (input, settings) => {
  if (input.tool_name !== 'Read' || settings.CLAUDE_MEM_FILE_CONTEXT !== 'true' || !captured(input, settings)) return {};
  const file = (input.tool_input as { file_path?: unknown } | undefined)?.file_path;
  if (typeof file !== 'string' || !file || typeof input.cwd !== 'string') return {};
  // File context is memory: asked for with the token, from a listener that proved it is ours.
  const target = workerTarget(settings);
  const verdict = await verifyTarget(target);
  // An old worker without a token: no file context, quietly (SessionStart already said why).
  if (verdict === 'no-token') return {};
  if (verdict !== 'verified') return { systemMessage: impostorMessage(target, verdict) };
  const res = await authed(target, 'GET', `/api/file-context?path=${encodeURIComponent(file)}&cwd=${encodeURIComponent(input.cwd)}`);
  markOnline();
  if (res.status !== 200) return {};
  const { text } = JSON.parse(res.text) as { text?: string };
  if (!text) return {};
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: text } };
});
