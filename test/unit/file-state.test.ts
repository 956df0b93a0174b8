// Staleness bookkeeping: what is hashed at observation time, and how a later change is judged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureFileHashes, changedFiles, staleNote } from '../../src/store/fileState.js';
import { formatReceipt, parseIds } from '../../src/cli/forget.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function project(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-fs-')));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
  return root;
}

describe('file hashes', () => {
  it('records only files inside the project; relative paths against cwd; a missing file as absent', () => {
    const root = project();
    const h = captureFileHashes(['src/a.ts', '/etc/hostname', path.join(root, 'src', 'gone.ts')], root, root)!;
    expect(Object.keys(h.files).sort()).toEqual([path.join(root, 'src', 'a.ts'), path.join(root, 'src', 'gone.ts')].sort());
    expect(h.files[path.join(root, 'src', 'gone.ts')]).toBeNull();
    expect(captureFileHashes(['/etc/hostname'], root, root)).toBeNull();
    expect(captureFileHashes(['src/a.ts'], null, root)).toBeNull();
  });

  it('a change, a deletion or a new file at a recorded path is stale; the same content again is not', () => {
    const root = project();
    const file = path.join(root, 'src', 'a.ts');
    const h = captureFileHashes([file, path.join(root, 'src', 'b.ts')], root, root);
    expect(changedFiles(h)).toEqual([]);
    fs.writeFileSync(file, 'changed');
    expect(changedFiles(h)).toEqual(['src/a.ts']);
    fs.writeFileSync(file, 'a');
    expect(changedFiles(h)).toEqual([]);
    fs.writeFileSync(path.join(root, 'src', 'b.ts'), 'new');
    fs.rmSync(file);
    expect(changedFiles(h).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    expect(staleNote(['src/a.ts'])).toBe('src/a.ts changed since');
    expect(staleNote(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more changed since');
  });

  it('a project that is not on this machine (a teammate\'s row) cannot be judged: not stale', () => {
    expect(changedFiles({ root: '/nonexistent/teammate/repo', files: { '/nonexistent/teammate/repo/x.ts': 'abc' } })).toEqual([]);
  });
});

describe('CLI forget helpers', () => {
  it('parses ids as typed and names a bad one', () => {
    expect(parseIds(['12', '#13', '14,15'])).toEqual([12, 13, 14, 15]);
    expect(parseIds(['12', 'x1'])).toMatch(/"x1" is not an observation id/);
    expect(parseIds(['0'])).toMatch(/not an observation id/);
  });

  it('a dry run lists and says nothing changed; a receipt counts per kind', () => {
    const r = { dryRun: true, observations: 1, summaries: 1, prompts: 0, queuedEvents: 0, vectors: 0, tombstones: 2, ids: { observations: [7], summaries: [3], prompts: [] } };
    expect(formatReceipt(r, new Map([[7, '[change] T']]))).toBe(
      'Would forget 1 observation, 1 summary, 0 prompts (and 0 queued events, 0 vectors):\n  #7  [change] T\n  summaries: S3\nNothing was changed. Run the same command without --dry-run to forget them.',
    );
    expect(formatReceipt({ ...r, dryRun: false })).toMatch(/^Forgot 1 observation, 1 summary, 0 prompts; removed 0 queued events, 0 vectors\.\n2 tombstones/);
  });
});
