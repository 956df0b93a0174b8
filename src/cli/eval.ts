// `claude-mem eval`: does search still find what is in your memory? Queries are made from your own
// observations (the title; a fact, or the narrative's first words) and must find the observation
// they came from, within its project. No LLM is involved. The last result is kept in the data dir
// so a drop after an upgrade is reported.
import fs from 'node:fs';
import path from 'node:path';
import type { Observation, ObservationsPage, SearchResponse } from '../api/types.js';

export interface EvalResult {
  at: string;
  version: string;
  observations: number;
  queries: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrr: number;
}

type Get = <T>(route: string) => Promise<T>;

/** The queries one observation should be found by. */
export function queriesFor(o: Observation): string[] {
  const firstWords = (s: string) => s.split(/\s+/).filter(Boolean).slice(0, 12).join(' ');
  const second = o.facts.find((f) => f.trim()) ?? firstWords(o.narrative);
  return [o.title, second].map((q) => q.trim()).filter((q, i, all) => q && all.indexOf(q) === i);
}

export async function runEval(get: Get, opts: { sample: number; version: string }): Promise<EvalResult> {
  const page = await get<ObservationsPage>(`/api/observations?limit=${opts.sample}&offset=0`);
  let queries = 0;
  let mrr = 0;
  const hits = { 1: 0, 5: 0, 10: 0 };
  for (const o of page.observations) {
    for (const q of queriesFor(o)) {
      const params = new URLSearchParams({ query: q, project: o.project, limit: '10', kinds: 'observations' });
      const res = await get<SearchResponse>(`/api/search?${params}`);
      const rank = res.observations.findIndex((r) => r.id === o.id) + 1;
      queries++;
      if (rank > 0) {
        mrr += 1 / rank;
        for (const k of [1, 5, 10] as const) if (rank <= k) hits[k]++;
      }
    }
  }
  const share = (n: number) => (queries ? n / queries : 0);
  return {
    at: new Date().toISOString(),
    version: opts.version,
    observations: page.observations.length,
    queries,
    recallAt1: share(hits[1]),
    recallAt5: share(hits[5]),
    recallAt10: share(hits[10]),
    mrr: share(mrr),
  };
}

/** A drop of more than this (absolute) in Recall@10 or MRR since the last run is reported. */
const DROP = 0.05;

export function lastEvalPath(dataDir: string): string {
  return path.join(dataDir, 'eval-last.json');
}

export function readLastEval(file: string): EvalResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResult;
  } catch {
    return null;
  }
}

export function formatEval(r: EvalResult, last: EvalResult | null): { text: string; dropped: boolean } {
  const f = (x: number) => x.toFixed(3);
  const lines = [
    `Retrieval check on ${r.observations} observations (${r.queries} queries made from their titles and facts):`,
    `  Recall@1 ${f(r.recallAt1)}   Recall@5 ${f(r.recallAt5)}   Recall@10 ${f(r.recallAt10)}   MRR ${f(r.mrr)}`,
  ];
  let dropped = false;
  if (last) {
    const d10 = r.recallAt10 - last.recallAt10;
    const dm = r.mrr - last.mrr;
    lines.push(`  last run ${last.at} (v${last.version}): Recall@10 ${f(last.recallAt10)}, MRR ${f(last.mrr)}`);
    if (d10 < -DROP || dm < -DROP) {
      dropped = true;
      lines.push(
        `WARNING: retrieval dropped since the last run${last.version !== r.version ? ` (v${last.version} → v${r.version})` : ''}: Recall@10 ${f(d10)}, MRR ${f(dm)}. ` +
          'If memory did not change much meanwhile, this is a regression: please report it with this output.',
      );
    }
  }
  if (r.queries === 0) lines.push('No observations yet: nothing to check.');
  return { text: lines.join('\n'), dropped };
}
