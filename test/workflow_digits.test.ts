// The ground-truth digits task (the built-in mnist2ink's layout, made here in miniature): a short seeded
// run must raise PSNR/SSIM of A→B against the truth well above the same untrained model; then the `eval`
// and `test` commands on that run.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveTrainOptions } from '../src/train/options.js';
import { openTrainData } from '../src/train/data_source.js';
import { train } from '../src/train/trainer.js';
import { evaluate } from '../src/train/evaluate.js';
import { CycleGANModel, modelOptions } from '../src/core/model.js';
import { loadNets, runPaths } from '../src/train/run_folder.js';
import { makeDigitsDataset, tempDir } from './workflow_util.js';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

test('a short run on the digits task beats the untrained model against the truth; eval and test commands', async () => {
  const root = await tempDir('digits');
  try {
    await makeDigitsDataset(root, { train: 50, test: 10, size: 32 });
    const ck = path.join(root, 'checkpoints');
    const opts = resolveTrainOptions({
      dataroot: root, name: 'digits', 'checkpoints-dir': ck, backend: 'wasm', seed: 3,
      netG: 'resnet_6blocks', ngf: 4, ndf: 4, preprocess: 'none', 'load-size': 32, 'crop-size': 32, 'no-flip': true,
      'no-dropout': true, lr: 0.001, 'n-epochs': 2, 'n-epochs-decay': 0, 'print-freq': 10, 'display-freq': 50, 'save-epoch-freq': 1,
    });
    const untrained = CycleGANModel.create(modelOptions(opts));
    const before = await evaluate(untrained.nets.G_A, { dataroot: root, direction: 'AtoB' });
    untrained.dispose();
    const r = await train(opts, await openTrainData(opts, { log: () => {} }), { log: () => {}, progress: { isTTY: false, write: () => {} } });
    assert.equal(r.status, 'completed');
    assert.equal(r.totalIters, 100);
    const nets = await loadNets(runPaths(ck, 'digits'), 'latest', ['G_A']);
    const after = await evaluate(nets.G_A!, { dataroot: root, direction: 'AtoB' });
    nets.G_A!.dispose();
    assert.equal(after.n, 10);
    assert.ok(after.psnr > before.psnr + 4, `PSNR ${before.psnr.toFixed(2)} → ${after.psnr.toFixed(2)} dB`);
    assert.ok(after.ssim > before.ssim + 0.1, `SSIM ${before.ssim.toFixed(3)} → ${after.ssim.toFixed(3)}`);

    // The run's report: loss curves and sample rows.
    const web = await fsp.readFile(path.join(ck, 'digits', 'web', 'index.html'), 'utf8');
    assert.match(web, /loss\.png/);
    assert.match(web, /epoch 2/);
    for (const v of ['real_A', 'fake_B', 'rec_A', 'idt_B', 'real_B', 'fake_A', 'rec_B', 'idt_A']) assert.match(web, new RegExp(`images/epoch002_${v}\\.png`));
    await fsp.access(path.join(ck, 'digits', 'web', 'loss.png'));

    // cyclegan eval reports the same numbers.
    const ev = spawnSync(process.execPath, [CLI, 'eval', '--dataroot', root, '--name', 'digits', '--checkpoints-dir', ck, '--json', '--backend', 'wasm'], { encoding: 'utf8' });
    assert.equal(ev.status, 0, ev.stderr);
    const got = JSON.parse(ev.stdout.trim().split('\n').pop()!) as { psnr: number; ssim: number; n: number };
    assert.equal(got.n, 10);
    assert.ok(Math.abs(got.psnr - after.psnr) < 1e-6 && Math.abs(got.ssim - after.ssim) < 1e-6, `${got.psnr} vs ${after.psnr}`);

    // cyclegan test writes its page and says how many images it processed.
    const res = path.join(root, 'results');
    const t = spawnSync(process.execPath, [CLI, 'test', '--dataroot', root, '--name', 'digits', '--checkpoints-dir', ck, '--results-dir', res, '--num-test', '4', '--backend', 'wasm'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /processed 4 of 10 images in .*testA and 4 of 10 in .*testB/);
    const page = await fsp.readFile(path.join(res, 'digits', 'test_latest', 'index.html'), 'utf8');
    const imgs = [...page.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(imgs.length, 24); // 8 images × (real, fake, rec)
    for (const src of imgs) await fsp.access(path.join(res, 'digits', 'test_latest', src));
    assert.ok(imgs.includes('images/test_0000_fake_B.png') && imgs.includes('images/test_0000_rec_B.png'));
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
