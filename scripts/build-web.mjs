#!/usr/bin/env node
// Builds the browser pages as static files: dist/web/{index.html, style.css, app.js, wasm/*.wasm} and the training
// page dist/web/train/{index.html, train.css, train.js, worker.js} (it needs no server at all: open train/index.html
// from any static host).
// `cyclegan serve` bundles the same page in memory at start; this is for checking the bundle or hosting
// the page elsewhere (it then needs /api/config and /models/... from a server of your own).
// Run after `npm run build` (the page entry is the compiled dist/src/web/page/main.js).
import { mkdir, writeFile, copyFile, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { bundlePage, bundleTrainPage, wasmDistDir, WASM_FILES } = await import(path.join(root, 'dist/src/web/bundle.js'));
const { INDEX_HTML, STYLE_CSS } = await import(path.join(root, 'dist/src/web/assets.js'));
const { TRAIN_HTML, TRAIN_CSS } = await import(path.join(root, 'dist/src/web/train/assets.js'));

const out = path.join(root, 'dist', 'web');
await mkdir(path.join(out, 'wasm'), { recursive: true });
await mkdir(path.join(out, 'train'), { recursive: true });
const minify = !process.argv.includes('--no-minify');
const bundle = await bundlePage({ minify });
const trainBundle = await bundleTrainPage({ minify });

async function atomicWrite(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
await atomicWrite(path.join(out, 'app.js'), bundle.js);
await atomicWrite(path.join(out, 'index.html'), INDEX_HTML);
await atomicWrite(path.join(out, 'style.css'), STYLE_CSS);
await atomicWrite(path.join(out, 'train', 'index.html'), TRAIN_HTML);
await atomicWrite(path.join(out, 'train', 'train.css'), TRAIN_CSS);
await atomicWrite(path.join(out, 'train', 'train.js'), trainBundle.page.js);
await atomicWrite(path.join(out, 'train', 'worker.js'), trainBundle.worker.js);
for (const f of WASM_FILES) await copyFile(path.join(wasmDistDir(), f), path.join(out, 'wasm', f));
console.log(`dist/web/app.js: ${(bundle.js.length / 1e6).toFixed(2)} MB in ${bundle.buildMs} ms (minify ${minify})`);
console.log(`dist/web/train/: train.js ${(trainBundle.page.js.length / 1e6).toFixed(2)} MB, worker.js ${(trainBundle.worker.js.length / 1e6).toFixed(2)} MB`);
