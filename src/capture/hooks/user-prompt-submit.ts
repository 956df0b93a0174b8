import { captured } from './capture.js';
import { postEvent, runHook } from './hook-io.js';

void runHook(async (input, settings) => {
  if (!captured(input, settings)) return {};
  return postEvent(settings, '/api/sessions/init', {
    session_id: input.session_id,
    cwd: input.cwd,
    prompt: typeof input.prompt === 'string' ? input.prompt : '',
    ...(typeof input.prompt_id === 'string' ? { prompt_id: input.prompt_id } : {}),
  });
});
