import { captured } from './capture.js';
import { postEvent, runHook } from './hook-io.js';

void runHook(async (input, settings) => {
  if (!captured(input, settings)) return {};
  return postEvent(settings, '/api/sessions/summarize', {
    session_id: input.session_id,
    cwd: input.cwd,
    last_assistant_message: typeof input.last_assistant_message === 'string' ? input.last_assistant_message : '',
    agent_id: input.agent_id ?? null,
    ...(typeof input.transcript_path === 'string' ? { transcript_path: input.transcript_path } : {}),
  });
});
