// PreToolUse(Read): adds what memory already knows about the file, if it is unchanged since.
import { captured } from './capture.js';
import { markOnline, request, runHook, workerTarget } from './hook-io.js';

void runHook(async (input, settings) => {
  if (input.tool_name !== 'Read' || settings.CLAUDE_MEM_FILE_CONTEXT !== 'true' || !captured(input, settings)) return {};
  const file = (input.tool_input as { file_path?: unknown } | undefined)?.file_path;
  if (typeof file !== 'string' || !file || typeof input.cwd !== 'string') return {};
  const res = await request(
    workerTarget(settings),
    'GET',
    `/api/file-context?path=${encodeURIComponent(file)}&cwd=${encodeURIComponent(input.cwd)}`,
  );
  markOnline();
  if (res.status !== 200) return {};
  const { text } = JSON.parse(res.text) as { text?: string };
  if (!text) return {};
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: text } };
});
