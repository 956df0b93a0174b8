// Project identity from a cwd (SPEC §12): the basename of the enclosing git repository, found by
// walking up to a `.git` entry with plain fs calls (no `git` subprocess: hooks must be fast).
// Worktrees map to `parent/worktree` and also read the parent's memory. Node builtins only.
import fs from 'node:fs';
import path from 'node:path';

export interface ResolvedProject {
  /** Name memories are stored under: `repo`, `repo/worktree`, or the cwd's basename. */
  project: string;
  /** For a linked worktree, the main repository's name; otherwise null. */
  parent: string | null;
  /** The directory holding `.git` (repo or worktree root); null outside git. */
  root: string | null;
}

/** Name for a directory path; the path text itself when it has no basename (`/`, `C:\`). */
function nameOf(dir: string): string {
  return path.basename(dir) || dir;
}

/**
 * For a `.git` file (`gitdir: …`), the main repository's name when it points into
 * `<main>/.git/worktrees/<name>` (or `<main>.git/worktrees/<name>` for a bare main repo).
 * Returns null for other gitdir files, e.g. submodules (`.git/modules/<name>`).
 */
function worktreeParent(gitFile: string, dir: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(gitFile, 'utf8');
  } catch {
    return null;
  }
  const m = /^gitdir:[ \t]*(.+?)[ \t]*$/m.exec(text);
  if (!m) return null;
  const gitdir = path.resolve(dir, m[1].trim()).replace(/\\/g, '/').replace(/\/+$/, '');
  const wt = /^(.*)\/worktrees\/[^/]+$/.exec(gitdir);
  if (!wt) return null;
  const mainGitDir = wt[1];
  const base = path.posix.basename(mainGitDir);
  if (base === '.git') return nameOf(path.dirname(mainGitDir));
  if (base.endsWith('.git') && base.length > 4) return base.slice(0, -4);
  return base || null;
}

/** Resolve the project for a cwd. Works for paths that do not exist (uses the path text). */
export function resolveProject(cwd: string): ResolvedProject {
  if (typeof cwd !== 'string' || cwd.trim() === '') return { project: 'unknown', parent: null, root: null };
  const start = path.resolve(cwd);
  for (let dir = start; ; dir = path.dirname(dir)) {
    const gitPath = path.join(dir, '.git');
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(gitPath);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return { project: nameOf(dir), parent: null, root: dir };
    if (stat?.isFile()) {
      const parent = worktreeParent(gitPath, dir);
      if (parent) return { project: `${parent}/${nameOf(dir)}`, parent, root: dir };
      return { project: nameOf(dir), parent: null, root: dir };
    }
    if (path.dirname(dir) === dir) break;
  }
  return { project: nameOf(start), parent: null, root: null };
}

/** Projects whose memory a session reads: its own, then the main repo's for a worktree. */
export function projectsToRead(resolved: ResolvedProject): string[] {
  return resolved.parent && resolved.parent !== resolved.project ? [resolved.project, resolved.parent] : [resolved.project];
}
