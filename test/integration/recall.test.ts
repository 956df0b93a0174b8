// Recall over HTTP: hostile search input, export → import round trip, context injection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedFetch, getJson, postJson, runCli, runHook, startWorker, tempDir, type WorkerHandle } from '../helpers/worker.js';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = ['bugfix', 'feature', 'refactor', 'change', 'discovery', 'decision'] as const;

function sampleObservations(n: number, project = 'recall-proj') {
  const topics = ['sqlite wal checkpoint', 'hook timeout', 'parser code fences', 'retry-after header', 'worktree project names', 'context byte cap'];
  return Array.from({ length: n }, (_, i) => ({
    content_session_id: `sess-${i % 7}`,
    project,
    type: TYPES[i % TYPES.length],
    title: `Observation ${i} about ${topics[i % topics.length]}`,
    subtitle: `subtitle ${i}`,
    narrative: `Narrative ${i}: we looked at ${topics[(i + 1) % topics.length]} and decided something about ${topics[i % topics.length]}.`,
    facts: [`fact ${i}`, `src/file${i % 10}.ts changed`],
    concepts: i % 2 ? ['gotcha'] : ['how-it-works'],
    files_read: [`/repo/src/file${i % 10}.ts`],
    files_modified: i % 3 ? [] : [`/repo/src/file${i % 10}.ts`],
    created_at: new Date(Date.UTC(2026, 10, 1 + (i % 20), 10, i % 60)).toISOString(),
  }));
}

/** 200 hostile strings: FTS5 syntax, quotes, unbalanced parens, emoji, control chars, huge input. */
function hostileQueries(): string[] {
  const seeds = [
    '"', '""', '"unbalanced', "'", '*', '**', 'a*', '*a', '-', '-x', 'NOT', 'AND', 'OR', 'NEAR', 'NEAR(a b, 3)',
    'a AND', 'OR b', '(', ')', '((a)', 'a)', '^', '^a', 'title:foo', 'title : foo', '{title}: x', 'col:', ':',
    '\\', '\\"', '%', '_', '?', '!', '@', '#', '$', '&', '|', '~', '`', '[', ']', '{', '}', '<', '>', '<script>',
    '🙂', '🔥🔥🔥', '中文查询', 'עברית', 'ñandú', 'e\u0301', '\u0000', '\u0007bell', 'RAW:%ED%A0%BD', 'RAW:%FF%FE', 'RAW:%', 'RAW:%zz', 'tab\there', 'new\nline',
    "'; DROP TABLE observations; --", '1=1', 'NULL', 'undefined', '__proto__', 'constructor', '0', '-1', '1e309',
    'sqlite"wal', 'hook) OR (timeout', 'parser* NOT fences', '"context" NEAR "cap"', 'retry-after', 'worktree/project',
  ];
  const out = [...seeds];
  out.push('x'.repeat(10 * 1024), 'sqlite '.repeat(2000), '('.repeat(5000), '"'.repeat(3000), '🙂'.repeat(3000));
  let i = 0;
  while (out.length < 200) {
    const a = seeds[i % seeds.length];
    const b = seeds[(i * 7 + 3) % seeds.length];
    if (a.startsWith('RAW:') || b.startsWith('RAW:')) {
      i++;
      continue;
    }
    out.push(`${a} sqlite ${b} ${i}`);
    i++;
  }
  return out;
}

describe('recall over HTTP', () => {
  let w: WorkerHandle;
  beforeAll(async () => {
    w = await startWorker();
    const res = await postJson<{ observations: { imported: number } }>(`${w.url}/api/import`, {
      observations: sampleObservations(120),
      summaries: [
        { content_session_id: 'sess-1', project: 'recall-proj', request: 'Make hooks fail open', completed: 'Hook timeout handled', learned: 'SessionEnd hooks are cancelled after 1.5 s', next_steps: 'Measure hook overhead', created_at: '2026-11-21T12:00:00.000Z' },
      ],
      prompts: [{ content_session_id: 'sess-1', project: 'recall-proj', prompt_number: 1, prompt_text: 'Why does the hook time out?', created_at: '2026-11-21T11:00:00.000Z' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.observations.imported).toBe(120);
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('answers 200 hostile query strings without an error', async () => {
    const failures: string[] = [];
    for (const q of hostileQueries()) {
      // RAW: entries are sent as-is: invalid UTF-8 and broken percent escapes.
      const qs = q.startsWith('RAW:') ? q.slice(4) : encodeURIComponent(q);
      const res = await authedFetch(`${w.url}/api/search?query=${qs}&limit=5`);
      if (res.status !== 200) failures.push(`${JSON.stringify(q.slice(0, 40))} → ${res.status} ${await res.text()}`);
      else {
        const body = (await res.json()) as { observations: unknown[] };
        if (!Array.isArray(body.observations)) failures.push(`${q.slice(0, 40)}: no observations array`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('ranks relevant rows first and applies filters', async () => {
    const r = await getJson<{ observations: Array<{ title: string; type: string; project: string }> }>(
      `${w.url}/api/search?query=${encodeURIComponent('retry-after header')}&project=recall-proj&limit=5&kinds=observations`,
    );
    expect(r.observations.length).toBeGreaterThan(0);
    expect(r.observations[0].title).toMatch(/retry-after header/);
    const typed = await getJson<{ observations: Array<{ type: string }> }>(`${w.url}/api/search?query=sqlite&type=bugfix&limit=50`);
    expect(typed.observations.length).toBeGreaterThan(0);
    expect(typed.observations.every((o) => o.type === 'bugfix')).toBe(true);
    const files = await getJson<{ observations: Array<{ files_read: string[] }> }>(`${w.url}/api/search?query=&files=file3.ts&limit=50`);
    expect(files.observations.length).toBeGreaterThan(0);
    expect(files.observations.every((o) => o.files_read.some((f) => f.includes('file3.ts')))).toBe(true);
    const dated = await getJson<{ observations: Array<{ created_at: string }> }>(
      `${w.url}/api/search?query=&dateStart=2026-11-05T00:00:00Z&dateEnd=2026-11-05T23:59:59Z&limit=100`,
    );
    expect(dated.observations.length).toBeGreaterThan(0);
    expect(dated.observations.every((o) => o.created_at.startsWith('2026-11-05'))).toBe(true);
    const bad = await authedFetch(`${w.url}/api/search?query=x&type=nonsense`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/type/);
  });

  it('finds summaries and prompts too', async () => {
    const r = await getJson<{ sessions: Array<{ learned: string }>; prompts: Array<{ prompt_text: string }> }>(
      `${w.url}/api/search?query=${encodeURIComponent('hook cancelled timeout')}`,
    );
    expect(r.sessions[0]?.learned).toMatch(/cancelled/);
    expect(r.prompts[0]?.prompt_text).toMatch(/time out/);
  });

  it('export → import into an empty data dir gives identical search results; re-import imports nothing', async () => {
    const exportFile = path.join(tempDir('cm-export-'), 'export.json');
    const ex = runCli(['export', '-o', exportFile], w.env);
    expect(ex.code, ex.stderr).toBe(0);
    const w2 = await startWorker();
    try {
      const im = runCli(['import', exportFile], w2.env);
      expect(im.code, im.stderr).toBe(0);
      expect(im.stdout).toMatch(/Imported 122 records, skipped 0/);
      const again = runCli(['import', exportFile], w2.env);
      expect(again.stdout).toMatch(/Imported 0 records, skipped 122/);
      for (const q of ['sqlite wal', 'parser fences', 'context cap', 'hook']) {
        const a = await getJson<{ observations: Array<{ title: string }> }>(`${w.url}/api/search?query=${encodeURIComponent(q)}&limit=20`);
        const b = await getJson<{ observations: Array<{ title: string }> }>(`${w2.url}/api/search?query=${encodeURIComponent(q)}&limit=20`);
        expect(b.observations.map((o) => o.title)).toEqual(a.observations.map((o) => o.title));
      }
    } finally {
      await w2.stop();
    }
  });

  it('import validation names the record', async () => {
    const file = path.join(tempDir('cm-bad-'), 'bad.json');
    const rows = sampleObservations(3);
    (rows[2] as Record<string, unknown>).type = 'not-a-type';
    fs.writeFileSync(file, JSON.stringify({ observations: rows }));
    const r = runCli(['import', file], w.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/observations\[2\]\.type/);
  });

  it('serves context for a project and a cap-respecting, tagged text', async () => {
    const res = await authedFetch(`${w.url}/api/context/inject?project=recall-proj`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text.startsWith('<claude-mem-context>')).toBe(true);
    expect(text.trimEnd().endsWith('</claude-mem-context>')).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8000);
    expect(text).toMatch(/Observation 119/);
    const empty = await (await authedFetch(`${w.url}/api/context/inject?project=never-seen`)).text();
    expect(empty).toMatch(/<claude-mem-context>/);
    expect(empty.length).toBeLessThan(1500);
  });

  it('never re-captures injected context', async () => {
    const ctx = await (await authedFetch(`${w.url}/api/context/inject?project=recall-proj`)).text();
    const cwd = tempDir('cm-proj-');
    const run = runHook('user-prompt-submit', { session_id: 'ctx-sess', cwd, hook_event_name: 'UserPromptSubmit', prompt: `${ctx}\nplease continue` }, w.env);
    expect(run.code).toBe(0);
    const prompts = await getJson<{ prompts: Array<{ prompt_text: string; content_session_id: string }> }>(`${w.url}/api/prompts?limit=200`);
    const stored = prompts.prompts.find((p) => p.content_session_id === 'ctx-sess');
    expect(stored?.prompt_text.trim()).toBe('please continue');
  });

  it('timeline returns records around an anchor or a query match', async () => {
    const byQuery = await getJson<{ anchor: number; items: Array<{ kind: string; id: number }> }>(
      `${w.url}/api/timeline?query=${encodeURIComponent('worktree project names')}&project=recall-proj&before=3&after=3`,
    );
    expect(byQuery.anchor).toBeGreaterThan(0);
    expect(byQuery.items.filter((i) => i.kind === 'observation').length).toBe(7);
    const missing = await authedFetch(`${w.url}/api/timeline`);
    expect(missing.status).toBe(400);
  });
});
