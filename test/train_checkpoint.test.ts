// Checkpoints survive crashes: a half-written generation is ignored, a torn latest_net_* is repaired from
// the complete checkpoint that state/LATEST names; the progress line, the loss picture and the pages.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { createNetwork, type NetworkSpec } from '../src/core/networks/index.js';
import { loadNetwork } from '../src/weights/network_file.js';
import { saveCheckpoint, loadCheckpoint, runPaths, netFile, NET_NAMES, type Nets, type TrainStateJson } from '../src/train/run_folder.js';
import { writeFileAtomic } from '../src/atomic.js';
import { Progress } from '../src/train/progress.js';
import { lossPlotPng } from '../src/report/loss_plot.js';
import { renderPage } from '../src/report/html.js';
import { TrainingReport } from '../src/report/training_page.js';
import { tf } from '../src/core/tf.js';
import { tempDir, maxParamDiff } from './workflow_util.js';

function nets(seed: number): Nets {
  const g: NetworkSpec = { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 2, norm: 'instance', useDropout: false };
  const d: NetworkSpec = { role: 'discriminator', netD: 'n_layers', inputNc: 3, ndf: 2, nLayersD: 1, norm: 'instance' };
  return {
    G_A: createNetwork(g, { seed }), G_B: createNetwork(g, { seed: seed + 1 }),
    D_A: createNetwork(d, { seed: seed + 2 }), D_B: createNetwork(d, { seed: seed + 3 }),
  };
}

function state(totalIters: number): { json: TrainStateJson; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  return {
    json: { version: 1, epoch: 1, epochIter: totalIters, totalIters, epochCount: 1, model: { x: totalIters }, data: {}, scheduler: {}, elapsed: 0, savedAt: '' },
    tensors: new Map([['m', { shape: [2], data: Float32Array.from([totalIters, 1]) }]]),
  };
}

test('a crash mid-checkpoint never leaves a broken latest', async () => {
  const dir = await tempDir('ckpt');
  try {
    const paths = runPaths(dir, 'run');
    const first = nets(1), second = nets(100);
    await saveCheckpoint(paths, first, state(10));
    // A crash while writing the next checkpoint: a generation folder with only some files, pointer unchanged.
    const partial = path.join(paths.stateDir, 'gen-000000020-crash-0');
    await fsp.mkdir(partial);
    await fsp.writeFile(path.join(partial, 'net_G_A.safetensors'), 'half a file');
    // ...and a crash while re-publishing: latest_net_G_B replaced by something else (new file, as our
    // writes never modify a file in place), and a leftover temp file.
    await fsp.rm(netFile(paths.root, 'latest', 'G_B'));
    await fsp.writeFile(netFile(paths.root, 'latest', 'G_B'), 'torn');
    await fsp.writeFile(path.join(paths.root, '.latest_net_D_A.safetensors.123.tmp'), 'junk');

    const ck = await loadCheckpoint(paths);
    assert.ok(ck);
    assert.equal(ck.state.json.totalIters, 10);
    assert.deepEqual(Array.from(ck.state.tensors.get('m')!.data), [10, 1]);
    for (const n of NET_NAMES) {
      assert.equal(maxParamDiff(ck.nets[n].params, first[n].params), 0, n);
      const published = await loadNetwork(netFile(paths.root, 'latest', n)); // repaired
      assert.equal(maxParamDiff(published.params, first[n].params), 0, n);
      published.dispose();
    }
    const left = await fsp.readdir(paths.stateDir);
    assert.deepEqual(left.filter((n) => n.startsWith('gen-')).length, 1, `stale generations left: ${left}`);
    assert.ok(!(await fsp.readdir(paths.root)).some((n) => n.endsWith('.tmp')));

    // The next complete checkpoint replaces the first.
    await saveCheckpoint(paths, second, state(20));
    const ck2 = (await loadCheckpoint(paths))!;
    assert.equal(ck2.state.json.totalIters, 20);
    assert.equal(maxParamDiff(ck2.nets.G_A.params, second.G_A.params), 0);
    for (const n of NET_NAMES) [first[n], second[n], ck.nets[n], ck2.nets[n]].forEach((x) => x.dispose());
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('atomic writes leave the old file or the new one', async () => {
  const dir = await tempDir('atomic');
  try {
    const f = path.join(dir, 'sub', 'a.json');
    await writeFileAtomic(f, 'one');
    await writeFileAtomic(f, 'two');
    assert.equal(await fsp.readFile(f, 'utf8'), 'two');
    assert.deepEqual(await fsp.readdir(path.join(dir, 'sub')), ['a.json']);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('progress: a redrawn bar on a terminal, periodic plain lines otherwise', () => {
  let t = 0;
  const now = () => t;
  const info = (i: number) => ({ epoch: 1, lastEpoch: 2, epochIter: i, epochSize: 10, totalIters: i, itersLeft: 20 - i, lr: 2e-4, losses: { G_A: 0.5, D_A: 0.25 } });
  const plain: string[] = [];
  const p = new Progress({ isTTY: false, write: (s) => plain.push(s) }, 4, now);
  p.start(0);
  for (let i = 1; i <= 10; i++) { t = i * 0.5; p.update(info(i), 1); }
  assert.equal(plain.length, 3); // after the first image (an early line for logs and pipes), then at 4 and 8
  assert.match(plain[0], /^epoch 1\/2 iter 1\/10 /);
  assert.match(plain[2], /^epoch 1\/2 iter 8\/10 \| 2\.00 it\/s \| ETA 00:06 \| lr 2\.00e-4 \| G_A 0\.500 D_A 0\.250\n$/);
  const tty: string[] = [];
  const q = new Progress({ isTTY: true, write: (s) => tty.push(s), columns: 200 }, 4, now);
  t = 0;
  q.start(0);
  for (let i = 1; i <= 10; i++) { t = i * 0.5; q.update(info(i), 1); }
  assert.equal(tty.length, 10);
  assert.ok(tty.every((s) => s.startsWith('\r\x1b[2K[')));
  assert.match(tty[9], /\[#+\] epoch 1\/2 iter 10\/10/);
  q.log('note');
  assert.equal(tty[10], '\r\x1b[2Knote\n');
});

test('loss picture and report page', async () => {
  const pts = Array.from({ length: 50 }, (_, i) => ({ x: i / 10, losses: { D_A: 0.5, G_A: 1 - i / 100, cycle_A: 3, idt_A: 1, D_B: 0.4, G_B: 1, cycle_B: 2, idt_B: 1 } }));
  const png = await lossPlotPng(pts, { width: 640, height: 400 });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 640, 400]);
  const html = renderPage({ title: 'a <b> & "c"', sections: [{ heading: 'h', rows: [{ images: [{ src: 'images/x y.png', label: 'real_A' }] }] }] });
  assert.match(html, /<title>a &lt;b&gt; &amp; &quot;c&quot;<\/title>/);
  assert.match(html, /src="images\/x%20y\.png"/);
});

test('report page: explains a run without samples, stops reloading once stopped, no idt columns without the identity loss', async () => {
  const dir = await tempDir('report');
  const paths = runPaths(dir, 'r');
  const page = () => fsp.readFile(paths.webIndex, 'utf8');
  const rep = new TrainingReport(paths, 'r', { identity: false, displayFreq: 400 });
  await rep.write([], { epoch: 1, lastEpoch: 1, totalIters: 3 });
  assert.match(await page(), /No samples yet: a row is added every --display-freq 400 images \(3 trained so far\)/);
  assert.match(await page(), /http-equiv="refresh"/);
  await rep.write([], { epoch: 1, lastEpoch: 2, totalIters: 3, stopped: 'interrupted' });
  assert.match(await page(), /Stopped at epoch 1 of 2 \(interrupted\), 3 images trained; cyclegan train \.\.\. --continue resumes it/);
  assert.doesNotMatch(await page(), /http-equiv="refresh"/);
  const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  const visuals = () => Object.fromEntries(['real_A', 'fake_B', 'rec_A', 'idt_B', 'real_B', 'fake_A', 'rec_B', 'idt_A'].map((n) => [n, x.clone()])) as Record<string, tf.Tensor4D>;
  await rep.addSamples({ visuals }, x, x, 1, 3);
  const html = await page();
  assert.match(html, /rec_A/);
  assert.doesNotMatch(html, /idt_[AB]/);
  assert.doesNotMatch(html, /No samples yet/);
  x.dispose();
});
