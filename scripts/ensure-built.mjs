// Builds dist/ when it is missing or older than the sources, so npm scripts work after editing src/
// (`npm install` / `npm ci` already build it once through the `prepare` script).
//   --if-missing  build only when dist/ is absent: `worker:stop|status|logs` need a CLI, not a rebuild
//                 of the code a running worker and the installed hooks were started from.
// Build output goes to stderr so a script's own stdout (e.g. `worker status`) stays clean.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not URL.pathname: the checkout may live under a path with spaces or non-ASCII.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const markers = ['worker/worker-main.js', 'cli/claude-mem.js', 'hooks/session-start.cjs'].map((f) => path.join(root, 'dist', f));
const ifMissing = process.argv.includes('--if-missing');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Oldest build product, 0 when one is missing. */
function builtAt() {
  let t = Infinity;
  for (const m of markers) {
    if (!fs.existsSync(m)) return 0;
    t = Math.min(t, fs.statSync(m).mtimeMs);
  }
  return t;
}

const built = builtAt();
const stale = built === 0 || (!ifMissing && newest(path.join(root, 'src')) > built);
if (stale) {
  console.error(built === 0 ? 'claude-mem: dist/ is missing; building it …' : 'claude-mem: src/ changed since the last build; rebuilding dist/ …');
  try {
    execSync('npm run build', { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  } catch {
    console.error('claude-mem: the build failed (output above). Run `npm install` first if node_modules is missing.');
    process.exit(1);
  }
}
