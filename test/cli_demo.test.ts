// `cyclegan demo` end to end on a small stand-in for the cached mnist2ink dataset (no download): it must
// train within its budget and write the training report, the test page and the PSNR/SSIM line.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeDigitsDataset, tempDir } from './workflow_util.js';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

test('demo trains within its budget and writes the report, the test page and the metrics', async () => {
  const dir = await tempDir('demo');
  try {
    const ds = path.join(dir, 'cache', 'datasets', 'mnist2ink');
    await makeDigitsDataset(ds, { train: 30, test: 6, size: 32 });
    await fsp.writeFile(path.join(ds, 'dataset.json'), JSON.stringify({
      name: 'mnist2ink', version: 1, description: 'test stand-in', source: 'test', license: 'test',
      counts: { trainA: 30, trainB: 30, testA: 6, testB: 6, testB_truth: 6 },
      recommended: { preprocess: 'none', loadSize: 32, cropSize: 32, inputNc: 3, outputNc: 3, noFlip: true },
      truth: { AtoB: 'testB_truth', BtoA: 'testA_truth' }, builtAt: new Date().toISOString(),
    }));
    const out = path.join(dir, 'out');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'demo', '--cache-dir', path.join(dir, 'cache'), '--out', out, '--minutes', '0.4',
      '--ngf', '4', '--backend', 'wasm', '--num-test', '3'], { encoding: 'utf8' });
    const secs = (Date.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(secs < 90, `demo took ${secs} s for a 0.4 min budget`);
    assert.match(r.stdout, /using wasm: [\d.]+ steps\/s → \d+ epochs of \d+ images/);
    assert.match(r.stdout, /A→B against the ground truth \(6 test images\): PSNR [\d.]+ → [\d.]+ dB, SSIM/);
    const page = path.join(out, 'results', 'demo_mnist2ink', 'test_latest', 'index.html');
    assert.match(r.stdout, new RegExp(page.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const html = await fsp.readFile(page, 'utf8');
    assert.equal([...html.matchAll(/<img /g)].length, 18); // 3 + 3 images × real, fake, rec
    const web = await fsp.readFile(path.join(out, 'checkpoints', 'demo_mnist2ink', 'web', 'index.html'), 'utf8');
    assert.match(web, /loss\.png/);
    await fsp.access(path.join(out, 'checkpoints', 'demo_mnist2ink', 'latest_net_G_A.safetensors'));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
