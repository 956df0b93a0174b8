// A large, natural-vocabulary corpus for search at scale: observations made of the JSDoc sentences
// of the TypeScript declaration files installed in this repository's node_modules (pinned by
// package-lock.json, so every machine builds the same corpus), spread over 10 projects, 20
// observations per session. Real prose has a long tail of rare words and a head of very common
// ones, which is what makes OR-ranked keyword search expensive; the templated dataset.mjs corpus
// has neither. Queries are 2–4 consecutive words of a sentence some observation holds.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, pick, rng } from './lib.mjs';

export const SCALE_PROJECTS = Array.from({ length: 10 }, (_, i) => `scale-project-${i}`);

let cached = null;

/** The distinct JSDoc sentences (4–40 words) of node_modules' .d.ts files, in a fixed order. */
export function jsdocSentences() {
  if (cached) return cached;
  const files = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'node_modules'));
  const sentences = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const module = path.basename(file, '.d.ts').replace(/[^A-Za-z0-9]+/g, '-') || 'index';
    for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const body = m[1]
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, ''))
        .filter((l) => !l.startsWith('@'))
        .join(' ')
        .replace(/\{@link\s+([^}|]+)[^}]*\}/g, '$1')
        .replace(/\s+/g, ' ')
        .trim();
      for (const s of body.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
        const words = s.split(' ').length;
        if (words >= 4 && words <= 40 && !/[<>{}]/.test(s) && !sentences.has(s)) sentences.set(s, module);
      }
    }
  }
  if (sentences.size < 1000) throw new Error(`only ${sentences.size} JSDoc sentences under node_modules: run npm ci first`);
  cached = [...sentences.entries()].map(([text, module]) => ({ text, module }));
  return cached;
}

/**
 * Observations offset … offset+n-1 of the corpus (deterministic per index), oldest first, one
 * minute apart, ending at a fixed date. Each has a one-sentence title, a 3-sentence narrative,
 * 2 facts and the file its first sentence came from.
 */
export function scaleObservations(n, offset = 0) {
  const all = jsdocSentences();
  const end = Date.UTC(2026, 0, 1);
  const observations = [];
  for (let i = offset; i < offset + n; i++) {
    const rand = rng(1_000_003 + i);
    const s = () => pick(rand, all);
    const head = s();
    const session = Math.floor(i / 20);
    observations.push({
      content_session_id: `scale-${session}`,
      project: SCALE_PROJECTS[session % SCALE_PROJECTS.length],
      type: pick(rand, ['discovery', 'change', 'bugfix', 'feature', 'decision']),
      title: head.text.length > 120 ? `${head.text.slice(0, 117)}…` : head.text,
      subtitle: '',
      narrative: [head, s(), s()].map((x) => x.text).join(' '),
      facts: [s().text, s().text],
      concepts: ['how-it-works'],
      files_read: [`src/${head.module}.ts`],
      files_modified: [],
      prompt_number: 1,
      created_at: new Date(end - (10_000_000 - i) * 60_000).toISOString(),
    });
  }
  return observations;
}

/** `count` queries of 2–4 consecutive words taken from sentences of the first `size` observations. */
export function scaleQueries(count, size) {
  const rand = rng(7);
  const queries = [];
  while (queries.length < count) {
    const [o] = scaleObservations(1, Math.floor(rand() * size));
    const words = o.narrative.split(/\s+/).filter((w) => /^[A-Za-z][A-Za-z'-]*[a-z]$/.test(w));
    if (words.length < 6) continue;
    const len = 2 + Math.floor(rand() * 3);
    const start = Math.floor(rand() * (words.length - len));
    queries.push(words.slice(start, start + len).join(' '));
  }
  return queries;
}
