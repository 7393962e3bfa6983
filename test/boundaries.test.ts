// The build's boundary check (scripts/check-boundaries.mjs, run by `npm run build`): it passes on this checkout
// and fails, naming file and import, on each kind of planted violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { REPO_ROOT } from './helpers/fixtures.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'check-boundaries.mjs');

function check(root?: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** The files written into a fresh folder for `fn` (the checkout's root to check), removed after it. */
async function withPlant(files: Record<string, string>, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-bounds-'));
  try {
    for (const [f, text] of Object.entries(files)) {
      await fsp.mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await fsp.writeFile(path.join(root, f), text);
    }
    await fn(root);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}

const CLEAN = {
  'src/core/tf.ts': "import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-cpu';\nexport { tf };\n",
  'src/core/model.ts': "import { tf } from './tf.js';\nimport type { X } from './types.js';\nexport const m = tf;\n",
  'src/core/types.ts': 'export type X = number; // node:fs in a comment is fine\n',
  'src/web/page/main.ts': "import { m } from '../../core/model.js';\nimport '@tensorflow/tfjs-backend-webgl';\nconsole.log(m);\n",
  'src/data/files.ts': "import { readFile } from 'node:fs/promises';\nimport sharp from 'sharp';\nexport { readFile, sharp };\n",
  'src/index.ts': "export { readFile } from './data/files.js';\n",
  'src/cli/main.ts': "import { readFile } from '../index.js';\nimport { run } from './commands/x.js';\nexport { readFile, run };\n",
  'src/cli/commands/x.ts': "import type { X } from '../../index.js';\nexport const run = (x: X) => x;\n",
};

test('the boundary check passes on this checkout (core, page, CLI imports and the page bundles)', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
});

test('a clean tree passes; Node modules outside src/core are fine', async () => {
  await withPlant(CLEAN, async (root) => {
    const r = check(root);
    assert.equal(r.status, 0, r.stderr);
  });
});

test('the boundary check fails on each planted violation, naming file and import', async () => {
  await withPlant({
    ...CLEAN,
    'src/core/reads.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    'src/core/bare_fs.ts': "export async function f() { return import('fs'); }\n",
    'src/core/images.ts': "import sharp from 'sharp';\nexport { sharp };\n",
    'src/core/reach_out.ts': "import { readFile } from '../data/files.js';\nexport { readFile };\n",
    'src/core/union.ts': "import '@tensorflow/tfjs';\n",
    'src/core/env.ts': 'export const home = process.env.HOME;\n',
    'src/web/page/extra.ts': "import { readFile } from '../../data/files.js';\nexport { readFile };\n",
    'src/web/train/worker.ts': "import { cpus } from 'node:os';\nexport const n = cpus;\n",
    'src/cli/commands/deep.ts': "import { readFile } from '../../data/files.js';\nexport { readFile };\n",
  }, async (root) => {
    const r = check(root);
    assert.equal(r.status, 1);
    for (const line of [
      "src/core/reads.ts imports the Node module 'node:fs'",
      "src/core/bare_fs.ts imports the Node module 'fs'",
      "src/core/images.ts imports the package 'sharp'",
      "src/core/reach_out.ts imports '../data/files.js' from outside src/core",
      "src/core/union.ts imports the package '@tensorflow/tfjs'",
      "src/core/env.ts uses the Node global 'process.env'",
      "src/data/files.ts imports 'node:fs/promises' and the web page reaches it",
      "src/data/files.ts imports 'sharp' and the web page reaches it",
      "src/web/train/worker.ts imports 'node:os' and the web page reaches it",
      "src/cli/commands/deep.ts imports '../../data/files.js': the CLI imports the library only from src/index.ts",
    ]) assert.ok(r.stderr.includes(line), `missing: ${line}\n${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 10, r.stderr);
  });
});

// The bundles are checked where the root has a compiled dist/src/web/bundle.js (a built checkout; the first test
// runs the real one). A stand-in module here refuses one entry as esbuild's plugin does: the check must bundle the
// translate page, the training page and the training worker, and name the one that fails.
test('the boundary check bundles the translate page, the training page and the training worker, naming the one that fails', async () => {
  await withPlant({
    ...CLEAN,
    'package.json': '{ "type": "module" }\n',
    'dist/src/web/bundle.js': [
      "import { appendFileSync } from 'node:fs';",
      "const log = new URL('../../../bundled.txt', import.meta.url);",
      "export const trainEntries = () => ({ page: 'train-page', worker: 'train-worker' });",
      'export async function bundlePage({ entry }) {',
      "  appendFileSync(log, `${entry ?? 'translate-page'}\\n`);",
      "  if (entry === 'train-worker') throw new Error(\"cannot bundle the web page: src/web/train/worker.ts imports the Node module 'node:os'\");",
      '}',
      '',
    ].join('\n'),
  }, async (root) => {
    const r = check(root);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim(), "check-boundaries: the training worker: cannot bundle the web page: src/web/train/worker.ts imports the Node module 'node:os'");
    assert.deepEqual((await fsp.readFile(path.join(root, 'bundled.txt'), 'utf8')).trim().split('\n'), ['translate-page', 'train-page', 'train-worker']);
  });
});

test('package.json exports: Node gets the Node API, browsers the core (and nothing of ours outside src/core)', async () => {
  const name = 'cyclegan'; // the package resolving itself through its "exports"
  const nodeApi = await import(name) as Record<string, unknown>;
  assert.equal(typeof nodeApi.initBackend, 'function');
  assert.equal(typeof nodeApi.translateImage, 'function');
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    stdin: { contents: `import * as c from '${name}'; globalThis.c = c;`, resolveDir: REPO_ROOT },
    bundle: true, write: false, platform: 'browser', format: 'esm', metafile: true, logLevel: 'silent',
    plugins: [{ name: 'node-builtins', setup(b) { b.onResolve({ filter: /^(node:)?(util|crypto|fs|path|os|worker_threads|perf_hooks)$/ }, (a) => ({ path: a.path, external: true })); } }],
  });
  const ours = Object.keys(r.metafile!.inputs).filter((f) => f.startsWith('dist/'));
  assert.ok(ours.includes('dist/src/core/index.js'), ours.join(', '));
  assert.deepEqual(ours.filter((f) => !f.startsWith('dist/src/core/')), []);
});
