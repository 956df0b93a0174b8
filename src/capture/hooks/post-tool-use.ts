import { runHook } from './hook-io.js';
import { sendToolEvent } from './capture.js';

void runHook(sendToolEvent);
