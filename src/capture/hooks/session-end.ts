import { postEvent, runHook } from './hook-io.js';

void runHook((input, settings) =>
  postEvent(settings, '/api/sessions/end', {
    session_id: input.session_id,
    reason: input.reason,
    ...(typeof input.cwd === 'string' ? { cwd: input.cwd } : {}),
    ...(typeof input.transcript_path === 'string' ? { transcript_path: input.transcript_path } : {}),
  }),
);
