#!/usr/bin/env node
// Builds the browser page as static files: dist/web/{index.html, style.css, app.js, wasm/*.wasm}.
// `cyclegan serve` bundles the same page in memory at start; this is for checking the bundle or hosting
// the page elsewhere (it then needs /api/config and /models/... from a server of your own).
// Run after `npm run build` (the page entry is the compiled dist/src/web/page/main.js).
import { mkdir, writeFile, copyFile, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { bundlePage, wasmDistDir, WASM_FILES } = await import(path.join(root, 'dist/src/web/bundle.js'));
const { INDEX_HTML, STYLE_CSS } = await import(path.join(root, 'dist/src/web/assets.js'));

const out = path.join(root, 'dist', 'web');
await mkdir(path.join(out, 'wasm'), { recursive: true });
const minify = !process.argv.includes('--no-minify');
const bundle = await bundlePage({ minify });

async function atomicWrite(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
await atomicWrite(path.join(out, 'app.js'), bundle.js);
await atomicWrite(path.join(out, 'index.html'), INDEX_HTML);
await atomicWrite(path.join(out, 'style.css'), STYLE_CSS);
for (const f of WASM_FILES) await copyFile(path.join(wasmDistDir(), f), path.join(out, 'wasm', f));
console.log(`dist/web/app.js: ${(bundle.js.length / 1e6).toFixed(2)} MB in ${bundle.buildMs} ms (minify ${minify})`);
