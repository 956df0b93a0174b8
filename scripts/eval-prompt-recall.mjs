#!/usr/bin/env node
// Prompt-time recall on the LoCoMo dev split (bench/data), through the worker's HTTP API: every
// conversation is imported as a project; each question is sent as a prompt
//   - to its own conversation's project ("related"): precision = share of injected observations
//     that are evidence for it, and how often something is injected at all;
//   - to another conversation's project ("unrelated": memory holds no answer): how often nothing
//     is injected.
// With --sweep it reports every (minMatched, minShare) gate on the candidates the worker explains,
// which is how the defaults in src/recall/promptRecall.ts were chosen.
//
//   npm run eval:recall [-- --sweep] [--json out.json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : null);
const SWEEP = args.includes('--sweep');
const DATA = opt('--data') ?? path.join(ROOT, 'bench/data/locomo-dev.json');
const WORKER = path.join(ROOT, 'dist/worker/worker-main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startWorker() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-eval-recall-'));
  const port = await freePort();
  const env = { ...process.env, CLAUDE_MEM_DATA_DIR: dataDir, CLAUDE_MEM_WORKER_PORT: String(port), CLAUDE_MEM_LOG_LEVEL: 'WARN' };
  for (const k of Object.keys(env)) if (k.startsWith('ANTHROPIC_')) delete env[k];
  const child = spawn(process.execPath, [WORKER], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      /* starting */
    }
    await sleep(150);
  }
  const tokenFile = path.join(dataDir, 'worker.token');
  const token = fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : '';
  const api = async (method, route, body) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${json.error}`);
    return json;
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { api, stop };
}

const project = (conv) => `locomo-conv-${conv}`;

async function main() {
  if (!fs.existsSync(WORKER)) throw new Error('dist/ is missing: run `npm run build`');
  const data = JSON.parse(fs.readFileSync(DATA, 'utf8'));
  const convs = [...new Set(data.docs.map((d) => d.conv))];
  const w = await startWorker();
  try {
    const docOf = new Map();
    for (const conv of convs) {
      const docs = data.docs.filter((d) => d.conv === conv);
      const res = await w.api('POST', '/api/import', {
        observations: docs.map((d) => ({
          content_session_id: `locomo-${d.conv}-${d.session}`,
          project: project(conv),
          type: 'discovery',
          title: (d.text || d.caption || d.speaker).slice(0, 60),
          subtitle: '',
          narrative: `${d.speaker}: ${d.text ?? ''}${d.caption ? ` [shared a photo: ${d.caption}]` : ''}`,
          facts: d.date ? [d.date] : [],
          concepts: [],
          files_read: [],
          files_modified: [],
          ...(d.ts && Number.isFinite(Date.parse(d.ts)) ? { created_at: new Date(d.ts).toISOString() } : {}),
        })),
      });
      res.observations.ids.forEach((id, i) => docOf.set(id, `${conv}:${docs[i].id}`));
    }
    const questions = data.questions.filter((q) => q.category !== 5 && q.evidence?.length);
    const runs = [];
    for (const q of questions) {
      const other = convs[(convs.indexOf(q.conv) + 1) % convs.length];
      const evidence = new Set(q.evidence.map((e) => `${q.conv}:${e}`));
      const related = await w.api('POST', '/api/recall/prompt', { prompt: q.q, project: project(q.conv), explain: SWEEP });
      const unrelated = await w.api('POST', '/api/recall/prompt', { prompt: q.q, project: project(other), explain: SWEEP });
      runs.push({ q, evidence, related, unrelated });
    }
    const score = (pick) => {
      let injectedRelated = 0;
      let hits = 0;
      let injectedCount = 0;
      let silentUnrelated = 0;
      for (const r of runs) {
        const rel = pick(r.related);
        const unr = pick(r.unrelated);
        if (rel.length) injectedRelated++;
        injectedCount += rel.length;
        hits += rel.filter((id) => r.evidence.has(docOf.get(id))).length;
        if (!unr.length) silentUnrelated++;
      }
      return {
        precision: injectedCount ? hits / injectedCount : null,
        injectedOnRelated: injectedRelated / runs.length,
        silentOnUnrelated: silentUnrelated / runs.length,
      };
    };
    const out = { questions: runs.length, defaults: score((x) => x.observations.map((o) => o.id)) };
    if (SWEEP) {
      out.sweep = [];
      for (const minMatched of [1, 2, 3]) {
        for (const minShare of [0.25, 0.34, 0.5, 0.6, 0.67, 0.75, 1]) {
          const pick = (x) => x.candidates.filter((c) => c.matched >= minMatched && c.share >= minShare).slice(0, 3).map((c) => c.id);
          out.sweep.push({ minMatched, minShare, ...score(pick) });
        }
      }
    }
    const pct = (x) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
    console.log(`prompt-time recall on ${runs.length} LoCoMo questions (categories 1–4)`);
    console.log(`defaults: precision ${pct(out.defaults.precision)}, injected for related prompts ${pct(out.defaults.injectedOnRelated)}, nothing injected for unrelated prompts ${pct(out.defaults.silentOnUnrelated)}`);
    if (out.sweep) {
      console.log('minMatched  minShare  precision  injected(related)  silent(unrelated)');
      for (const s of out.sweep) console.log(`${String(s.minMatched).padStart(10)}  ${s.minShare.toFixed(2).padStart(8)}  ${pct(s.precision).padStart(9)}  ${pct(s.injectedOnRelated).padStart(17)}  ${pct(s.silentOnUnrelated).padStart(17)}`);
    }
    if (opt('--json')) fs.writeFileSync(opt('--json'), JSON.stringify(out, null, 2));
  } finally {
    await w.stop();
  }
}

main().catch((err) => {
  console.error(`eval-prompt-recall: ${err.message}`);
  process.exit(1);
});
