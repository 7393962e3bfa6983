// Unit tests of the core pieces the fixtures do not pin down on their own.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { createNetwork, walkLayers, type GeneratorSpec, type DiscriminatorSpec } from '../src/core/networks/index.js';
import { initConvWeight } from '../src/core/networks/init.js';
import { ImagePool } from '../src/core/pool.js';
import { PlateauScheduler, cosineDecay, stepDecay } from '../src/core/schedule.js';
import { ganLoss, gradientPenalty } from '../src/core/losses.js';
import { CycleGANModel, defaultCycleGANOptions } from '../src/core/model.js';
import { loadNetwork, saveNetwork, networkToStateDict, networkFromStateDict } from '../src/weights/network_file.js';
import { readSafetensors, writeSafetensors } from '../src/core/weights/safetensors.js';
import { mirrorPadBackward } from '../src/core/ops/mirror_pad_backward.js';
import { CycleGANError } from '../src/core/errors.js';

// The default backend (native where built): these tests check semantics, not one backend's kernels.
await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');

const gen = (over: Partial<GeneratorSpec> = {}): GeneratorSpec =>
  ({ role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false, ...over });
const disc = (over: Partial<DiscriminatorSpec> = {}): DiscriminatorSpec =>
  ({ role: 'discriminator', netD: 'basic', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'instance', ...over });

test('official conv-bias rule: bias only before instance norm; none and batch have none', () => {
  for (const [norm, expectBias] of [['instance', true], ['batch', false], ['none', false]] as const) {
    const net = createNetwork(gen({ norm }));
    assert.equal(net.params.has('model.1.bias'), expectBias, norm);
    assert.ok(net.params.has('model.23.bias'), 'the final conv always has a bias');
    if (norm === 'batch') assert.ok(net.buffers.has('model.2.running_mean'));
    net.dispose();
  }
});

test('dropout shifts ResNet block keys as the official Sequential does', () => {
  const net = createNetwork(gen({ useDropout: true }));
  assert.ok(net.params.has('model.10.conv_block.6.weight'));
  assert.ok(!net.params.has('model.10.conv_block.5.weight'));
  net.dispose();
});

test('every architecture runs and keeps shapes', () => {
  const x = tf.randomUniform([1, 64, 64, 3], -1, 1) as tf.Tensor4D;
  for (const netG of ['resnet_6blocks', 'resnet_9blocks', 'unet_128', 'unet_256'] as const) {
    for (const norm of ['instance', 'batch', 'none'] as const) {
      const net = createNetwork(gen({ netG, norm }));
      const size = netG === 'unet_256' ? 256 : netG === 'unet_128' ? 128 : 64;
      const input = size === 64 ? x : tf.randomUniform([1, size, size, 3], -1, 1) as tf.Tensor4D;
      const y = net.apply(input, { training: true });
      assert.deepEqual(y.shape, input.shape, `${netG}/${norm}`);
      const vals = y.dataSync();
      assert.ok(vals.every((v) => v >= -1 && v <= 1), 'tanh output');
      tf.dispose([y, ...(input === x ? [] : [input])]);
      net.dispose();
    }
  }
  for (const [spec, out] of [[disc(), [1, 6, 6, 1]], [disc({ netD: 'n_layers', nLayersD: 2 }), [1, 14, 14, 1]], [disc({ netD: 'pixel' }), [1, 64, 64, 1]]] as const) {
    const net = createNetwork(spec);
    const y = net.apply(x);
    assert.deepEqual(y.shape, out, spec.netD);
    y.dispose();
    net.dispose();
  }
  x.dispose();
});

test('init types: normal std = gain, xavier/kaiming follow fan rules, orthogonal rows are orthonormal', () => {
  const rng = new Rng(1);
  const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  const shape = [64, 32, 3, 3];
  assert.ok(Math.abs(std(initConvWeight(shape, 'normal', 0.02, rng)) - 0.02) < 0.001);
  assert.ok(Math.abs(std(initConvWeight(shape, 'xavier', 0.02, rng)) - 0.02 * Math.sqrt(2 / (32 * 9 + 64 * 9))) < 0.0002);
  assert.ok(Math.abs(std(initConvWeight(shape, 'kaiming', 0.02, rng)) - Math.sqrt(2 / (32 * 9))) < 0.005);
  const q = initConvWeight([8, 2, 3, 3], 'orthogonal', 1, rng); // 8 rows of length 18
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 8; j++) {
      let d = 0;
      for (let k = 0; k < 18; k++) d += q[i * 18 + k] * q[j * 18 + k];
      assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-5, `rows ${i},${j}: ${d}`);
    }
  }
});

test('the same seed gives the same network, another seed another one', () => {
  const a = createNetwork(gen(), { seed: 3 });
  const b = createNetwork(gen(), { seed: 3 });
  const c = createNetwork(gen(), { seed: 4 });
  const w = (n: typeof a) => n.params.get('model.1.weight')!.dataSync();
  assert.deepEqual(w(a), w(b));
  assert.notDeepEqual(w(a), w(c));
  [a, b, c].forEach((n) => n.dispose());
});

test('MirrorPad gradient folds the reflected border back (numeric check)', () => {
  const x = tf.randomNormal([1, 5, 4, 2]);
  for (const mode of ['reflect', 'symmetric'] as const) {
    const pad: Array<[number, number]> = [[0, 0], [2, 2], [mode === 'reflect' ? 3 : 2, 1], [0, 0]];
    const w = tf.randomNormal([1, 9, 4 + pad[2][0] + pad[2][1], 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t, pad, mode), w)))(x);
    // Finite differences of a linear function are exact: dL/dx_i = L(e_i) for the basis vector e_i.
    const xs = x.dataSync();
    const gs = g.dataSync();
    for (let i = 0; i < xs.length; i += 3) {
      const e = new Float32Array(xs.length);
      e[i] = 1;
      const li = tf.tidy(() => tf.sum(tf.mul(tf.mirrorPad(tf.tensor(e, x.shape), pad, mode), w)).dataSync()[0]);
      assert.ok(Math.abs(li - gs[i]) < 1e-4, `${mode} element ${i}: ${gs[i]} vs ${li}`);
    }
    const direct = mirrorPadBackward(tf.mul(w, 1), x.shape, pad, mode);
    assert.ok(tf.max(tf.abs(tf.sub(direct, g))).dataSync()[0] < 1e-6);
  }
});

test('ImagePool: official fill-then-swap semantics, size 0 passes through, state round-trips', async () => {
  const img = (v: number) => tf.fill([1, 2, 2, 3], v) as tf.Tensor4D;
  const pass = new ImagePool(0);
  const p0 = pass.query(img(7));
  assert.equal(p0.dataSync()[0], 7);
  const pool = new ImagePool(3, new Rng(5));
  for (let i = 0; i < 3; i++) assert.equal(pool.query(img(i)).dataSync()[0], i, 'while filling, the image itself');
  let fromHistory = 0;
  for (let i = 3; i < 203; i++) {
    const v = pool.query(img(i)).dataSync()[0];
    if (v !== i) fromHistory++;
    assert.ok(v <= i);
  }
  assert.ok(fromHistory > 70 && fromHistory < 130, `about half from history, got ${fromHistory}`);
  const state = await pool.getStateAsync();
  const copy = new ImagePool(3, new Rng(99));
  copy.setState(state);
  for (let i = 0; i < 20; i++) assert.equal(copy.query(img(1000 + i)).dataSync()[0], pool.query(img(1000 + i)).dataSync()[0]);
});

test('step, cosine and plateau policies follow the official schedulers', () => {
  assert.equal(stepDecay(49, { lrDecayIters: 50 }), 1);
  assert.ok(Math.abs(stepDecay(50, { lrDecayIters: 50 }) - 0.1) < 1e-12);
  assert.ok(Math.abs(stepDecay(120, { lrDecayIters: 50 }) - 0.01) < 1e-12);
  assert.equal(cosineDecay(0, { nEpochs: 10 }), 1);
  assert.ok(Math.abs(cosineDecay(5, { nEpochs: 10 }) - 0.5) < 1e-12);
  assert.ok(Math.abs(cosineDecay(10, { nEpochs: 10 })) < 1e-12);
  const p = new PlateauScheduler();
  assert.equal(p.step(1.0), 1);
  for (let i = 0; i < 5; i++) assert.equal(p.step(0.995), 1, 'within threshold: not an improvement, patience 5');
  assert.ok(Math.abs(p.step(0.995) - 0.2) < 1e-12, 'sixth bad epoch reduces by 0.2');
  assert.equal(p.step(0.5), 0.2 * 1);
});

test('GAN losses: lsgan, vanilla (BCE with logits), wgangp', () => {
  const pred = tf.tensor([[-2, 0.5], [1, 3]]);
  const close = (a: tf.Scalar, b: number) => assert.ok(Math.abs(a.dataSync()[0] - b) < 1e-6, `${a.dataSync()[0]} vs ${b}`);
  close(ganLoss(pred, true, 'lsgan'), (9 + 0.25 + 0 + 4) / 4);
  close(ganLoss(pred, false, 'lsgan'), (4 + 0.25 + 1 + 9) / 4);
  const bce = (x: number, t: number) => -(t * Math.log(1 / (1 + Math.exp(-x))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-x))));
  close(ganLoss(pred, true, 'vanilla'), [-2, 0.5, 1, 3].reduce((s, x) => s + bce(x, 1), 0) / 4);
  close(ganLoss(pred, false, 'vanilla'), [-2, 0.5, 1, 3].reduce((s, x) => s + bce(x, 0), 0) / 4);
  close(ganLoss(pred, true, 'wgangp'), -2.5 / 4);
  close(ganLoss(pred, false, 'wgangp'), 2.5 / 4);
});

test('gradient penalty is finite, positive and differentiable w.r.t. the critic', () => {
  const net = createNetwork(disc({ netD: 'pixel', norm: 'none' }));
  const real = tf.randomUniform([2, 8, 8, 3], -1, 1) as tf.Tensor4D;
  const fake = tf.randomUniform([2, 8, 8, 3], -1, 1) as tf.Tensor4D;
  const gp = gradientPenalty(net, real, fake, new Rng(1));
  assert.ok(Number.isFinite(gp.dataSync()[0]) && gp.dataSync()[0] > 0);
  const { grads } = tf.variableGrads(() => gradientPenalty(net, real, fake, new Rng(1)), net.trainableVariables());
  const total = Object.values(grads).reduce((s, g) => s + tf.sum(tf.abs(g)).dataSync()[0], 0);
  assert.ok(total > 0, 'penalty is differentiable w.r.t. the critic weights');
  net.dispose();
});

test('safetensors round trip and network file rebuilds the same network', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-core-'));
  const net = createNetwork(gen({ netG: 'unet_128', norm: 'batch' }), { seed: 9 });
  const file = path.join(dir, 'g.safetensors');
  await saveNetwork(net, file);
  const back = await loadNetwork(file);
  assert.deepEqual(back.spec, net.spec);
  const x = tf.randomUniform([1, 128, 128, 3], -1, 1) as tf.Tensor4D;
  const a = net.apply(x).dataSync();
  const b = back.apply(x).dataSync();
  assert.deepEqual(a, b);
  // The file holds PyTorch layouts: Conv2d [out, in, kh, kw].
  const raw = readSafetensors(readFileSync(file));
  assert.deepEqual(raw.tensors.get('model.model.0.weight')!.shape, [4, 3, 4, 4]);
  const again = writeSafetensors(raw.tensors, raw.metadata);
  assert.deepEqual(readSafetensors(again).tensors.get('model.model.0.weight')!.data, raw.tensors.get('model.model.0.weight')!.data);
  net.dispose();
  back.dispose();
});

test('bad weight files and mismatched state dicts are clear errors', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-core-'));
  const junk = path.join(dir, 'junk.safetensors');
  writeFileSync(junk, 'not a model');
  await assert.rejects(loadNetwork(junk), (e: Error) => e instanceof CycleGANError && e.message.includes(junk));
  await assert.rejects(loadNetwork(path.join(dir, 'missing.safetensors')), /cannot read model file/);
  const net = createNetwork(gen());
  const sd = networkToStateDict(net);
  assert.throws(() => networkFromStateDict(gen({ ngf: 8 }), sd), /has shape .* check --netG/);
  assert.throws(() => networkFromStateDict(gen({ netG: 'resnet_9blocks' }), sd), /unexpected key 'model\.16\.weight'.*--netG/);
  const partial = new Map(sd);
  partial.delete('model.23.bias');
  assert.throws(() => networkFromStateDict(gen(), partial), /missing key 'model\.23\.bias'/);
  sd.set('model.2.running_mean', { shape: [4], data: new Float32Array(4) }); // stale InstanceNorm stats: dropped
  networkFromStateDict(gen(), sd).dispose();
  sd.set('model.99.weight', { shape: [1], data: new Float32Array(1) });
  assert.throws(() => networkFromStateDict(gen(), sd), /unexpected key 'model\.99\.weight'/);
  net.dispose();
});

test('training state round-trips: a restored model takes the identical next step', async () => {
  const opts = { ...defaultCycleGANOptions(), ngf: 4, ndf: 4, netG: 'resnet_6blocks' as const, poolSize: 2, seed: 3 };
  const a = CycleGANModel.create(opts);
  const A = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const B = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  for (let i = 0; i < 3; i++) a.trainStep(A, B);
  const b = CycleGANModel.create({ ...opts, seed: 4 });
  for (const n of ['G_A', 'G_B', 'D_A', 'D_B'] as const) {
    for (const [k, v] of a.nets[n].params) b.nets[n].params.get(k)!.assign(v);
  }
  b.setTrainingState(await a.getTrainingStateAsync());
  const la = a.trainStep(A, B);
  const lb = b.trainStep(A, B);
  assert.deepEqual(lb, la);
  assert.deepEqual(b.nets.G_A.params.get('model.1.weight')!.dataSync(), a.nets.G_A.params.get('model.1.weight')!.dataSync());
  a.dispose();
  b.dispose();
});

test('walkLayers visits nested blocks', () => {
  const net = createNetwork(gen());
  const convs = [...walkLayers(net.layers)].filter((l) => l.op === 'conv2d' || l.op === 'convTranspose2d');
  assert.equal(convs.length, 3 + 12 + 2 + 1);
  net.dispose();
});

test('a model releases every tensor it made: steps do not grow memory beyond the pool, dispose frees all', () => {
  const A = tf.randomUniform([1, 32, 32, 3], -1, 1) as tf.Tensor4D;
  const B = tf.randomUniform([1, 32, 32, 3], -1, 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: 4, ndf: 4, netG: 'resnet_6blocks', poolSize: 1 });
  model.trainStep(A, B); // fills both pools (one image each)
  const afterFirst = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) model.trainStep(A, B);
  assert.equal(tf.memory().numTensors, afterFirst, 'steady state: no tensor leaks per step');
  const vis = model.visuals(A, B);
  tf.dispose(Object.values(vis));
  assert.equal(tf.memory().numTensors, afterFirst, 'visuals leak nothing once disposed');
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([A, B]);
});
