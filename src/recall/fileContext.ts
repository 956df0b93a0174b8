// PreToolUse(Read) context: what memory already says about a file, but only while the file is
// unchanged since those observations were made (otherwise they may describe old code).
import fs from 'node:fs';
import path from 'node:path';
import { projectsToRead, resolveProject } from '../config/project.js';
import type { Observation } from '../api/types.js';
import type { Store } from '../store/Store.js';
import { trackedFiles } from '../store/fileState.js';
import { fence, FENCE_OVERHEAD_BYTES, isFlaggedObservation, neutraliseMarkup } from './fence.js';

const MAX_ROWS = 5;
const MAX_BYTES = 2000;

export async function fileContext(
  store: Store,
  filePath: string,
  cwd: string,
): Promise<{ observations: number[]; text: string }> {
  const absolute = path.isAbsolute(filePath) ? filePath : path.resolve(cwd, filePath);
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(absolute).mtimeMs;
  } catch {
    return { observations: [], text: '' };
  }
  const projects = projectsToRead(resolveProject(cwd));
  // Paths are recorded as the tools saw them: usually absolute, sometimes relative to cwd.
  const candidates = [absolute, path.relative(cwd, absolute)].filter(Boolean);
  const seen = new Map<number, Awaited<ReturnType<typeof store.sessions.observationsForFile>>[number]>();
  for (const p of candidates) {
    for (const o of await store.sessions.observationsForFile(p, projects, MAX_ROWS * 2)) seen.set(o.id, o);
  }
  // The staleness rule of context and search: a row whose hashes were recorded is fresh while the
  // file's content is unchanged (a touch or a reverted edit does not matter); older rows without
  // hashes fall back to "recorded after the file's last modification". Superseded rows never show.
  const unchanged = (o: Observation) => (trackedFiles(o)?.includes(absolute) ? !o.stale : o.created_at_epoch >= mtimeMs);
  const fresh = [...seen.values()]
    .filter((o) => unchanged(o) && !o.superseded_by && !isFlaggedObservation(o))
    .sort((a, b) => b.created_at_epoch - a.created_at_epoch)
    .slice(0, MAX_ROWS);
  if (fresh.length === 0) return { observations: [], text: '' };
  // Memory text is neutralised and fenced (fence.ts): notes, never instructions.
  const flat = (t: string) => neutraliseMarkup(t).replace(/\s+/g, ' ').trim();
  const lines = [`claude-mem: earlier observations about ${flat(path.basename(absolute))} (file unchanged since):`];
  for (const o of fresh) {
    const line = `- #${o.id} [${flat(o.type)}] ${flat(o.title ?? '')}${o.subtitle ? ` — ${flat(o.subtitle)}` : ''}`;
    if (Buffer.byteLength([...lines, line].join('\n')) + FENCE_OVERHEAD_BYTES > MAX_BYTES) break;
    lines.push(line);
  }
  lines.push('Use get_observations([ids]) for details.');
  return { observations: fresh.map((o) => o.id), text: fence(lines.join('\n')) };
}
