// Bounding text: cut the middle (keeping head and tail) or the end, never splitting a surrogate
// pair, and a rough token estimate. Pure; used wherever captured text is bounded (capture, agent).

/** The elision marker put where the middle of a long text was cut. */
export function truncationMarker(removedChars: number): string {
  return `\n…[truncated ${removedChars} chars]…\n`;
}

export function requireNonNegativeInt(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative integer (got ${String(value)})`);
  }
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/**
 * Keep the head and the tail of `text` (both carry meaning: a command's start, an error's end) and
 * replace the middle with an explicit marker. The kept part is at most `maxChars` UTF-16 units, so
 * the result is at most `maxChars + marker length`. A surrogate pair is never cut in half.
 */
export function truncateMiddle(text: string, maxChars: number): string {
  requireNonNegativeInt(maxChars, 'maxChars');
  if (text.length <= maxChars) return text;
  let headLen = Math.ceil(maxChars / 2);
  let tailLen = maxChars - headLen;
  // Shrink rather than grow, so the bound holds.
  if (headLen > 0 && isHighSurrogate(text.charCodeAt(headLen - 1))) headLen -= 1;
  let tailStart = text.length - tailLen;
  if (tailLen > 0 && isLowSurrogate(text.charCodeAt(tailStart))) {
    tailStart += 1;
    tailLen -= 1;
  }
  const removed = text.length - headLen - tailLen;
  return text.slice(0, headLen) + truncationMarker(removed) + text.slice(tailStart);
}

/** Cut `text` to at most `maxChars` units, ending with `…` when cut; never splits a surrogate pair. */
export function capText(text: string, maxChars: number): string {
  requireNonNegativeInt(maxChars, 'maxChars');
  if (text.length <= maxChars) return text;
  if (maxChars === 0) return '';
  let end = maxChars - 1;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end) + '…';
}

/** ≈ tokens for budgeting and logs (about 4 characters per token for English and code). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
