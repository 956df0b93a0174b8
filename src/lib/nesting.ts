// A guard for free-form JSON (tool_input / tool_response): the capture path walks values
// recursively (redaction, bounding), so absurd nesting must be refused at the edge, checked here
// without recursion so the check itself cannot overflow the stack. Pure, so the wire contract
// (api/schemas.ts) can use it without reaching up into the worker.

/** Deepest nesting of arrays/objects accepted in free-form fields. Real tool data stays far below. */
export const MAX_NESTING = 100;

/** True when `value` nests arrays/objects more than `max` levels deep. */
export function nestingExceeds(value: unknown, max = MAX_NESTING): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
    }
  }
  return false;
}
