import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const define = { __CLAUDE_MEM_VERSION__: JSON.stringify(version) };

// Hooks and the MCP server are bundled with every dependency inlined: a hook process loads one
// small file, and `claude -p` waits for the MCP server's first answer before its first request
// (resolving the MCP SDK's hundreds of modules from node_modules took ~340 ms of that).
const bundled: Options = {
  outDir: 'dist',
  platform: 'node',
  target: 'node20',
  bundle: true,
  noExternal: [/.*/],
  minify: true,
  splitting: false,
  clean: false,
  define,
};

// The worker and the CLI keep node_modules external (native better-sqlite3).
export default defineConfig([
  {
    ...bundled,
    entry: Object.fromEntries(
      ['session-start', 'user-prompt-submit', 'post-tool-use', 'post-tool-use-failure', 'pre-tool-use', 'stop', 'session-end'].map(
        (name) => [`hooks/${name}`, `src/capture/hooks/${name}.ts`],
      ),
    ),
    // CommonJS starts measurably faster than an ES module for a one-shot process (bench: hook).
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    shims: true,
    sourcemap: false,
  },
  {
    ...bundled,
    entry: { 'mcp/mcp-server': 'src/mcp/mcp-server.ts' },
    format: ['esm'],
    sourcemap: true,
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cmCreateRequire } from 'node:module';\nconst require = __cmCreateRequire(import.meta.url);" },
  },
  {
    entry: {
      'worker/worker-main': 'src/worker/worker-main.ts',
      'cli/claude-mem': 'src/cli/claude-mem.ts',
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
