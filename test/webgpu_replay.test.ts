// The captured, replayed inference forward on webgpu (src/backends/webgpu/replay.ts, used through
// inferenceForward): its output equals Network.apply's (the same kernels, so bitwise here), with other tensor
// work between replays; a forward that cannot be captured falls back; replacing a parameter invalidates the
// plan, as does a change of the convolutions' tuning; outputs the caller holds are not changed by later replays; no
// GPU memory growth over many replays; Network.dispose frees the plan. Tiny networks on lavapipe.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { createNetwork, inferenceForward, type Network } from '../src/core/networks/index.js';
import { replayStatus, setMaxPlans, setReplayEnabled } from '../src/backends/webgpu/replay.js';
import { setConvTuning } from '../src/backends/webgpu/conv_gemm.js';
import { webgpuSkipReason } from './helpers/webgpu.js';
import { rand } from './helpers/random.js';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { testWithNets } from '../src/train/test_run.js';
import { makeRandomDataset, tempDir } from './workflow_util.js';

const skip = await webgpuSkipReason();

function generator(netG: 'resnet_6blocks' | 'unet_128', ngf = 4, useDropout = false): Network {
  return createNetwork({ role: 'generator', netG, inputNc: 3, outputNc: 3, ngf, norm: 'instance', useDropout },
    { type: 'normal', gain: 0.02, seed: 3 });
}

const image = (size: number, seed: number) => tf.tensor4d(rand(size * size * 3, seed), [1, size, size, 3]);

/** Network.apply's output and inferenceForward's for `x`, read back; the tensors disposed. */
async function both(net: Network, x: tf.Tensor4D, training = false): Promise<{ want: Float32Array; got: Float32Array }> {
  const w = tf.tidy(() => net.apply(x, { training }));
  const want = Float32Array.from(await w.data() as Float32Array);
  w.dispose();
  const g = tf.tidy(() => inferenceForward(net, x, { training }));
  const got = Float32Array.from(await g.data() as Float32Array);
  g.dispose();
  return { want, got };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return Number.isNaN(d) ? Infinity : d;
}

/** Allocates and frees tensors of the generator's intermediate sizes, so the pool hands buffers around. */
async function churn(size: number, ngf: number, seed: number): Promise<void> {
  const ts = [tf.randomUniform([1, size, size, ngf], -1, 1, 'float32', seed), tf.randomUniform([1, size / 2, size / 2, 2 * ngf], -1, 1, 'float32', seed + 1)];
  const r = tf.tidy(() => tf.add(tf.relu(ts[0]), 1));
  await r.data();
  tf.dispose([...ts, r]);
}

for (const [netG, size] of [['resnet_6blocks', 32], ['unet_128', 128]] as const) {
  test(`replayed ${netG} forward equals Network.apply for several inputs, with other tensor work between`, { skip }, async () => {
    await tf.setBackend('webgpu');
    setReplayEnabled(true);
    const net = generator(netG);
    const key = `1x${size}x${size}x3`;
    for (let i = 0; i < 6; i++) {
      const x = image(size, 10 + i);
      const { want, got } = await both(net, x);
      x.dispose();
      // 1st call: the normal forward (warm-up); 2nd: the capture (its own run's output); then replays.
      assert.equal(replayStatus(net)[key], i === 0 ? 'warm' : `replaying (${i - 1})`, `call ${i}`);
      assert.ok(maxDiff(got, want) <= 1e-6, `${netG}, input ${i}: max difference ${maxDiff(got, want)}`);
      await churn(size, 4, 100 + i);
    }
    // Another shape gets its own plan; the first one keeps working.
    if (netG === 'resnet_6blocks') {
      for (let i = 0; i < 3; i++) {
        const x = tf.tensor4d(rand(40 * 32 * 3, 50 + i), [1, 40, 32, 3]);
        const { want, got } = await both(net, x);
        x.dispose();
        assert.ok(maxDiff(got, want) <= 1e-6, `40x32 input ${i}: ${maxDiff(got, want)}`);
      }
      assert.equal(replayStatus(net)['1x40x32x3'], 'replaying (1)');
      const x = image(size, 99);
      const { want, got } = await both(net, x);
      x.dispose();
      assert.ok(maxDiff(got, want) <= 1e-6);
      assert.equal(replayStatus(net)[key], 'replaying (5)');
    }
    net.dispose();
  });
}

test('replay: outputs held by the caller (the capture call\'s, a replay\'s) are not changed by later replays', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const net = generator('resnet_6blocks');
  const xs = [0, 1, 2, 3, 4].map((i) => image(32, 70 + i));
  const want: Float32Array[] = [];
  for (const x of xs) {
    const w = tf.tidy(() => net.apply(x));
    want.push(Float32Array.from(await w.data() as Float32Array));
    w.dispose();
  }
  // Call 0 warms up, call 1 captures, calls 2-4 replay; each output is kept (created in a tidy, as a caller does).
  const held = xs.map((x) => tf.tidy(() => inferenceForward(net, x)));
  assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (3)');
  for (let i = 0; i < xs.length; i++) {
    const got = Float32Array.from(await held[i].data() as Float32Array);
    assert.ok(maxDiff(got, want[i]) <= 1e-6, `output of call ${i} after the later replays: max difference ${maxDiff(got, want[i])}`);
  }
  tf.dispose([...held, ...xs]);
  net.dispose();
});

test('replay: no GPU memory growth over many replays; Network.dispose frees the plan', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const before = { ...tf.memory() } as tf.MemoryInfo & { numBytesInGPU: number };
  const net = generator('resnet_6blocks');
  const x = image(32, 7);
  const run = async () => {
    const y = tf.tidy(() => inferenceForward(net, x));
    await y.data();
    y.dispose();
  };
  // Warm-up, capture, replay inside a tidy that keeps only a sum: the forward's output is the tidy's to dispose.
  for (let i = 0; i < 3; i++) {
    const s = tf.tidy(() => tf.sum(inferenceForward(net, x)));
    await s.data();
    s.dispose();
  }
  assert.equal(tf.memory().numTensors, before.numTensors + net.params.size + 1 + 2, 'parameters, x, the plan\'s input and output');
  await run();
  const m0 = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
  for (let i = 0; i < 30; i++) await run();
  const m1 = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
  assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (32)');
  assert.equal(m1.numTensors, m0.numTensors, 'tensors');
  assert.equal(m1.numBytesInGPU, m0.numBytesInGPU, 'bytes in use');
  assert.equal(m1.numBytesAllocatedInGPU, m0.numBytesAllocatedInGPU, 'bytes allocated');
  x.dispose();
  net.dispose();
  // The plan's intermediates, input and output are back in the pool: in use as before the network.
  const m2 = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
  assert.equal(m2.numTensors, before.numTensors, 'tensors after dispose');
  assert.equal(m2.numBytesInGPU, before.numBytesInGPU, 'bytes in use after dispose');
  assert.deepEqual(replayStatus(net), {});
});

test('replay: beyond the plans kept per network the least recently used shape is disposed and recaptured later', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const prev = setMaxPlans(1);
  try {
    const inUse = () => (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
    const before = inUse();
    const net = generator('resnet_6blocks');
    const shapes = [[32, 32], [40, 32]];
    const seen: string[] = [];
    const held: number[] = [];
    for (let i = 0; i < 8; i++) {
      const [h, w] = shapes[i % 2];
      const x = tf.tensor4d(rand(h * w * 3, 60 + i), [1, h, w, 3]);
      const { want, got } = await both(net, x);
      x.dispose();
      assert.ok(maxDiff(got, want) <= 1e-6, `call ${i} (${h}x${w}): ${maxDiff(got, want)}`);
      const st = replayStatus(net);
      seen.push(`${st['1x32x32x3']}/${st['1x40x32x3'] ?? '-'}`);
      // Bytes in use with the plan of this shape held: the same each time it comes back (nothing piles up).
      held.push(inUse());
      if (i >= 4) assert.equal(held[i], held[i - 2], `call ${i}: GPU bytes in use as two calls before`);
    }
    // One plan at a time: each shape's plan is disposed when the other one is captured (calls 2, 3, ...).
    assert.deepEqual(seen, ['warm/-', 'warm/warm', 'replaying (0)/warm', 'warm/replaying (0)', 'replaying (0)/warm',
      'warm/replaying (0)', 'replaying (0)/warm', 'warm/replaying (0)']);
    net.dispose();
    assert.equal(inUse(), before);
  } finally {
    setMaxPlans(prev);
  }
});

test('replay: a forward that cannot be captured stays on Network.apply; switched off, nothing is captured', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const inUse = () => (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
  const before = inUse();
  const net = generator('resnet_6blocks');
  // A forward that uploads a value from the CPU (here a constant; in general it could come from the input).
  const apply = net.apply.bind(net);
  net.apply = (x, opts) => tf.tidy(() => tf.add(apply(x, opts), tf.scalar(0.25)));
  for (let i = 0; i < 4; i++) {
    const x = image(32, 20 + i);
    const { want, got } = await both(net, x);
    x.dispose();
    assert.ok(maxDiff(got, want) <= 1e-6, `input ${i}`);
  }
  assert.equal(replayStatus(net)['1x32x32x3'], 'failed: an upload of CPU values');
  net.dispose();
  assert.equal(inUse(), before, 'nothing kept after an aborted capture');

  setReplayEnabled(false);
  try {
    const off = generator('resnet_6blocks');
    for (let i = 0; i < 3; i++) {
      const x = image(32, 30 + i);
      const { want, got } = await both(off, x);
      x.dispose();
      assert.ok(maxDiff(got, want) <= 1e-6);
    }
    assert.deepEqual(replayStatus(off), {});
    off.dispose();
  } finally {
    setReplayEnabled(true);
  }
});

test('replay: a replaced parameter invalidates the plan; dropout in training mode is not replayed', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const net = generator('resnet_6blocks');
  const x = image(32, 40);
  for (let i = 0; i < 3; i++) await both(net, x);
  assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (1)');
  // assign() gives the variable new data: the plan must not read the old buffer.
  const [name, w] = [...net.params].find(([k]) => k.endsWith('.weight'))!;
  w.assign(tf.tidy(() => tf.mul(w, 1.5)));
  let r = await both(net, x);
  assert.ok(maxDiff(r.got, r.want) <= 1e-6, `after replacing ${name}: ${maxDiff(r.got, r.want)}`);
  assert.equal(replayStatus(net)['1x32x32x3'], 'warm');
  r = await both(net, x); // recaptured
  r = await both(net, x); // replayed with the new weights
  assert.ok(maxDiff(r.got, r.want) <= 1e-6);
  assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (1)');
  x.dispose();
  net.dispose();

  // A U-Net with dropout in training mode draws a mask per call: never captured (official test.py runs so).
  const drop = generator('unet_128', 4, true);
  const y = image(128, 41);
  for (let i = 0; i < 3; i++) {
    const out = tf.tidy(() => inferenceForward(drop, y, { training: true }));
    await out.data();
    out.dispose();
  }
  assert.deepEqual(replayStatus(drop), {});
  y.dispose();
  drop.dispose();
});

test('replay: a plan captured before a setConvTuning is captured again, however often (not a replaced parameter)', { skip }, async () => {
  await tf.setBackend('webgpu');
  setReplayEnabled(true);
  const net = generator('resnet_6blocks');
  const x = image(32, 42);
  try {
    for (let i = 0; i < 3; i++) await both(net, x);
    assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (1)');
    // (the same tuning each time, none: no new pipelines; the plan cannot tell and is captured again)
    for (let round = 0; round < 5; round++) {
      setConvTuning(null);
      let r = await both(net, x);
      assert.ok(maxDiff(r.got, r.want) <= 1e-6, `round ${round}, after setConvTuning`);
      assert.equal(replayStatus(net)['1x32x32x3'], 'warm', `round ${round}: the plan was dropped`);
      r = await both(net, x);
      assert.ok(maxDiff(r.got, r.want) <= 1e-6, `round ${round}, recaptured`);
      assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (0)', `round ${round}: captured again`);
    }
  } finally {
    setConvTuning(null);
    x.dispose();
    net.dispose();
  }
});

test('`test` on webgpu end to end: the same PNGs with replay on and off', { skip }, async () => {
  await tf.setBackend('webgpu');
  const root = await tempDir('replay-test');
  try {
    await makeRandomDataset(root, { n: 4, size: 32, phase: 'test', seed: 5 });
    const G_A = generator('resnet_6blocks');
    const G_B = createNetwork({ role: 'generator', netG: 'resnet_9blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false },
      { type: 'normal', gain: 0.02, seed: 4 });
    const run = async (resultsDir: string) => {
      const r = await testWithNets({ dataroot: root, name: 'x', checkpointsDir: root, resultsDir, epoch: 'latest', numTest: 50, phase: 'test',
        direction: 'AtoB', preprocess: 'none', loadSize: 32, cropSize: 32, eval: false, log: () => {} }, G_A, G_B);
      return Promise.all(r.images.flatMap((im) => [im.fake, im.rec]).map((f) => fsp.readFile(f)));
    };
    setReplayEnabled(false);
    const off = await run(path.join(root, 'off'));
    setReplayEnabled(true);
    const on = await run(path.join(root, 'on'));
    // 8 forwards of each generator (fake and rec of 4 images a side): the first normal, the second captured. (test.py
    // runs the networks in training mode without --eval: the same forward for instance norm without dropout.)
    assert.equal(replayStatus(G_A)['1x32x32x3 training'], 'replaying (6)');
    assert.equal(replayStatus(G_B)['1x32x32x3 training'], 'replaying (6)');
    assert.equal(on.length, 16);
    on.forEach((png, i) => assert.ok(png.equals(off[i]), `image ${i} differs with replay`));
    G_A.dispose();
    G_B.dispose();
  } finally {
    setReplayEnabled(true);
    await fsp.rm(root, { recursive: true, force: true });
  }
});
