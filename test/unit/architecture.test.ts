// The folders of src/ are the stages of the data flow (docs/architecture.md). This test reads every
// import in src/ (static, re-exports, dynamic import()) with the TypeScript parser and fails when
// an arrow points the wrong way, or when a wire shape is declared outside the contract (src/api).
// Each rule is also shown to fire on a planted violation, so none of them can pass by accident.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** src-relative path ('store/sqlite/SqliteStore.ts') → source text. */
type Sources = Map<string, string>;

function readSources(): Sources {
  const out: Sources = new Map();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.set(path.relative(SRC, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(SRC);
  return out;
}

// ---- the layers ------------------------------------------------------------------------------

/** The layer a file belongs to: its top folder, except the store, whose two backends are layers of their own. */
export function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'store') {
    if (parts.length > 2 && (parts[1] === 'sqlite' || parts[1] === 'postgres')) return `store/${parts[1]}`;
    return 'store';
  }
  return parts.length > 1 ? parts[0] : '(root)';
}

interface Edge {
  from: string;
  /** src-relative target ('lib/text.ts'). */
  to: string;
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
}

function resolve(from: string, spec: string): string {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return joined.replace(/\.js$/, '.ts');
}

/** Every import of our own modules in one file. Package imports (zod, node:fs) are not layers. */
const parsed = new Map<string, ts.SourceFile>();
/** Parsed once per file text: the planted trees below share all but one file with the real one. */
function parse(file: string, text: string): ts.SourceFile {
  const k = `${file}\0${text}`;
  let sf = parsed.get(k);
  if (!sf) parsed.set(k, (sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)));
  return sf;
}

const edgesOf = new WeakMap<ts.SourceFile, Edge[]>();

export function importsOf(file: string, text: string): Edge[] {
  const sf = parse(file, text);
  const cached = edgesOf.get(sf);
  if (cached) return cached;
  const edges: Edge[] = [];
  edgesOf.set(sf, edges);
  const add = (spec: string, node: ts.Node, typeOnly: boolean, dynamic: boolean) => {
    if (!spec.startsWith('.')) return;
    edges.push({ from: file, to: resolve(file, spec), typeOnly, dynamic, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      // `import type {…}`, or `import { type A, type B }` (nothing left at run time). A bare
      // `import './x.js'` has no clause and runs the module.
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, node, typeOnly, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, node, typeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text, node, false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, node, true, false); // `typeof import('./x.js')`
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

// ---- the rules -------------------------------------------------------------------------------

interface ImportRule {
  id: string;
  /** The layers the rule applies to. */
  from: string[];
  /** What they may import (any kind); the file's own layer is always allowed. */
  allow?: string[];
  /** What they may import as types only (nothing of it reaches the built file); '*' = any layer. */
  allowTypes?: string[];
  why: string;
}

const STORE_FLOOR = ['store', 'api', 'config', 'lib'];

/** The rule table. A layer may appear in several rules; an import must satisfy all of them. */
export const IMPORT_RULES: ImportRule[] = [
  {
    id: 'lib imports only lib',
    from: ['lib'],
    allow: [],
    why: 'pure helpers everything may use (text bounds, redaction, date ranges), so they may use nothing of ours',
  },
  {
    id: 'config imports only config and lib',
    from: ['config'],
    allow: ['lib'],
    why: 'settings, paths and the logger are loaded by every hook bundle and every stage; one import upward drags the worker into a hook and makes cycles',
  },
  {
    id: 'the contract (api) imports only config and lib',
    from: ['api'],
    allow: ['config', 'lib'],
    why: 'routes, the worker client, the CLI, the MCP server and the viewer all import the wire types; the contract cannot depend on any of them',
  },
  {
    id: 'the SQLite backend does not import the PostgreSQL backend, nor anything above the store',
    from: ['store/sqlite'],
    allow: STORE_FLOOR,
    why: 'a backend is storage: capture, agent, recall, embeddings, worker, mcp, cli and ui use it, never the reverse; what both backends share belongs to the store floor, so each runs without the other (no pg driver in a local install)',
  },
  {
    id: 'the PostgreSQL backend does not import the SQLite backend, nor anything above the store',
    from: ['store/postgres'],
    allow: STORE_FLOOR,
    why: 'the same for the team backend: it must load without better-sqlite3 and share only the floor (Store contract, rows, api types)',
  },
  {
    id: 'the viewer imports at run time only ui and the contract',
    from: ['ui'],
    allow: ['api'],
    allowTypes: ['*'],
    why: 'src/ui is a browser bundle: a server module would be bundled (or fail) there; `import type` is erased by the bundler and costs nothing (wire types come from src/api)',
  },
];

export interface Violation {
  rule: string;
  where: string;
  detail: string;
}

function allowedBy(rule: ImportRule, edge: Edge, target: string, own: string): boolean {
  if (target === own) return true;
  if (rule.allow?.includes(target)) return true;
  return edge.typeOnly && !!(rule.allowTypes?.includes('*') || rule.allowTypes?.includes(target));
}

export function importViolations(sources: Sources): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of sources) {
    const own = layerOf(file);
    for (const edge of importsOf(file, text)) {
      const target = layerOf(edge.to);
      for (const rule of IMPORT_RULES) {
        if (!rule.from.includes(own) || allowedBy(rule, edge, target, own)) continue;
        out.push({
          rule: rule.id,
          where: `src/${file}:${edge.line}`,
          detail: `${edge.dynamic ? 'import()' : edge.typeOnly ? 'import type' : 'import'} src/${edge.to} (${target})`,
        });
      }
    }
  }
  return out;
}

// ---- wire types: declared once, in src/api ---------------------------------------------------

/** The modules that speak the worker's HTTP API besides src/api: routes, clients and the viewer. */
const WIRE_SPEAKERS = ['worker/', 'cli/', 'mcp/', 'ui/', 'capture/hooks/'];
const WIRE_SUFFIX = /(Response|Request|Body)$/;
/** zod object schemas: a request's shape. MCP tool inputs are plain shapes (the SDK's contract). */
const ZOD_OBJECT = /^z\.(object|strictObject|looseObject|record|interface)$/;

/** Top-level types, interfaces, classes and enums a file declares (not what it re-exports). */
function declaredTypes(file: string, text: string): Array<{ name: string; exported: boolean; line: number }> {
  const sf = parse(file, text);
  const out: Array<{ name: string; exported: boolean; line: number }> = [];
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) {
      if (!st.name) continue;
      const exported = !!ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      out.push({ name: st.name.text, exported, line: sf.getLineAndCharacterOfPosition(st.getStart()).line + 1 });
    }
  }
  return out;
}

function zodObjectCalls(file: string, text: string): number[] {
  const sf = parse(file, text);
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ZOD_OBJECT.test(node.expression.getText(sf))) lines.push(sf.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

/**
 * A wire type is declared outside the contract when, in a file outside src/api:
 *  1. a type, interface or class has the name of one declared in src/api/types.ts (a second copy);
 *  2. a module that speaks the worker's API (WIRE_SPEAKERS) exports a type named …Response,
 *     …Request or …Body (a new wire shape written beside its route or client);
 *  3. a zod object schema is built (z.object, z.record…): request validation is the contract's.
 */
export function wireTypeViolations(sources: Sources): Violation[] {
  const contract = new Set(declaredTypes('api/types.ts', sources.get('api/types.ts') ?? '').map((d) => d.name));
  const out: Violation[] = [];
  for (const [file, text] of sources) {
    if (file.startsWith('api/')) continue;
    for (const d of declaredTypes(file, text)) {
      if (contract.has(d.name)) {
        out.push({ rule: 'a wire type is declared once, in src/api/types.ts', where: `src/${file}:${d.line}`, detail: `${d.name} is declared in src/api/types.ts; import it from there` });
      } else if (d.exported && WIRE_SUFFIX.test(d.name) && WIRE_SPEAKERS.some((dir) => file.startsWith(dir))) {
        out.push({ rule: 'request and response shapes live in src/api/types.ts', where: `src/${file}:${d.line}`, detail: `${d.name}: declare it in src/api/types.ts` });
      }
    }
    for (const line of zodObjectCalls(file, text)) {
      out.push({ rule: 'request schemas live in src/api/schemas.ts', where: `src/${file}:${line}`, detail: 'a zod object schema outside the contract: add it to src/api/schemas.ts and import it' });
    }
  }
  return out;
}

// ---- known, owned violations -----------------------------------------------------------------

/**
 * Violations that exist today in files being changed by their owners, each with the fix. The test
 * fails when one of them is gone (so the entry is deleted) and when any other violation appears.
 */
const KNOWN: Array<{ where: string; rule: string; fix: string }> = [
];

const key = (v: { where: string; rule: string }) => `${v.where.replace(/:\d+$/, '')} | ${v.rule}`;

function unexpected(found: Violation[]): string[] {
  const known = new Set(KNOWN.map(key));
  return found.filter((v) => !known.has(key(v))).map((v) => `${v.where}: ${v.rule} — ${v.detail}`);
}

// ---- tests -----------------------------------------------------------------------------------

const sources = readSources();

/** The real tree with one file's text changed or added: a planted violation. */
function plant(file: string, edit: (text: string) => string): Sources {
  const copy = new Map(sources);
  copy.set(file, edit(copy.get(file) ?? ''));
  return copy;
}

describe('architecture: nothing reaches back', () => {
  it('parses every kind of import, and knows type-only from run-time', () => {
    const edges = importsOf(
      'cli/x.ts',
      [
        `import a from '../lib/a.js';`,
        `import type { B } from '../api/types.js';`,
        `import { type C, type D } from '../config/c.js';`,
        `import { type E, f } from '../config/e.js';`,
        `import '../worker/side-effect.js';`,
        `export { g } from '../store/g.js';`,
        `export type { H } from '../agent/h.js';`,
        `const m = await import('../store/postgres/PgStore.js');`,
        `type T = typeof import('../recall/t.js');`,
        `import { z } from 'zod';`,
      ].join('\n'),
    );
    expect(edges.map((e) => [e.to, e.typeOnly, e.dynamic])).toEqual([
      ['lib/a.ts', false, false],
      ['api/types.ts', true, false],
      ['config/c.ts', true, false],
      ['config/e.ts', false, false],
      ['worker/side-effect.ts', false, false],
      ['store/g.ts', false, false],
      ['agent/h.ts', true, false],
      ['store/postgres/PgStore.ts', false, true],
      ['recall/t.ts', true, false],
    ]);
  });

  it('puts each backend in its own layer and the rest of the store on the floor', () => {
    expect(layerOf('store/sqlite/SearchIndex.ts')).toBe('store/sqlite');
    expect(layerOf('store/postgres/PgSearchIndex.ts')).toBe('store/postgres');
    expect(layerOf('store/rankFusion.ts')).toBe('store');
    expect(layerOf('store/Store.ts')).toBe('store');
  });

  it('reads the whole tree', () => {
    // A walk that silently found nothing would make every rule pass.
    for (const f of ['api/types.ts', 'store/sqlite/SqliteStore.ts', 'store/postgres/PgStore.ts', 'config/paths.ts', 'lib/dateRange.ts', 'ui/main.ts']) {
      expect(sources.has(f), f).toBe(true);
    }
    expect(importsOf('store/sqlite/SqliteStore.ts', sources.get('store/sqlite/SqliteStore.ts')!).length).toBeGreaterThan(0);
  });

  it('no import breaks the rule table', () => {
    expect(unexpected(importViolations(sources))).toEqual([]);
  });

  it('no wire type is declared outside src/api', () => {
    expect(unexpected(wireTypeViolations(sources))).toEqual([]);
  });

  it('every known violation still exists (delete the entry once fixed)', () => {
    const found = new Set([...importViolations(sources), ...wireTypeViolations(sources)].map(key));
    expect(KNOWN.filter((k) => !found.has(key(k))).map((k) => k.where)).toEqual([]);
  });
});

describe('architecture: each rule fires on a planted violation', () => {
  const ruleOf = (vs: Violation[], where: string) => vs.filter((v) => v.where.startsWith(`src/${where}`)).map((v) => v.rule);

  it('a backend importing the other backend', () => {
    const a = importViolations(plant('store/sqlite/SqliteStore.ts', (t) => `import { PgStore } from '../postgres/PgStore.js';\n${t}`));
    expect(ruleOf(a, 'store/sqlite/SqliteStore.ts')).toContain(IMPORT_RULES[3].id);
    const b = importViolations(plant('store/postgres/PgStore.ts', (t) => `${t}\nexport const x = () => import('../sqlite/SqliteStore.js');\n`));
    expect(ruleOf(b, 'store/postgres/PgStore.ts')).toContain(IMPORT_RULES[4].id);
    // The search code is a backend like the rest.
    const c = importViolations(plant('store/sqlite/SearchIndex.ts', (t) => `import type { Pool } from '../postgres/pgClient.js';\n${t}`));
    expect(ruleOf(c, 'store/sqlite/SearchIndex.ts')).toContain(IMPORT_RULES[3].id);
  });

  it('a backend importing a stage above the store', () => {
    for (const up of ['capture/SessionService.js', 'agent/MemoryAgent.js', 'recall/timeline.js', 'worker/lock.js', 'cli/format.js']) {
      const v = importViolations(plant('store/postgres/PgEventQueue.ts', (t) => `import '../../${up}';\n${t}`));
      expect(ruleOf(v, 'store/postgres/PgEventQueue.ts'), up).toContain(IMPORT_RULES[4].id);
    }
  });

  it('config or lib importing from above', () => {
    const a = importViolations(plant('config/paths.ts', (t) => `import type { Store } from '../store/Store.js';\n${t}`));
    expect(ruleOf(a, 'config/paths.ts')).toContain(IMPORT_RULES[1].id);
    const b = importViolations(plant('lib/text.ts', (t) => `import { dataDir } from '../config/paths.js';\n${t}`));
    expect(ruleOf(b, 'lib/text.ts')).toContain(IMPORT_RULES[0].id);
  });

  it('the contract importing a stage', () => {
    const v = importViolations(plant('api/schemas.ts', (t) => `import { MAX_NESTING } from '../worker/nesting.js';\n${t}`));
    expect(ruleOf(v, 'api/schemas.ts')).toContain(IMPORT_RULES[2].id);
  });

  it('the viewer importing a server module at run time (a type is fine)', () => {
    const v = importViolations(plant('ui/main.ts', (t) => `import { parseDateBound } from '../lib/dateRange.js';\n${t}`));
    expect(ruleOf(v, 'ui/main.ts')).toContain(IMPORT_RULES[5].id);
    const types = importViolations(plant('ui/main.ts', (t) => `import type { HealthResponse } from '../api/types.js';\n${t}`));
    expect(ruleOf(types, 'ui/main.ts')).toEqual([]);
  });

  it('a wire type declared again, a response beside its route, a schema outside the contract', () => {
    const copy = wireTypeViolations(plant('ui/api.ts', (t) => `${t}\nexport interface HealthResponse { status: string }\n`));
    expect(ruleOf(copy, 'ui/api.ts')).toEqual(['a wire type is declared once, in src/api/types.ts']);
    const local = wireTypeViolations(plant('cli/claude-mem.ts', (t) => `${t}\ninterface QueueResponse { depth: number }\n`));
    expect(ruleOf(local, 'cli/claude-mem.ts')).toEqual(['a wire type is declared once, in src/api/types.ts']);
    const fresh = wireTypeViolations(plant('worker/routes/admin.ts', (t) => `${t}\nexport type StatsResponse = { days: number };\n`));
    expect(ruleOf(fresh, 'worker/routes/admin.ts')).toEqual(['request and response shapes live in src/api/types.ts']);
    const schema = wireTypeViolations(plant('worker/routes/embeddings.ts', (t) => `${t}\nconst b = z.object({ reset: z.boolean() });\n`));
    expect(ruleOf(schema, 'worker/routes/embeddings.ts')).toEqual(['request schemas live in src/api/schemas.ts']);
    // Outside the modules that speak the worker's API, …Request is someone else's word (a provider's).
    expect(ruleOf(wireTypeViolations(plant('agent/providers/providers.ts', (t) => t)), 'agent/')).toEqual([]);
  });
});
