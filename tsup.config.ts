import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const define = { __CLAUDE_MEM_VERSION__: JSON.stringify(version) };

// Hooks are bundled with every dependency inlined so a hook process loads one small file.
// The worker, CLI and MCP server keep node_modules external (native better-sqlite3).
export default defineConfig([
  {
    entry: Object.fromEntries(
      ['session-start', 'user-prompt-submit', 'post-tool-use', 'post-tool-use-failure', 'pre-tool-use', 'stop', 'session-end'].map(
        (name) => [`hooks/${name}`, `src/capture/hooks/${name}.ts`],
      ),
    ),
    outDir: 'dist',
    // CommonJS starts measurably faster than an ES module for a one-shot process (bench: hook).
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    shims: true,
    platform: 'node',
    target: 'node20',
    bundle: true,
    noExternal: [/.*/],
    minify: true,
    splitting: false,
    clean: false,
    sourcemap: false,
    define,
  },
  {
    entry: {
      'worker/worker-main': 'src/worker/worker-main.ts',
      'cli/claude-mem': 'src/cli/claude-mem.ts',
      'mcp/mcp-server': 'src/mcp/mcp-server.ts',
    },
    outDir: 'dist',
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: true,
    clean: false,
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    define,
  },
]);
