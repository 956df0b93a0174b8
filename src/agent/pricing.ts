// What the memory agent's tokens cost. Built-in list prices (USD per million tokens) for the
// models claude-mem defaults to, merged under the user's CLAUDE_MEM_MODEL_PRICES; a model is
// matched by its id or the longest listed prefix of it (`claude-haiku-4-5` prices
// `claude-haiku-4-5-20251001`). A model with no price is reported as unpriced, never guessed.
import type { TokenUsage } from '../api/types.js';

export interface ModelPrice {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

const LIST_PRICES: Record<string, ModelPrice> = {
  'claude-haiku-4-5': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1 },
  'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-opus-4-5': { input: 5, output: 25, cache_read: 0.5, cache_write: 6.25 },
  'claude-opus-4-1': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cache_read: 0.1, cache_write: 0.4 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cache_read: 0.025, cache_write: 0.1 },
};

export class PriceTableError extends Error {}

/** The price table: list prices, overridden and extended by the setting's JSON. Throws a message naming the problem. */
export function priceTable(settingJson: string): Record<string, ModelPrice> {
  if (!settingJson.trim()) return { ...LIST_PRICES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(settingJson);
  } catch (err) {
    throw new PriceTableError(`CLAUDE_MEM_MODEL_PRICES is not JSON (${(err as Error).message}); expected {"model": {"input": 1, "output": 5}}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PriceTableError('CLAUDE_MEM_MODEL_PRICES must be a JSON object keyed by model id');
  const table = { ...LIST_PRICES };
  for (const [model, p] of Object.entries(parsed as Record<string, unknown>)) {
    const price = p as Partial<Record<keyof ModelPrice, unknown>>;
    const num = (k: keyof ModelPrice, fallback?: number): number => {
      const v = price?.[k] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new PriceTableError(`CLAUDE_MEM_MODEL_PRICES["${model}"].${k} must be a number ≥ 0 (USD per million tokens)`);
      }
      return v;
    };
    const input = num('input');
    table[model] = { input, output: num('output'), cache_read: num('cache_read', input), cache_write: num('cache_write', input) };
  }
  return table;
}

export function priceOf(model: string, table: Record<string, ModelPrice>): ModelPrice | null {
  if (table[model]) return table[model];
  const prefix = Object.keys(table)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? table[prefix] : null;
}

/** USD for some usage of one model, or null when the model has no price. */
export function costOf(usage: TokenUsage, model: string, table: Record<string, ModelPrice>): number | null {
  const p = priceOf(model, table);
  if (!p) return null;
  return (
    (usage.input_tokens * p.input + usage.output_tokens * p.output + usage.cache_read_tokens * p.cache_read + usage.cache_write_tokens * p.cache_write) /
    1_000_000
  );
}
