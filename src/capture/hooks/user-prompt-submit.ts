// UserPromptSubmit: records the prompt and answers with prompt-time recall. Recall is memory, so it
// is asked for with the token, from a listener that proved it is ours — which is why this is a
// command hook even where Claude Code supports http hooks (the hooks' credential can only append).
import { captured } from './capture.js';
import { markOnline, postEvent, runHook, workerTarget } from './hook-io.js';
import { authed, impostorMessage, verifyTarget } from './verified.js';

void runHook(async (input, settings) => {
  if (!captured(input, settings)) return {};
  const target = workerTarget(settings);
  const verdict = await verifyTarget(target);
  if (verdict === 'impostor') return { systemMessage: impostorMessage(target, verdict) };
  if (verdict === 'no-token') {
    // An older worker without a token: record the prompt the old way, no recall.
    return postEvent(settings, '/api/sessions/init', {
      session_id: input.session_id,
      cwd: input.cwd,
      prompt: typeof input.prompt === 'string' ? input.prompt : '',
      ...(typeof input.prompt_id === 'string' ? { prompt_id: input.prompt_id } : {}),
    });
  }
  const res = await authed(target, 'POST', '/api/hooks/UserPromptSubmit', input);
  markOnline();
  if (res.status >= 500) throw new Error(`worker answered ${res.status}`);
  if (res.status !== 200) return {};
  const out = JSON.parse(res.text) as { hookSpecificOutput?: { hookEventName: string; additionalContext: string } };
  return out.hookSpecificOutput ? { hookSpecificOutput: out.hookSpecificOutput } : {};
});
