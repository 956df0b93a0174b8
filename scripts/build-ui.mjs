// Builds the web viewer (src/ui) into dist/ui: one hashed JS bundle, one hashed CSS file and an
// index.html that references them. esbuild comes with tsup.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src', 'ui');
const out = path.join(root, 'dist', 'ui');
if (!fs.existsSync(path.join(src, 'index.html'))) {
  console.error('build-ui: src/ui/index.html not found; skipping the viewer');
  process.exit(0);
}
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });

const hash = (buf) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, 10);

const result = await build({
  entryPoints: [path.join(src, 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  write: false,
  sourcemap: false,
  logLevel: 'warning',
});
const js = result.outputFiles[0].contents;
const jsName = `app.${hash(js)}.js`;
fs.writeFileSync(path.join(out, 'assets', jsName), js);

let cssName = null;
const cssFile = path.join(src, 'styles.css');
if (fs.existsSync(cssFile)) {
  const css = fs.readFileSync(cssFile);
  cssName = `styles.${hash(css)}.css`;
  fs.writeFileSync(path.join(out, 'assets', cssName), css);
}

let html = fs.readFileSync(path.join(src, 'index.html'), 'utf8');
html = html.replace('%APP_JS%', `/assets/${jsName}`).replace('%APP_CSS%', cssName ? `/assets/${cssName}` : '');
fs.writeFileSync(path.join(out, 'index.html'), html);
console.error(`build-ui: dist/ui/assets/${jsName}${cssName ? `, ${cssName}` : ''}`);
