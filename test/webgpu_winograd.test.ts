// Winograd F(2×2, 3×3) and F(4×4, 3×3) on webgpu (src/backends/webgpu/winograd.ts, switched on here through
// setConvTuning({ winograd })): the 3×3 stride-1 forward (reflect- and zero-padded, with bias and relu/tanh) and
// input gradient against tfjs-cpu on odd shapes (H, W odd and even, not multiples of the 2×2 or 4×4 tile, batch 1
// and 2, channels 4/8/12/20) and filter gradient (the same shapes and paddings, its tile reduction split and
// not), the transposed convolution with its bias; the generator parity fixture and one
// CycleGAN training-step fixture with each on; the replayed inference forward and training step with it on. Runs on
// lavapipe in CI.
// Tolerance: check's 1e-5, the direct convolution tests' (webgpu_kernels.test.ts). F(2×2)'s constants (0, ±1, ±½)
// are exact in f32 and its sums add a few roundings of values up to 4× (input) and 9/4× (weights) the originals;
// F(4×4)'s are not all exact (1/6, 1/12, 1/24) and its sums are longer, with larger constants (up to 8): more
// rounding. Both stay inside it on these shapes (the last test prints each error).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { reflectPad } from '../src/core/ops/nn.js';
import { runCGKernel, runKernel } from '../src/core/ops/kernels.js';
import { CGReflectConv2D } from '../src/core/ops/kernel_names.js';
import { setConvTuning, winogradPlan, winogradTile } from '../src/backends/webgpu/conv_gemm.js';
import { fixturesAvailable } from './helpers/fixtures.js';
import { checkFixture, runFixture } from './helpers/parity.js';
import { check, type Data, errors, type Fn, inputs, type RanProgram, runOn, spyPrograms, webgpuSkipReason } from './helpers/webgpu.js';
import { rand } from './helpers/random.js';

const skip = await webgpuSkipReason();
const skipParity = skip || (fixturesAvailable() ? false : 'reference fixtures not found (../shared/fixtures/reference)');

/**
 * Dispatches `fn` records on webgpu (the Winograd path: weights, input, GEMM, output = 4); `ran`, if given,
 * gets the programs it ran (runWebGPUProgram wrapped meanwhile).
 */
async function dispatchesOf(fn: Fn, ins: Record<string, Data>, ran?: RanProgram[]): Promise<number> {
  await tf.setBackend('webgpu');
  const stats = (tf.backend() as unknown as { cgRunner?: { dispatches: number } }).cgRunner;
  assert.ok(stats, 'the webgpu backend runs our dispatch path');
  const spy = ran ? spyPrograms() : null;
  const ts = Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  try {
    const d0 = stats.dispatches;
    const y = fn(ts);
    const n = stats.dispatches - d0;
    tf.dispose([y, ...Object.values(ts)].flat());
    return n;
  } finally {
    if (spy) {
      spy.restore();
      ran!.push(...spy.ran);
    }
  }
}

test('the Winograd switch: off by default, on through setConvTuning; which convolutions take it', () => {
  const info = (x: number[], f: number[], s: number, p: number | 'valid') => tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number], f as [number, number, number, number], s, 1, p);
  const block = info([1, 9, 8, 12], [3, 3, 12, 20], 1, 1);
  try {
    setConvTuning(null);
    if (!process.env.CYCLEGAN_WEBGPU_WINOGRAD) assert.equal(winogradTile(), 0, 'off by default');
    setConvTuning({ winograd: false });
    assert.equal(winogradPlan('fwd', block), null);
    // any tuning is explicit: a forced split (or tile config) alone runs without Winograd, whatever the environment
    setConvTuning({ splits: 2 });
    assert.equal(winogradTile(), 0);
    setConvTuning({ winograd: true });
    assert.equal(winogradTile(), 2);
    assert.ok(winogradPlan('fwd', block) && winogradPlan('dgrad', block) && winogradPlan('wgrad', block));
    assert.equal(winogradPlan('fwd', block)!.algo.m, 2);
    setConvTuning({ winograd: 4 });
    assert.equal(winogradPlan('dgrad', block)!.algo.m, 4);
    assert.equal(winogradPlan('wgrad', block)!.algo.m, 4);
    // the filter gradient's tile reduction (splitReduction): 9×8 pixels are 20 F(2×2) tiles, too few to split;
    // a forced split is at most one 16-tile step a slice (2 slices, the last 4 tiles), and final
    setConvTuning({ winograd: 2 });
    assert.equal(winogradPlan('wgrad', block)!.splits, 1);
    setConvTuning({ winograd: 2, splits: 100 });
    const forced = winogradPlan('wgrad', block)!;
    assert.deepEqual([forced.splits, forced.kChunk], [2, 16]);
    assert.equal(winogradPlan('wgrad', info([1, 9, 8, 4], [3, 3, 4, 8], 2, 1)), null, 'stride-2 filter gradient');
    assert.equal(winogradPlan('wgrad', info([1, 9, 8, 3], [3, 3, 3, 8], 1, 1)), null, '3-channel filter gradient');
    assert.equal(winogradPlan('fwd', info([1, 9, 8, 4], [3, 3, 4, 8], 2, 1)), null, 'stride 2');
    assert.equal(winogradPlan('fwd', info([1, 9, 8, 4], [4, 4, 4, 8], 1, 1)), null, '4×4');
    assert.equal(winogradPlan('fwd', info([1, 9, 8, 3], [3, 3, 3, 8], 1, 1)), null, '3 channels');
    assert.equal(winogradPlan('dgrad', info([1, 9, 8, 8], [3, 3, 8, 6], 1, 'valid')), null, '6 channels');
  } finally {
    setConvTuning(null);
  }
});

// [N, H, W, Cin, Cout]: H, W odd and even; the last is one tile row, its second column tile partial.
const SHAPES: Array<[number, number, number, number, number]> = [
  [1, 7, 10, 4, 8], [2, 6, 9, 8, 12], [1, 11, 5, 12, 20], [2, 5, 5, 20, 4], [1, 2, 3, 8, 4],
];

// F(4×4, 3×3) on the shapes whose sizes leave partial 4×4 tiles in both directions, and the one-tile case.
const CASES = [...SHAPES.map((s) => [2, s] as const), ...[SHAPES[0], SHAPES[2], SHAPES[3], SHAPES[4]].map((s) => [4, s] as const)];

for (const [m, [n, h, w, ci, co]] of CASES) {
  const name = `winograd F${m} ${n}x${h}x${w}x${ci}→${co}`;
  test(`${name}: reflect and zero padded forward with bias and activations, input gradients`, { skip }, async () => {
    const ins = inputs({ x: [n, h, w, ci], w: [3, 3, ci, co], b: [co], dy: [n, h, w, co], dyv: [n, h + 2, w + 2, co] }, 3 + h);
    // CGReflectConv2D's activations are linear and tanh (the generator's last layer); the zero-padded
    // FusedConv2D's relu and leakyrelu (slope 0.2, a uniform)
    const reflect = (act: 'linear' | 'tanh') => (t: Record<string, tf.Tensor>) =>
      tf.getBackend() === 'webgpu'
        ? runCGKernel(CGReflectConv2D, { x: t.x, filter: t.w, bias: t.b }, { pad: 1, stride: 1, activation: act })
        : ((y: tf.Tensor) => (act === 'tanh' ? tf.tanh(y) : y))(
          tf.add(tf.conv2d(reflectPad(t.x as tf.Tensor4D, 1), t.w as tf.Tensor4D, 1, 'valid'), t.b));
    const fused = (act: 'relu' | 'leakyrelu') => (t: Record<string, tf.Tensor>) => tf.fused.conv2d({ x: t.x as tf.Tensor4D,
      filter: t.w as tf.Tensor4D, strides: 1, pad: 1, bias: t.b, activation: act, leakyreluAlpha: 0.2 });
    // dx of the 'same' conv (pad 1) and of the valid one on a padded input (the reflected conv's backward pass)
    const dgrad = (pad: 1 | 'valid', dy: string) => (t: Record<string, tf.Tensor>) => {
      const xShape: [number, number, number, number] = pad === 1 ? [n, h, w, ci] : [n, h + 4, w + 4, ci];
      return runKernel<tf.Tensor>('Conv2DBackpropInput', { dy: t[dy], filter: t.w },
        { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: xShape });
    };
    setConvTuning({ winograd: m });
    try {
      assert.equal(await dispatchesOf(reflect('tanh'), ins), 4, 'CGReflectConv2D on the Winograd path');
      assert.equal(await dispatchesOf(fused('relu'), ins), 4, 'FusedConv2D on the Winograd path');
      assert.equal(await dispatchesOf(dgrad(1, 'dy'), ins), 4, 'Conv2DBackpropInput on the Winograd path');
      await check(`${name} reflect+bias`, reflect('linear'), ins);
      // |tanh(a) − tanh(b)| ≤ |a − b|: the conv's tolerance (of its largest output z) in tanh's units, whose
      // largest output is tanh(max |z|) (as webgpu_kernels.test.ts checks the fused tanh)
      const z = (await runOn('cpu', (t) => tf.max(tf.abs(reflect('linear')(t))), ins))[0].data[0];
      await check(`${name} reflect+bias+tanh`, reflect('tanh'), ins, 1e-5 * z / Math.tanh(z));
      await check(`${name} zero+bias+relu`, fused('relu'), ins);
      await check(`${name} zero+bias+leakyrelu`, fused('leakyrelu'), ins);
      await check(`${name} dx same`, dgrad(1, 'dy'), ins);
      await check(`${name} dx valid`, dgrad('valid', 'dyv'), ins);
    } finally {
      setConvTuning(null);
    }
  });
}

// The filter gradient (runWinogradFilter): CGReflectConv2DBackpropFilter (x read through the reflection) and the
// zero-padded Conv2DBackpropFilter, on the same shapes and one with more tiles (2×13×17: 126 2×2 tiles, 40 4×4
// ones); its tile reduction unsplit (these shapes have too few tiles for the rule to split) and forced to 3 slices
// (each at least one 16-deep step of the GEMM: 2 slices on the shapes with 17 to 32 tiles, 3 on the last one, 1
// below), summed in the weight pass. Tolerance: check's 1e-5 of max |dW| as above. The reduction runs over every
// tile of the batch (here up to 126, the direct kernel's over up to 442 pixels); F(4×4)'s transforms scale dy by
// up to 8·8 and x by up to 5·5 before Gᵀ·G's 1/24s cancel them: where the rounding shows (the last test prints it).
const WGRAD_CASES = [...CASES, [2, [2, 13, 17, 8, 8]] as const, [4, [2, 13, 17, 8, 8]] as const];
for (const [m, [n, h, w, ci, co]] of WGRAD_CASES) {
  const name = `winograd F${m} ${n}x${h}x${w}x${ci}→${co}`;
  test(`${name}: filter gradients, reflect and zero padded, split and not`, { skip }, async () => {
    const { backendHasKernel } = await import('../src/core/ops/kernels.js');
    const { CGReflectConv2DBackpropFilter } = await import('../src/core/ops/kernel_names.js');
    const ins = inputs({ x: [n, h, w, ci], dy: [n, h, w, co] }, 5 + w);
    const filterShape = [3, 3, ci, co];
    const reflect = (t: Record<string, tf.Tensor>) => backendHasKernel(CGReflectConv2DBackpropFilter)
      ? runCGKernel(CGReflectConv2DBackpropFilter, { x: t.x, dy: t.dy }, { pad: 1, stride: 1, filterShape })
      : runKernel<tf.Tensor>('Conv2DBackpropFilter', { x: reflectPad(t.x as tf.Tensor4D, 1), dy: t.dy },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape });
    const zero = (t: Record<string, tf.Tensor>) => runKernel<tf.Tensor>('Conv2DBackpropFilter', { x: t.x, dy: t.dy },
      { strides: [1, 1], pad: 1, dataFormat: 'NHWC', filterShape });
    try {
      for (const splits of [undefined, 3]) {
        setConvTuning({ winograd: m, splits });
        const tag = splits ? ' split' : '';
        const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
        const slices = splits ? Math.min(3, Math.ceil(tiles / 16)) : 1;
        // the GEMM that ran: one workgroup layer per (position, slice), its partial products [n², slices, ci, co]
        for (const [what, fn] of [['CGReflectConv2DBackpropFilter', reflect], ['Conv2DBackpropFilter', zero]] as const) {
          const ran: RanProgram[] = [];
          assert.equal(await dispatchesOf(fn, ins, ran), 4, `${what} on the Winograd path`);
          const gemm = ran.filter((p) => p.shaderKey.startsWith('cgConvTiled_wgradBatched'));
          assert.equal(gemm.length, 1, `${what}: one batched GEMM (${ran.map((p) => p.shaderKey).join(', ')})`);
          assert.equal(gemm[0].dispatch[2], (m + 2) ** 2 * slices, `${what}: the GEMM's workgroups along z`);
          assert.deepEqual(gemm[0].outputShape, [(m + 2) ** 2, slices, ci, co], `${what}: the GEMM's partial products`);
        }
        await check(`${name} dW reflect${tag}`, reflect, ins);
        await check(`${name} dW zero${tag}`, zero, ins);
      }
    } finally {
      setConvTuning(null);
    }
  });
}

// The input gradient with a bias (CGConvTranspose2D: a stride-1 3×3 transposed convolution, bias in the output pass).
test('stride-1 3×3 transposed convolution with its bias on the Winograd path', { skip }, async () => {
  const { convTranspose2d } = await import('../src/core/ops/nn.js');
  for (const m of [2, 4] as const) {
    const ins = inputs({ x: [2, 7, 6, 8], w: [3, 3, 12, 8], b: [12] }, 31);
    const f = (t: Record<string, tf.Tensor>) => convTranspose2d(t.x as tf.Tensor4D, t.w as tf.Tensor4D, t.b as tf.Tensor1D, 1, 1, 0);
    setConvTuning({ winograd: m });
    try {
      assert.equal(await dispatchesOf(f, ins), 4, 'one Winograd convolution with the bias in its output pass');
      await check(`winograd F${m} convT 2x7x6x8→12 s1 p1 + bias`, f, ins);
    } finally {
      setConvTuning(null);
    }
  }
});

test('generator and training-step parity with Winograd on', { skip: skipParity }, async (t) => {
  const { initBackend } = await import('../src/backends/index.js');
  assert.equal(await initBackend('webgpu'), 'webgpu');
  // The programs each fixture runs, by base key, to show that its 3×3 convolutions took the Winograd path.
  const spy = spyPrograms();
  const seen = spy.keys;
  // forward (reflected), input gradient (zero padded, flipped weights), filter gradient (its dy and weight passes)
  const passes = (m: number) => [`cgWinograd${m}InputReflect`, `cgWinograd${m}Input`, `cgWinograd${m}WeightsFlip`,
    `cgWinograd${m}Grad`, `cgWinograd${m}WeightGrad`];
  const winograd = (m: number) => passes(m).filter((k) => seen.has(k));
  try {
    for (const m of [2, 4] as const) {
      setConvTuning({ winograd: m });
      seen.clear();
      await t.test(`resnet_6blocks_ngf8 (webgpu, winograd F${m})`, () => checkFixture('resnet_6blocks_ngf8'));
      assert.deepEqual(winograd(m), passes(m));
      seen.clear();
      await t.test(`cyclegan_lsgan_2steps (webgpu, winograd F${m})`, () => runFixture('cyclegan_lsgan_2steps'));
      assert.deepEqual(winograd(m), passes(m));
    }
  } finally {
    setConvTuning(null);
    spy.restore();
  }
});

test('replayed inference forward (replay.ts) with Winograd on equals Network.apply', { skip }, async () => {
  const { createNetwork, inferenceForward } = await import('../src/core/networks/index.js');
  const { replayEnabled, replayStatus, setReplayEnabled } = await import('../src/backends/webgpu/replay.js');
  await tf.setBackend('webgpu');
  const wasEnabled = replayEnabled();
  setReplayEnabled(true);
  setConvTuning({ winograd: true });
  const net = createNetwork({ role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance',
    useDropout: false }, { type: 'normal', gain: 0.02, seed: 3 });
  try {
    for (let i = 0; i < 4; i++) {
      const x = tf.tensor4d(rand(32 * 32 * 3, 20 + i), [1, 32, 32, 3]);
      const w = tf.tidy(() => net.apply(x));
      const want = await w.data();
      w.dispose();
      const g = tf.tidy(() => inferenceForward(net, x));
      const got = await g.data();
      g.dispose();
      x.dispose();
      let d = 0;
      for (let j = 0; j < got.length; j++) d = Math.max(d, Math.abs(got[j] - want[j]));
      assert.ok(d <= 1e-6, `input ${i}: max difference ${d}`);
    }
    // warm-up, capture, then two replays of the plan that holds the Winograd passes' dispatches
    assert.equal(replayStatus(net)['1x32x32x3'], 'replaying (2)');
  } finally {
    setConvTuning(null);
    setReplayEnabled(wasEnabled);
    net.dispose();
  }
});

// The captured, replayed training step (replay.ts, phases.ts) holds the Winograd passes' dispatches like any
// other: with F(2×2) on, three steps (warm-up, capture, replay) replayed and not give bit-identical losses and
// weights, and the filter gradient's passes ran.
test('replayed training step with Winograd on equals the eager one', { skip }, async () => {
  const { CycleGANModel, defaultCycleGANOptions, disposeLosses, LOSS_NAMES, readLosses } = await import('../src/core/model.js');
  const { setStepReplayEnabled, stepReplayStatus } = await import('../src/backends/webgpu/replay.js');
  await tf.setBackend('webgpu');
  const spy = spyPrograms();
  const seen = spy.keys;
  const train = async (replay: boolean) => {
    setStepReplayEnabled(replay);
    const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: 4, ndf: 4, netG: 'resnet_6blocks', poolSize: 2,
      seed: 5 });
    try {
      const losses: number[][] = [];
      for (let i = 0; i < 3; i++) {
        const a = tf.tensor4d(rand(32 * 32 * 3, 100 + i), [1, 32, 32, 3]);
        const b = tf.tensor4d(rand(32 * 32 * 3, 200 + i), [1, 32, 32, 3]);
        const l = model.step(a, b);
        tf.dispose([a, b]);
        const v = await readLosses(l);
        disposeLosses(l);
        losses.push(LOSS_NAMES.map((n) => v[n]));
      }
      const weights: number[] = [];
      for (const net of Object.values(model.nets)) for (const w of net.params.values()) weights.push(...await w.data() as Float32Array);
      return { losses, weights, status: stepReplayStatus(model) };
    } finally {
      model.dispose();
    }
  };
  setConvTuning({ winograd: true });
  try {
    const want = await train(false);
    seen.clear();
    const got = await train(true);
    assert.ok(seen.has('cgWinograd2Grad') && seen.has('cgWinograd2WeightGrad'), 'the filter gradient took the Winograd path');
    assert.deepEqual(Object.values(got.status), ['replaying (1)', 'replaying (1)'], JSON.stringify(got.status));
    assert.deepEqual(got.losses, want.losses, 'losses');
    assert.ok(got.weights.length === want.weights.length && got.weights.every((v, i) => Object.is(v, want.weights[i])), 'weights');
  } finally {
    setConvTuning(null);
    setStepReplayEnabled(true);
    spy.restore();
  }
});

test('winograd errors (relative to max |cpu|)', { skip }, () => {
  for (const [k, v] of Object.entries(errors)) console.log(`  ${k}: ${v.toExponential(2)}`);
});
