import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectsToRead, resolveProject } from '../../src/config/project.js';

let tmp: string;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-proj-')));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function mkdirs(...parts: string[]): string {
  const p = path.join(tmp, ...parts);
  fs.mkdirSync(p, { recursive: true });
  return p;
}

describe('resolveProject', () => {
  it('uses the git root for the repo and any subdirectory', () => {
    const repo = mkdirs('code', 'my-app');
    mkdirs('code', 'my-app', '.git');
    const sub = mkdirs('code', 'my-app', 'src', 'lib');
    expect(resolveProject(repo)).toEqual({ project: 'my-app', parent: null, root: repo });
    expect(resolveProject(sub)).toEqual({ project: 'my-app', parent: null, root: repo });
    expect(resolveProject(sub + path.sep)).toEqual({ project: 'my-app', parent: null, root: repo });
  });

  it('maps a linked worktree to parent/worktree and reads both', () => {
    const main = mkdirs('code', 'my-app');
    mkdirs('code', 'my-app', '.git', 'worktrees', 'feature-x');
    const wt = mkdirs('wt', 'feature-x-checkout');
    fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(main, '.git', 'worktrees', 'feature-x')}\n`);
    const inside = mkdirs('wt', 'feature-x-checkout', 'pkg');
    const resolved = resolveProject(inside);
    expect(resolved).toEqual({ project: 'my-app/feature-x-checkout', parent: 'my-app', root: wt });
    expect(projectsToRead(resolved)).toEqual(['my-app/feature-x-checkout', 'my-app']);
  });

  it('accepts a relative gitdir and a bare main repository', () => {
    mkdirs('bare', 'tool.git', 'worktrees', 'w1');
    const wt = mkdirs('bare', 'w1');
    fs.writeFileSync(path.join(wt, '.git'), 'gitdir: ../tool.git/worktrees/w1\r\n');
    expect(resolveProject(wt)).toEqual({ project: 'tool/w1', parent: 'tool', root: wt });
  });

  it('treats a submodule (.git file into .git/modules) as its own project', () => {
    mkdirs('super', '.git', 'modules', 'lib');
    const sub = mkdirs('super', 'vendor', 'lib');
    fs.writeFileSync(path.join(sub, '.git'), 'gitdir: ../../.git/modules/lib\n');
    const resolved = resolveProject(sub);
    expect(resolved).toEqual({ project: 'lib', parent: null, root: sub });
    expect(projectsToRead(resolved)).toEqual(['lib']);
  });

  it('outside git uses the basename of the cwd', () => {
    const plain = mkdirs('notes', 'ideas');
    expect(resolveProject(plain)).toEqual({ project: 'ideas', parent: null, root: null });
  });

  it('works for a cwd that does not exist', () => {
    const missing = path.join(tmp, 'gone', 'away');
    expect(resolveProject(missing)).toEqual({ project: 'away', parent: null, root: null });
    mkdirs('repo', '.git');
    expect(resolveProject(path.join(tmp, 'repo', 'deleted', 'dir'))).toMatchObject({ project: 'repo' });
  });

  it('handles an empty cwd and the filesystem root', () => {
    expect(resolveProject('')).toEqual({ project: 'unknown', parent: null, root: null });
    expect(resolveProject(path.parse(tmp).root).project.length).toBeGreaterThan(0);
  });
});
