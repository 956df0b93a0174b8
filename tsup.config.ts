import { defineConfig } from 'tsup';

// Hooks are bundled with every dependency inlined so a hook process loads one small file.
// The worker, CLI and MCP server keep node_modules external (native better-sqlite3).
export default defineConfig([
  {
    entry: { 'hooks/hook': 'src/hooks/hook.ts' },
    outDir: 'dist',
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    noExternal: [/.*/],
    minify: true,
    splitting: false,
    clean: false,
    sourcemap: false,
  },
  {
    entry: {
      'services/worker/worker-main': 'src/services/worker/worker-main.ts',
      'cli/claude-mem': 'src/cli/claude-mem.ts',
      'servers/mcp-server': 'src/servers/mcp-server.ts',
    },
    outDir: 'dist',
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: true,
    clean: false,
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
