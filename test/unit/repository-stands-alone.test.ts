// The repository works wherever it is cloned. Nothing under src/, test/, bench/, scripts/
// or .ci/ may refer to a path outside the checkout. Three rules, each aimed at a mistake that works on
// the author's machine and breaks in a fresh clone:
//
//   relative  a relative path that climbs out of the repository: a sibling folder joined to the repo
//             root (ROOT/../shared), or more `..` than a file's depth. The base a literal resolves
//             from is read from its surroundings: import specifiers and calls using __dirname,
//             import.meta or `here` resolve from the file's directory; calls using ROOT-like names,
//             and everything else (plain strings are opened relative to the cwd, which npm scripts and
//             vitest set to the repo root), from the repo root. Comments count too: a comment pointing
//             at a sibling folder is a reference nobody else can follow. Their base is unknown, so a
//             comment's path is flagged when it climbs out from its file's directory, or climbs out
//             from the root to something that exists.
//   absolute  an absolute path into this checkout (it moves when cloned elsewhere), or one that exists
//             on this machine outside the checkout and outside system directories (/usr, /etc, /proc
//             hold system dependencies; see test/helpers/requirements.ts). Paths that are only data, a
//             cwd in a hook payload or a glob test, exist nowhere and pass; a sibling checkout folder
//             or a scratch install under the temp dir exists here and fails.
//   home      code that reads the home directory (os.homedir(), process.env.HOME, $HOME) or a string
//             that is a `~/` path. Only src/config/paths.ts decides where the data and Claude Code
//             config dirs are; anything else is whitelisted below with its reason.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SCANNED_DIRS = ['src', 'test', 'bench', 'scripts', '.ci'];

type Rule = 'relative' | 'absolute' | 'home';

interface Finding {
  file: string; // relative to ROOT, forward slashes
  line: number;
  rule: Rule;
  /** The offending path or code, as written. */
  text: string;
}

interface Allowed {
  file: string;
  rule: Rule;
  text: string;
  reason: string;
}

// Every exception names the file, the exact text and why it is not a reference to a real location.
const WHITELIST: Allowed[] = [
  {
    file: 'test/unit/transcript.test.ts',
    rule: 'relative',
    text: '..',
    reason: 'a path-traversal attempt that safeTranscriptPath must refuse, inside a temp dir; nothing outside the repo is read',
  },
  {
    file: 'src/config/paths.ts',
    rule: 'home',
    text: 'homedir(',
    reason: 'the one place that computes the default DATA_DIR (~/.claude-mem) and Claude Code config dir (~/.claude)',
  },
  {
    file: 'src/capture/privacy.ts',
    rule: 'home',
    text: 'homedir(',
    reason: 'expands a leading ~ in user-written exclusion globs so they compare with real cwds; opens nothing',
  },
  {
    file: 'test/unit/privacy.test.ts',
    rule: 'home',
    text: 'homedir(',
    reason: 'builds the expected expansion of ~ in glob tests; compares strings, opens nothing',
  },
  {
    file: 'test/unit/privacy.test.ts',
    rule: 'home',
    text: '~/secret/*',
    reason: 'a glob pattern under test, matched against a string',
  },
  {
    file: 'test/unit/settings.test.ts',
    rule: 'home',
    text: 'homedir(',
    reason: 'asserts how CLAUDE_MEM_DATA_DIR=~/… is expanded; the directory is only computed, never created',
  },
  {
    file: 'test/unit/settings.test.ts',
    rule: 'home',
    text: '~/somewhere-else',
    reason: 'the CLAUDE_MEM_DATA_DIR value whose expansion is asserted; never created',
  },
  {
    file: 'test/unit/settings.test.ts',
    rule: 'home',
    text: '~/secret/**',
    reason: 'an exclusion glob saved into a temp settings.json and read back as text',
  },
  {
    file: 'test/integration/cli.test.ts',
    rule: 'home',
    text: '~/.claude/statusline.sh',
    reason: "a user's own statusLine command written to a temp settings.json to prove install keeps it; never run",
  },
  {
    file: 'test/integration/http-fuzz.test.ts',
    rule: 'relative',
    text: '../../../../etc/passwd',
    reason: "path-traversal input sent to the worker's HTTP API; the test proves it is refused",
  },
];

// ---- listing files -------------------------------------------------------------------------------

/** Tracked and untracked-but-not-ignored files under the scanned dirs; a plain walk without git. */
function listFiles(): string[] {
  let rel: string[];
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...SCANNED_DIRS], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    rel = out.split('\0').filter(Boolean);
  } catch {
    rel = SCANNED_DIRS.flatMap((d) => walk(path.join(ROOT, d))).map((f) => path.relative(ROOT, f));
  }
  // ls-files --cached still lists files deleted in the work tree.
  return [...new Set(rel)].filter((f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile()).sort();
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || p === path.join(ROOT, 'bench', 'results') ? [] : walk(p);
    return e.isFile() ? [p] : [];
  });
}

// ---- a small JS/TS lexer: string literals, template parts, comments, and the code around them -----

interface Piece {
  kind: 'string' | 'template' | 'comment';
  value: string;
  start: number;
  /** Template parts after `${expr}`: the expression, which is the base of a `/..` that follows. */
  afterExpr?: string;
}

interface Lexed {
  pieces: Piece[];
  /** The source with strings, comments and regex literals blanked (newlines kept), for code matching. */
  code: string;
}

const REGEX_AFTER = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_AFTER_WORD = /\b(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/;

function lexJs(src: string): Lexed {
  const pieces: Piece[] = [];
  const code = src.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (code[k] !== '\n') code[k] = ' ';
  };
  // Open `{` in code: 'brace' for a block/object, 'template' for a `${` that resumes a template.
  const stack: Array<{ kind: 'brace' } | { kind: 'template'; exprStart: number }> = [];
  let i = 0;

  const readTemplatePart = (from: number, afterExpr?: string): number => {
    // `from` is just after the opening backtick or the closing `}` of an interpolation.
    let j = from;
    let value = '';
    while (j < src.length) {
      const c = src[j];
      if (c === '\\') {
        value += src[j + 1] ?? '';
        j += 2;
        continue;
      }
      if (c === '`') {
        pieces.push({ kind: 'template', value, start: from, afterExpr });
        blank(from, j);
        return j + 1;
      }
      if (c === '$' && src[j + 1] === '{') {
        pieces.push({ kind: 'template', value, start: from, afterExpr });
        blank(from, j);
        stack.push({ kind: 'template', exprStart: j + 2 });
        return j + 2;
      }
      value += c;
      j++;
    }
    return j;
  };

  const prevSignificant = (at: number): string => {
    let k = at - 1;
    while (k >= 0 && /\s/.test(code[k])) k--;
    return k < 0 ? '' : code.slice(Math.max(0, k - 10), k + 1).join('');
  };

  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i);
      pieces.push({ kind: 'comment', value: src.slice(i + 2, end), start: i + 2 });
      blank(i, end);
      i = end;
    } else if (c === '/' && next === '*') {
      const close = src.indexOf('*/', i + 2);
      const end = close === -1 ? src.length : close + 2;
      pieces.push({ kind: 'comment', value: src.slice(i + 2, end - 2), start: i + 2 });
      blank(i, end);
      i = end;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c && src[j] !== '\n') {
        if (src[j] === '\\') {
          value += src[j + 1] ?? '';
          j += 2;
        } else value += src[j++];
      }
      pieces.push({ kind: 'string', value, start: i + 1 });
      blank(i + 1, j);
      i = j + 1;
    } else if (c === '`') {
      i = readTemplatePart(i + 1);
    } else if (c === '{') {
      stack.push({ kind: 'brace' });
      i++;
    } else if (c === '}') {
      const top = stack.pop();
      i++;
      if (top?.kind === 'template') i = readTemplatePart(i, src.slice(top.exprStart, i - 1));
    } else if (c === '/') {
      const before = prevSignificant(i);
      const last = before.slice(-1);
      if (before === '' || REGEX_AFTER.has(last) || REGEX_AFTER_WORD.test(before)) {
        // A regex literal: skip to its closing slash (not inside a [class]), then its flags.
        let j = i + 1;
        let inClass = false;
        while (j < src.length && src[j] !== '\n') {
          if (src[j] === '\\') j += 2;
          else if (src[j] === '[') (inClass = true), j++;
          else if (src[j] === ']') (inClass = false), j++;
          else if (src[j] === '/' && !inClass) break;
          else j++;
        }
        blank(i + 1, j);
        i = j + 1;
        while (i < src.length && /[a-z]/.test(src[i])) i++;
      } else i++;
    } else i++;
  }
  return { pieces, code: code.join('') };
}

// ---- the rules -----------------------------------------------------------------------------------

const inside = (dir: string, p: string) => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

const PATH_BUILDING = /\b(?:join|resolve|URL|chdir)\s*\(|__dirname|import\.meta/;
const FILE_DIR_MARKER = /__dirname|__filename|import\.meta|\bhere\b/;
const ROOT_MARKER = /\b(?:ROOT|REPO_ROOT|PROJECT_ROOT|repoRoot|projectRoot|root)\b/;
/** A leading run of `..` segments (after optional `./`), as a relative path starts. */
const CLIMBS = /^(?:\.\/)*\.\.(?:[/\\]|$)/;
/** `..` paths inside prose (comments, shell words). */
const PROSE_CLIMB = /(?<![\w.~$/-])(?:\.\/)*\.\.(?:\/[\w.@+-]*)*(?=$|[\s'"`),;:\]])/g;
/** Absolute paths: a slash not glued to a word, a variable or a closing bracket. */
const ABSOLUTE = /(?<![\w.~$})\]:*-])\/[A-Za-z0-9_.@+-]+(?:\/[A-Za-z0-9_.@+-]+)*/g;
const SYSTEM_ROOTS = new Set([
  'bin', 'boot', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'proc', 'run', 'sbin', 'sys', 'usr', 'var',
  'nix', 'snap', 'private', 'System', 'Library', 'Applications',
]);

const TEMP_ROOTS = [...new Set(['/tmp', os.tmpdir(), fs.realpathSync(os.tmpdir())])];

/** The leading path of a string (up to whitespace or a quote). */
const pathPart = (s: string) => /^[^\s'"`]*/.exec(s)![0];

function lineOf(src: string, index: number): number {
  let n = 1;
  for (let k = 0; k < index && k < src.length; k++) if (src[k] === '\n') n++;
  return n;
}

/** The innermost call around `at` in `code`, callee included (`path.join(ROOT, …)`), or ''. */
function enclosingCall(code: string, at: number): string {
  let depth = 0;
  let open = -1;
  for (let k = at - 1; k >= 0; k--) {
    const c = code[k];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') {
      if (depth === 0) {
        if (c === '(') open = k;
        break;
      }
      depth--;
    }
  }
  if (open < 0) return '';
  const callee = /[\w$.]*\s*$/.exec(code.slice(Math.max(0, open - 80), open))![0];
  depth = 0;
  for (let k = open + 1; k < code.length; k++) {
    const c = code[k];
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return callee + code.slice(open, k + 1);
      depth--;
    }
  }
  return callee + code.slice(open);
}

function absoluteFindings(src: string, push: (index: number, rule: Rule, text: string) => void): void {
  for (const m of src.matchAll(ABSOLUTE)) {
    const p = path.normalize(m[0]);
    const segments = p.split('/').filter(Boolean);
    if (inside(ROOT, p)) {
      push(m.index!, 'absolute', m[0]);
      continue;
    }
    // A bare top-level directory (/tmp, /home) names no particular place, and the checkout's own
    // ancestors exist wherever it is cloned.
    if (segments.length < 2 || SYSTEM_ROOTS.has(segments[0]) || inside(p, ROOT)) continue;
    // The temp dir is shared and its first level comes and goes (other tests' dirs, a clone): a
    // name there is data. A path two levels in that exists is a fixed scratch location.
    const tmp = TEMP_ROOTS.find((t) => inside(t, p));
    if (tmp && path.relative(tmp, p).split(path.sep).length < 2) continue;
    if (fs.existsSync(p)) push(m.index!, 'absolute', m[0]);
  }
}

/** Flags a relative path that leaves the repository from `base`. */
function climbsOut(base: string, rel: string): boolean {
  return !inside(ROOT, path.resolve(base, rel));
}

function scanJs(file: string, src: string, push: (index: number, rule: Rule, text: string) => void): void {
  const fileDir = path.join(ROOT, path.dirname(file));
  const { pieces, code } = lexJs(src);

  for (const piece of pieces) {
    if (piece.kind === 'comment') {
      for (const m of piece.value.matchAll(PROSE_CLIMB)) {
        const rel = m[0];
        const fromRoot = path.resolve(ROOT, rel);
        const names = /[^./]/.test(rel);
        if (climbsOut(fileDir, rel) || (names && !inside(ROOT, fromRoot) && fs.existsSync(fromRoot))) push(piece.start + m.index!, 'relative', rel);
      }
      continue;
    }

    const value = piece.value;
    const before = code.slice(0, piece.start - (piece.kind === 'string' ? 1 : 0)).trimEnd();

    // home: a string that is a path under ~ or $HOME.
    if (piece.afterExpr === undefined && /^(?:~[/\\]\S|\$\{?HOME\b)/.test(value)) push(piece.start, 'home', pathPart(value));

    // relative: `../x` as a literal, or `/../x` glued to a preceding expression.
    let rel: string | null = null;
    let context = '';
    if (CLIMBS.test(value) && piece.afterExpr === undefined) {
      rel = pathPart(value);
      const isImport = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\(|\brequire\.resolve\s*\(|\bvi\.mock\s*\()$/.test(before);
      context = isImport ? '__dirname' : enclosingCall(code, piece.start);
    } else if (/^\/\.\.(?:[/\\]|$)/.test(value) && (piece.afterExpr !== undefined || before.endsWith('+'))) {
      rel = pathPart(value).slice(1);
      context = piece.afterExpr ?? enclosingCall(code, piece.start);
    }
    // A bare '..' or '../' is only a path where one is being built (`s.startsWith('..')` is not).
    if (rel !== null && !/[^./\\]/.test(rel) && !PATH_BUILDING.test(context)) rel = null;
    if (rel !== null) {
      const base = ROOT_MARKER.test(context) ? ROOT : FILE_DIR_MARKER.test(context) ? fileDir : ROOT;
      if (climbsOut(base, rel)) push(piece.start, 'relative', rel);
    }
  }

  // home: code that reads the home directory.
  for (const m of code.matchAll(/\b(?:homedir)\s*\(|\bprocess\.env\.(?:HOME|USERPROFILE)\b/g)) {
    push(m.index!, 'home', m[0].replace(/\s+/g, ''));
  }
}

const SCRIPT_DIR_CLIMB = /\$\(dirname "?\$(?:0|\{BASH_SOURCE\[0\]\})"?\)\/((?:\.\.(?:\/|(?=$|[\s'"])))+[\w.@+/-]*)/g;

/** Shell: `$(dirname "$0")/..` resolves from the script's directory, a bare `../x` from the cwd. */
function scanShell(file: string, src: string, push: (index: number, rule: Rule, text: string) => void): void {
  const fileDir = path.join(ROOT, path.dirname(file));
  let offset = 0;
  for (const line of src.split('\n')) {
    const hash = /(?:^|\s)#/.exec(line);
    const codePart = hash ? line.slice(0, hash.index) : line;
    for (const m of line.matchAll(SCRIPT_DIR_CLIMB)) if (climbsOut(fileDir, m[1])) push(offset + m.index!, 'relative', m[1]);
    for (const m of line.matchAll(PROSE_CLIMB)) {
      const inComment = hash !== null && m.index! > hash.index;
      if (climbsOut(inComment ? fileDir : ROOT, m[0])) push(offset + m.index!, 'relative', m[0]);
    }
    for (const m of codePart.matchAll(/\$\{?HOME\b|(?<=^|[\s"'=:])~\//g)) push(offset + m.index!, 'home', m[0]);
    offset += line.length + 1;
  }
}

/** Markdown: links and paths are relative to the document. */
function scanMarkdown(file: string, src: string, push: (index: number, rule: Rule, text: string) => void): void {
  const fileDir = path.join(ROOT, path.dirname(file));
  for (const m of src.matchAll(PROSE_CLIMB)) if (climbsOut(fileDir, m[0])) push(m.index!, 'relative', m[0]);
}

const JS_FILE = /\.(?:[cm]?[jt]sx?)$/;

function isShell(file: string, src: string): boolean {
  return /\.(?:sh|bash)$/.test(file) || /^#!.*\b(?:ba|z|da)?sh\b/.test(src);
}

/** All findings in one file's text (exported to the scanner's own tests through scanText). */
function scanText(file: string, src: string): Finding[] {
  const found: Finding[] = [];
  const seen = new Set<string>();
  const push = (index: number, rule: Rule, text: string) => {
    const line = lineOf(src, index);
    const key = `${line}\0${rule}\0${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ file, line, rule, text });
  };
  absoluteFindings(src, push);
  if (JS_FILE.test(file)) scanJs(file, src, push);
  else if (isShell(file, src)) scanShell(file, src, push);
  else if (file.endsWith('.md')) scanMarkdown(file, src, push);
  return found;
}

function scanRepository(): { files: number; findings: Finding[] } {
  const files = listFiles();
  const findings: Finding[] = [];
  for (const file of files) {
    const buf = fs.readFileSync(path.join(ROOT, file));
    if (buf.subarray(0, 8000).includes(0)) continue; // binary
    findings.push(...scanText(file, buf.toString('utf8')));
  }
  return { files: files.length, findings };
}

const SELF = 'test/unit/repository-stands-alone.test.ts';
const allowedBy = (f: Finding) => WHITELIST.find((a) => a.file === f.file && a.rule === f.rule && a.text === f.text);
/** This file quotes every whitelisted text in WHITELIST itself. */
const quotedHere = (f: Finding) => f.file === SELF && WHITELIST.some((a) => a.rule === f.rule && a.text === f.text);
const describeFinding = (f: Finding) => `${f.file}:${f.line} [${f.rule}] ${f.text}`;

// ---- the checks ----------------------------------------------------------------------------------

describe('the repository stands alone', () => {
  const { files, findings } = scanRepository();

  it('scans every source, test, bench, script and CI file', () => {
    // Guards against the scan silently covering nothing (e.g. a broken file listing).
    expect(files).toBeGreaterThan(100);
  });

  it('no file refers to a path outside the repository (or whitelists it with a reason)', () => {
    const unexplained = findings
      .filter((f) => !allowedBy(f) && !quotedHere(f))
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
      .map(describeFinding);
    expect(unexplained, 'move the file into the repository (test/fixtures, bench/data) or derive the path from the repo root').toEqual([]);
  });

  it('every whitelist entry still matches something and gives a reason', () => {
    const stale = WHITELIST.filter((a) => !findings.some((f) => allowedBy(f) === a)).map((a) => `${a.file} [${a.rule}] ${a.text}`);
    expect(stale, 'remove whitelist entries that no longer match').toEqual([]);
    for (const a of WHITELIST) expect(a.reason.length, `${a.file} ${a.text}`).toBeGreaterThan(20);
  });
});

describe('the scanner', () => {
  // A real directory outside the checkout, so the existence-based rule has something to find.
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-standalone-'));
  fs.mkdirSync(path.join(outside, 'data'));
  afterAll(() => fs.rmSync(outside, { recursive: true, force: true }));

  const SH = '#!/usr/bin/env bash\n';
  const rules = (file: string, src: string) => scanText(file, src).map((f) => `${f.rule} ${f.text}`);

  it('flags a sibling folder joined to the repo root', () => {
    expect(rules('test/helpers/x.ts', "const DATA = path.join(ROOT, '../shared/data/locomo.json');")).toEqual(['relative ../shared/data/locomo.json']);
    expect(rules('bench/x.mjs', "const d = `${ROOT}/../shared/data`;")).toEqual(['relative ../shared/data']);
    expect(rules('bench/x.mjs', "const d = ROOT + '/../shared';")).toEqual(['relative ../shared']);
  });

  it('flags relative paths that climb out of the file directory', () => {
    expect(rules('test/unit/x.ts', "import x from '../../../shared/x.js';")).toEqual(['relative ../../../shared/x.js']);
    expect(rules('test/unit/x.ts', "const f = path.resolve(__dirname, '../../../shared/data');")).toEqual(['relative ../../../shared/data']);
    expect(rules('scripts/x.mjs', "fs.readFileSync('../shared/data/x.json');")).toEqual(['relative ../shared/data/x.json']);
    expect(rules('.ci/run', `${SH}cd "$(dirname "$0")/../.."\n`)).toEqual(['relative ../..']);
    expect(rules('.ci/x.sh', 'cp ../shared/data/x.json bench/data\n')).toEqual(['relative ../shared/data/x.json']);
    expect(rules('test/unit/x.ts', '// the data lives in ../../../shared/data\n')).toEqual(['relative ../../../shared/data']);
  });

  it('flags absolute paths into the checkout or to existing places outside it', () => {
    const fixture = path.join(ROOT, 'test/fixtures/claude-code-hooks');
    expect(rules('test/x.ts', `const F = '${fixture}';`)).toEqual([`absolute ${fixture}`]);
    expect(rules('test/x.ts', `const F = "${outside}/data";`)).toEqual([`absolute ${outside}/data`]);
    expect(rules('.ci/run', `${SH}npm install --prefix ${outside}/data\n`)).toEqual([`absolute ${outside}/data`]);
  });

  it('flags home-directory paths and lookups', () => {
    expect(rules('src/services/x.ts', "const d = path.join(os.homedir(), '.claude-mem');")).toEqual(['home homedir(']);
    expect(rules('test/x.ts', "const d = process.env.HOME + '/x';")).toEqual(['home process.env.HOME']);
    expect(rules('test/x.ts', "fs.readFileSync('~/.claude-mem/settings.json');")).toEqual(['home ~/.claude-mem/settings.json']);
    expect(rules('.ci/run', `${SH}ls "$HOME/.claude-mem"\n`)).toEqual(['home $HOME']);
  });

  it('leaves in-repo references, data paths, URL paths and prose alone', () => {
    const ok = [
      "import { dataDir } from '../shared/paths.js';",
      "const ROOT = path.resolve(__dirname, '../..');",
      "const ROOT = fileURLToPath(new URL('../..', import.meta.url));",
      "const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../worker/worker-main.js');",
      "const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-hooks');",
      "expect(project('/home/user/project')).toBe('project');",
      "const url = `http://127.0.0.1:${port}/api/health`;",
      "const re = /^(.*)\\/worktrees\\/[^/]+$/; const up = rel.startsWith('..') || `/${'../'.repeat(3)}etc`;",
      "// posts events 0..TOTAL-1 and checks dist/.../worker-main.js",
      "const hint = 'Stored in ~/.claude-mem/.env (mode 0600)';",
      "const CHROMIUM = '/usr/bin/chromium'; const tmp = '/tmp';",
    ];
    for (const src of ok) expect(rules('test/unit/x.ts', src), src).toEqual([]);
    expect(rules('.ci/run', `${SH}cd "$(dirname "$0")/.."\nDATA="$(mktemp -d /tmp/cm-pg-XXXXXX)"\n`)).toEqual([]);
    // The checkout's parent and first-level temp dirs exist by chance; naming them is data.
    expect(rules('test/unit/x.ts', `const cwd = '${path.dirname(ROOT)}';`)).toEqual([]);
    expect(rules('test/unit/x.ts', `const cwd = '${outside}';`)).toEqual([]);
  });
});
