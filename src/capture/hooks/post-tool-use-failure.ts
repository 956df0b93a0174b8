// Failures are memory too: the error text goes where the tool response would.
import { runHook } from './hook-io.js';
import { sendToolEvent } from './capture.js';

void runHook((input, settings) => sendToolEvent({ ...input, hook_event_name: 'PostToolUseFailure' }, settings));
