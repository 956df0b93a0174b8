import { postEvent, runHook } from './hook-io.js';

void runHook((input, settings) =>
  postEvent(settings, '/api/sessions/end', { session_id: input.session_id, reason: input.reason }),
);
