// Prompt-time recall: when the user submits a prompt, the few observations most relevant to it
// that this session has not been given yet, fenced, under a byte cap — or nothing at all when
// nothing is relevant enough. Relevance is keyword search plus a gate: an observation must contain
// at least `minMatched` of the prompt's content words and at least `minShare` of them (both chosen
// on the LoCoMo dev split: scripts/eval-prompt-recall.mjs). Superseded and instruction-like
// observations are never injected; stale ones say so.
import type { Observation } from '../api/types.js';
import { contentTerms, countMatchedTerms } from '../store/queryText.js';
import { getInt, type Settings } from '../config/SettingsManager.js';
import type { Store } from '../store/Store.js';
import { fence, FENCE_OVERHEAD_BYTES, isFlaggedObservation, neutraliseMarkup } from './fence.js';

export interface PromptRecallOptions {
  /** Hard cap of the injected text, fence included (UTF-8 bytes). */
  maxBytes: number;
  /** Least number of the prompt's content words an observation must contain. */
  minMatched: number;
  /** Least share (0–1) of the prompt's content words an observation must contain. */
  minShare: number;
  /** Most observations injected. */
  limit: number;
}

// Chosen on the LoCoMo dev split (npm run eval:recall -- --sweep): with both words of a two-word
// prompt (two thirds of longer ones) required, 99.8% of prompts with no answer in memory get nothing.
export const PROMPT_RECALL_DEFAULTS: Omit<PromptRecallOptions, 'maxBytes'> = { minMatched: 2, minShare: 0.67, limit: 3 };

/** The options in force: the measured gate, and the byte cap the user set. */
export function promptRecallOptions(settings: Settings): PromptRecallOptions {
  return { ...PROMPT_RECALL_DEFAULTS, maxBytes: getInt(settings, 'CLAUDE_MEM_PROMPT_RECALL_MAX_BYTES') };
}

export interface PromptRecallResult {
  observations: Observation[];
  /** The text to inject (empty when nothing passed the gate). */
  text: string;
}

const HEADER = 'Possibly relevant from earlier sessions (fetch more with the mem-search tools):';

const searchable = (o: Observation) => [o.title, o.subtitle, o.narrative, ...o.facts, ...o.files_read, ...o.files_modified].join('\n');

function line(o: Observation): string {
  const detail = o.subtitle || o.facts[0] || o.narrative;
  const stale = o.stale ? ` (stale: ${(o.stale_files ?? []).join(', ') || 'a file it describes'} changed since)` : '';
  return neutraliseMarkup(`- #${o.id} [${o.type}] ${o.title}${detail ? ` — ${detail}` : ''}${stale}`);
}

export interface RecallCandidate {
  observation: Observation;
  /** Distinct content words of the prompt the observation contains, and their share of all of them. */
  matched: number;
  share: number;
}

/** The keyword hits for a prompt that may be injected at all (not superseded, not instruction-like), with their word overlap. */
export async function recallCandidates(store: Store, prompt: string, projects: string[]): Promise<RecallCandidate[]> {
  const terms = contentTerms(prompt);
  if (!terms.length) return [];
  const found = await store.search.search({ query: prompt, project: projects, limit: 10, kinds: ['observations'] });
  return found.observations
    .filter((o) => o.superseded_by == null && !isFlaggedObservation(o))
    .map((o) => {
      const matched = countMatchedTerms(terms, searchable(o));
      return { observation: o, matched, share: matched / terms.length };
    });
}

/** Observations relevant to `prompt`, minus `given` (ids this session already has), fenced under the cap. */
export async function promptRecall(
  store: Store,
  q: { prompt: string; projects: string[]; given: ReadonlySet<number> },
  opts: PromptRecallOptions,
): Promise<PromptRecallResult> {
  return selectRecall(await recallCandidates(store, q.prompt, q.projects), q.given, opts);
}

/** The gate and the byte cap over candidates already found: what is injected, in rank order. */
export function selectRecall(candidates: RecallCandidate[], given: ReadonlySet<number>, opts: PromptRecallOptions): PromptRecallResult {
  const picked: Observation[] = [];
  const lines: string[] = [];
  let bytes = FENCE_OVERHEAD_BYTES + Buffer.byteLength(`${HEADER}\n`);
  for (const c of candidates) {
    if (picked.length >= opts.limit) break;
    if (given.has(c.observation.id) || c.matched < opts.minMatched || c.share < opts.minShare) continue;
    const l = line(c.observation);
    const size = Buffer.byteLength(`${l}\n`);
    if (bytes + size > opts.maxBytes) break;
    bytes += size;
    picked.push(c.observation);
    lines.push(l);
  }
  return picked.length ? { observations: picked, text: fence([HEADER, ...lines].join('\n')) } : { observations: [], text: '' };
}

/** Which observation ids each session has been given, so none is injected twice (bounded LRU). */
export class GivenObservations {
  private readonly bySession = new Map<string, Set<number>>();
  constructor(private readonly maxSessions = 1000) {}

  of(sessionId: string): ReadonlySet<number> {
    return this.bySession.get(sessionId) ?? new Set();
  }

  add(sessionId: string, ids: number[]): void {
    const set = this.bySession.get(sessionId) ?? new Set<number>();
    for (const id of ids) set.add(id);
    this.bySession.delete(sessionId); // re-insert: most recent last
    this.bySession.set(sessionId, set);
    if (this.bySession.size > this.maxSessions) this.bySession.delete(this.bySession.keys().next().value as string);
  }
}
