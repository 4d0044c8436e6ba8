// Bundles tests/browser/harness.tsx (the plugin's real editors with React and @grafana/ui)
// into tests/browser/.build/ for the browser test.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = path.join(here, '.build');

await rm(BUILD_DIR, { recursive: true, force: true });
await mkdir(BUILD_DIR, { recursive: true });
const started = Date.now();
await build({
  entryPoints: { harness: path.join(here, 'harness.tsx') },
  outdir: BUILD_DIR,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome110',
  // Development React: its warnings land on the console, which the test requires to be clean.
  define: { 'process.env.NODE_ENV': '"development"' },
  loader: { '.svg': 'file', '.png': 'file', '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
await copyFile(path.join(here, 'harness.html'), path.join(BUILD_DIR, 'harness.html'));
await copyFile(path.join(here, 'page.css'), path.join(BUILD_DIR, 'page.css'));
console.log(`harness built into ${path.relative(process.cwd(), BUILD_DIR)} in ${Date.now() - started} ms`);
