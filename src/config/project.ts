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

/** The git config file of the repository at `root` (a worktree's shared config lives in its common dir). */
function gitConfigPath(root: string): string | null {
  const gitPath = path.join(root, '.git');
  try {
    if (fs.statSync(gitPath).isDirectory()) return path.join(gitPath, 'config');
    const m = /^gitdir:[ \t]*(.+?)[ \t]*$/m.exec(fs.readFileSync(gitPath, 'utf8'));
    if (!m) return null;
    const gitdir = path.resolve(root, m[1].trim());
    let common = gitdir;
    try {
      common = path.resolve(gitdir, fs.readFileSync(path.join(gitdir, 'commondir'), 'utf8').trim());
    } catch {
      /* not a worktree: the gitdir holds the config */
    }
    return path.join(common, 'config');
  } catch {
    return null;
  }
}

/**
 * `host/path` for a remote URL, so ssh and https spellings of one repository agree:
 * `git@github.com:org/repo.git` and `https://user:tok@github.com/org/repo/` both give
 * `github.com/org/repo`. Credentials and ports are dropped. Null for local paths (not shareable).
 */
export function normalizeRemoteUrl(url: string): string | null {
  const u = url.trim();
  let host: string;
  let rest: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(u);
  const std = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:]+)(?::\d*)?\/(.+)$/i.exec(u);
  if (/^file:/i.test(u) || /^[a-z]:[\\/]/i.test(u) || u.startsWith('/') || u.startsWith('.')) return null;
  if (std) [, host, rest] = std;
  else if (scp) [, host, rest] = scp;
  else return null;
  const repoPath = rest.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/^\/+/, '');
  if (!repoPath) return null;
  return `${host.toLowerCase()}/${repoPath}`;
}

/**
 * Project key from the git remote (`origin` first, else the first remote with a URL), or null
 * outside git or without a remote. The same repository cloned on two machines has one key.
 */
export function remoteKey(cwd: string): string | null {
  const { root } = resolveProject(cwd);
  if (!root) return null;
  const config = gitConfigPath(root);
  let text: string;
  try {
    text = config ? fs.readFileSync(config, 'utf8') : '';
  } catch {
    return null;
  }
  const urls = new Map<string, string>();
  let remote: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[\s*([^\]\s"]+)(?:\s+"([^"]*)")?\s*\]/.exec(line);
    if (section) {
      remote = section[1].toLowerCase() === 'remote' ? (section[2] ?? null) : null;
      continue;
    }
    const kv = /^\s*url\s*=\s*(.+?)\s*$/i.exec(line);
    if (remote !== null && kv && !urls.has(remote)) urls.set(remote, kv[1].replace(/^"(.*)"$/, '$1'));
  }
  const url = urls.get('origin') ?? [...urls.values()][0];
  return url ? normalizeRemoteUrl(url) : null;
}
