// Our WGSL kernels on the webgpu backend against tfjs-cpu on odd shapes: stride 1 and 2, 3×3 / 4×4 / 7×7,
// transposed convolutions, 1- and 3-channel layers, batch 1 and 2, sizes that are not multiples of the
// 64×64 tile, wgrad with and without the split reduction. Runs on lavapipe in CI (see helpers/webgpu.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { convTranspose2d, instanceNorm, reflectPad, type Activation } from '../src/core/ops/nn.js';
import { Adam } from '../src/core/optim.js';
import { backendHasKernel, runCGKernel } from '../src/core/ops/kernels.js';
import { CGInstanceNormAdd, CGMirrorPadGrad } from '../src/core/ops/kernel_names.js';
import { beginCapture, endCapture } from '../src/backends/webgpu/runner.js';
import { check, errors, inputs, runOn, webgpuSkipReason } from './helpers/webgpu.js';

const skip = await webgpuSkipReason();

// [N, H, W, Cin, Cout, k, stride, pad]
const CONVS: Array<[number, number, number, number, number, number, number, number]> = [
  [1, 9, 9, 3, 5, 3, 1, 1],       // 3-channel input, 3×3
  [2, 10, 7, 4, 6, 3, 2, 1],      // batch 2, stride 2, odd width
  [1, 13, 11, 3, 8, 7, 1, 0],     // 7×7 valid (the ResNet stem after reflection padding)
  [2, 16, 16, 8, 1, 4, 2, 1],     // PatchGAN 4×4 stride 2, one output channel
  [1, 8, 9, 5, 1, 4, 1, 1],       // PatchGAN's last 4×4 stride-1 layer
  [1, 33, 35, 70, 66, 3, 1, 1],   // M, N, K all past one 64×64×16 tile, none a multiple
  [2, 21, 19, 1, 9, 3, 2, 0],     // 1-channel input, stride 2 valid
  [1, 6, 5, 96, 80, 4, 1, 1],     // few pixels, long reduction: every pass takes the split-K path
  [1, 7, 6, 3, 4, 1, 2, 0],       // 1×1 stride 2: dgrad classes that no tap reaches must come out zero
  // Channels multiples of 4: the register-tiled vec4 path (conv_tiled.ts) for every pass
  [1, 9, 11, 16, 32, 3, 1, 1],    // 16-deep slices, stride-1 dgrad as a convolution with flipped taps
  [2, 13, 10, 8, 12, 3, 2, 1],    // 8-deep slices, stride 2, batch 2 (dgrad: 4-deep, one residue class a pass)
  [1, 12, 13, 4, 8, 7, 1, 3],     // 7×7, 4 channels (4-deep slices)
  [2, 17, 15, 32, 16, 4, 2, 1],   // 4×4 stride 2, odd sizes, batch 2
  [1, 5, 6, 64, 68, 4, 1, 1],     // few pixels, long reductions: split over K for fwd and dgrad
  // 1 to 4 channels on the GEMM's N side with ≥ 4096 pixels: the narrow kernels (conv_narrow.ts)
  [1, 64, 66, 8, 3, 7, 1, 3],     // the generator's last layer (fwd, wgrad narrow)
  [2, 48, 45, 3, 8, 7, 1, 3],     // its first layer, batch 2 (dgrad narrow)
  [1, 70, 60, 4, 1, 4, 1, 1],     // one output channel
  [2, 100, 90, 4, 2, 3, 2, 1],    // stride 2, batch 2 (fwd and wgrad narrow)
];

const conv = (c: typeof CONVS[number]) => (t: Record<string, tf.Tensor>) =>
  tf.conv2d(t.x as tf.Tensor4D, t.w as tf.Tensor4D, c[6], c[7] === 0 ? 'valid' : c[7]);

for (const c of CONVS) {
  const [n, h, w, ci, co, k, s, p] = c;
  const name = `conv ${n}x${h}x${w}x${ci}→${co} k${k} s${s} p${p}`;
  const ins = () => inputs({ x: [n, h, w, ci], w: [k, k, ci, co], b: [co], dy: [n, Math.floor((h + 2 * p - k) / s) + 1,
    Math.floor((w + 2 * p - k) / s) + 1, co] });
  test(`${name}: forward, fused bias+activation, input and filter gradients`, { skip }, async () => {
    await check(`${name} fwd`, conv(c), ins());
    for (const activation of ['linear', 'relu', 'leakyrelu'] as const) {
      await check(`${name} fused ${activation}`, (t) => tf.fused.conv2d({ x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D,
        strides: s, pad: p === 0 ? 'valid' : p, bias: t.b, activation, leakyreluAlpha: 0.2 }), ins());
    }
    await check(`${name} grads`, (t) => {
      const g = tf.grads((x: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.mul(conv(c)({ x, w: wt }), t.dy)));
      return g([t.x, t.w]);
    }, ins());
  });
}

// PyTorch ConvTranspose2d alignment (src/core/ops/nn.ts): the ResNet upsampling layers are k3 s2 p1 op1.
const TRANSPOSED: Array<[number, number, number, number, number, number, number, number, number]> = [
  [1, 5, 7, 8, 4, 3, 2, 1, 1],
  [2, 9, 6, 3, 3, 3, 2, 1, 1],
  [1, 4, 4, 70, 66, 4, 2, 1, 0],
  [1, 6, 5, 2, 1, 3, 1, 1, 0],
  [2, 7, 5, 16, 8, 3, 2, 1, 1],   // the ResNet up-convolution shape on the tiled path
];
for (const [n, h, w, ci, co, k, s, p, op] of TRANSPOSED) {
  const name = `convT ${n}x${h}x${w}x${ci}→${co} k${k} s${s} p${p} op${op}`;
  test(`${name}: forward and gradients`, { skip }, async () => {
    const oh = (h - 1) * s - 2 * p + k + op, ow = (w - 1) * s - 2 * p + k + op;
    const ins = inputs({ x: [n, h, w, ci], w: [k, k, co, ci], b: [co], dy: [n, oh, ow, co] }, 7);
    const f = (x: tf.Tensor, wt: tf.Tensor, b: tf.Tensor) =>
      convTranspose2d(x as tf.Tensor4D, wt as tf.Tensor4D, b as tf.Tensor1D, s, p, op);
    await check(`${name} fwd`, (t) => f(t.x, t.w, t.b), ins);
    if (ci % 4 === 0 && co % 4 === 0 && op <= p) {
      // The tiled path: the bias in the transposed convolution's own pass (CGConvTranspose2D), one dispatch.
      await tf.setBackend('webgpu');
      const stats = (tf.backend() as unknown as { cgRunner?: { dispatches: number } }).cgRunner;
      assert.ok(stats, 'the webgpu backend runs our dispatch path');
      const ts = Object.values(ins).map((v) => tf.tensor(v.data, v.shape));
      const d0 = stats.dispatches;
      const y = f(ts[0], ts[1], ts[2]);
      assert.equal(stats.dispatches - d0, 1, `${name}: dispatches of one transposed conv with its bias`);
      tf.dispose([y, ...ts]);
    }
    await check(`${name} grads`, (t) => tf.grads((x: tf.Tensor, wt: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(x, wt, b), t.dy)))([t.x, t.w, t.b]), ins);
  });
}

test('split-K choice: deep layers with few pixels and long reductions split, small ones do not', () => {
  // No GPU needed: this only pins down which of the cases above take the split path.
  return import('../src/backends/webgpu/conv_gemm.js').then(({ gemmSplits, tileN }) => {
    // The cases above cover both tile widths: 16 columns up to 16 output channels, 64 above.
    assert.deepEqual([1, 3, 9, 16, 17, 66].map(tileN), [16, 16, 16, 16, 64, 64]);
    assert.ok(gemmSplits(5 * 4, 80, 4 * 4 * 96).splits > 1, 'fwd of the 6x5x96→80 case splits');
    assert.ok(gemmSplits(6 * 5, 96, 4 * 4 * 80).splits > 1, 'dgrad of the 6x5x96→80 case splits');
    assert.ok(gemmSplits(33 * 35, 66, 9 * 70).splits > 1, 'fwd of the 33x35x70→66 case splits');
    assert.equal(gemmSplits(13 * 11, 8, 7 * 7 * 3).splits, 1, 'the 7×7 stem case does not');
  });
});

// Every tile configuration the shape rule or the sweep can pick, forced in turn (setConvTuning), each pass with
// and without a split reduction, on shapes that are not multiples of any block.
test('tiled conv configurations: forward, input and filter gradients against cpu', { skip }, async () => {
  const { setConvTuning, TILE_CONFIGS, tiledPlan } = await import('../src/backends/webgpu/conv_gemm.js');
  const { configName } = await import('../src/backends/webgpu/conv_tiled.js');
  const cases: Array<[number[], number[], number, number]> = [
    [[2, 11, 9, 16, 48], [3, 3], 1, 1], [[1, 10, 13, 32, 16], [3, 3], 2, 1]];
  try {
    for (const cfg of TILE_CONFIGS) {
      for (const splits of [1, 3]) {
        setConvTuning({ cfg, splits });
        for (const [[n, h, w, ci, co], [k], s, p] of cases) {
          const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], s, 1, p);
          assert.ok(tiledPlan('fwd', info) && tiledPlan('dgrad', info) && tiledPlan('wgrad', info), 'tiled path');
          assert.equal(tiledPlan('dgrad', info)!.phased, s > 1);
          const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
          const ins = inputs({ x: [n, h, w, ci], w: [k, k, ci, co], b: [co], dy: [n, oh, ow, co] }, 17);
          const name = `tiled ${configName(cfg)} split ${splits} ${n}x${h}x${w}x${ci}→${co} s${s}`;
          await check(`${name} fused relu`, (t) => tf.fused.conv2d({ x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D,
            strides: s, pad: p, bias: t.b, activation: 'relu' }), ins);
          await check(`${name} grads`, (t) => tf.grads((x: tf.Tensor, wt: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, s, p), t.dy)))([t.x, t.w]), ins);
        }
      }
    }
  } finally {
    setConvTuning(null);
  }
});

// Reflection padding folded into the convolution (the ResNet's pad + conv pairs): CGReflectConv2D and its filter
// gradient on webgpu against pad-then-convolve on cpu; tiled (channels % 4) and padded-fallback (3 channels) cases.
test('CGReflectConv2D and CGReflectConv2DBackpropFilter: pad + valid conv without the padded copy', { skip }, async () => {
  const { CGReflectConv2D, CGReflectConv2DBackpropFilter } = await import('../src/core/ops/kernel_names.js');
  const { backendHasKernel, runCGKernel, runKernel } = await import('../src/core/ops/kernels.js');
  const { foldsReflectPad } = await import('../src/core/networks/network.js');
  await tf.setBackend('webgpu');
  assert.ok(backendHasKernel(CGReflectConv2D) && backendHasKernel(CGReflectConv2DBackpropFilter), 'webgpu has both kernels');
  assert.ok(foldsReflectPad({ op: 'conv2d', key: 'k', inC: 4, outC: 4, k: 3, stride: 1, pad: 0, bias: true }),
    'the reverse pass folds on webgpu');
  // [N, H, W, Cin, Cout, k, stride, reflection pad]: tiled (channels % 4), generic (3 → 8 stem, small 8 → 3),
  // narrow (8 → 3 with ≥ 4096 output pixels, the generator's last layer)
  const { narrowPlan } = await import('../src/backends/webgpu/conv_gemm.js');
  const { reflectConvInfo } = await import('../src/backends/webgpu/kernels/CGReflectConv2D.js');
  const shapes = [[2, 9, 11, 16, 32, 3, 1, 1], [1, 12, 10, 8, 12, 3, 2, 1], [1, 5, 6, 32, 16, 3, 1, 2],
    [1, 13, 11, 3, 8, 7, 1, 3], [1, 12, 14, 8, 3, 7, 1, 3], [1, 64, 66, 8, 3, 7, 1, 3]];
  assert.ok(narrowPlan('fwd', reflectConvInfo({ shape: [1, 64, 66, 8] } as never, [7, 7, 8, 3], 1, 3)), 'a narrow case');
  for (const [n, h, w, ci, co, k, s, p] of shapes) {
    const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
    const ins = inputs({ x: [n, h, w, ci], w: [k, k, ci, co], b: [co], dy: [n, oh, ow, co] }, 19);
    const name = `reflectConv ${n}x${h}x${w}x${ci}→${co} k${k} s${s} p${p}`;
    await check(`${name} fwd+bias`, (t) => backendHasKernel(CGReflectConv2D)
      ? runCGKernel(CGReflectConv2D, { x: t.x, filter: t.w, bias: t.b }, { pad: p, stride: s, activation: 'linear' })
      : conv2dValid(reflectPad(t.x as tf.Tensor4D, p), t.w, s, t.b), ins);
    await check(`${name} fwd`, (t) => backendHasKernel(CGReflectConv2D)
      ? runCGKernel(CGReflectConv2D, { x: t.x, filter: t.w }, { pad: p, stride: s, activation: 'linear' })
      : conv2dValid(reflectPad(t.x as tf.Tensor4D, p), t.w, s), ins);
    // One dispatch each, 3-channel sides included (no MirrorPad copy first, no separate Tanh).
    await tf.setBackend('webgpu');
    const stats = (tf.backend() as unknown as { cgRunner?: { dispatches: number } }).cgRunner;
    assert.ok(stats, 'the webgpu backend runs our dispatch path');
    const ts = Object.fromEntries(Object.entries(ins).map(([key, v]) => [key, tf.tensor(v.data, v.shape)]));
    const d0 = stats.dispatches;
    const y = runCGKernel(CGReflectConv2D, { x: ts.x, filter: ts.w, bias: ts.b }, { pad: p, stride: s, activation: 'tanh' });
    assert.equal(stats.dispatches - d0, 1, `${name}: dispatches of one fused pad + conv + tanh`);
    // The filter gradient: the dispatches of the plain one on an already padded x (its pass and any split's
    // reduction), none for padding.
    const padded = reflectPad(ts.x as tf.Tensor4D, p);
    const d1 = stats.dispatches;
    const plain = runKernel('Conv2DBackpropFilter', { x: padded, dy: ts.dy },
      { strides: [s, s], pad: 'valid', dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as tf.Tensor;
    const d2 = stats.dispatches;
    const folded = runCGKernel(CGReflectConv2DBackpropFilter, { x: ts.x, dy: ts.dy }, { pad: p, stride: s, filterShape: [k, k, ci, co] });
    assert.equal(stats.dispatches - d2, d2 - d1, `${name}: dispatches of the folded filter gradient`);
    tf.dispose([y, padded, plain, folded, ...Object.values(ts)]);
    // ×4 so that tanh's saturated range is reached too. |tanh(a) − tanh(b)| ≤ |a − b|: the conv's own tolerance
    // (1e-5 of its largest output z) in tanh's units, whose largest output is tanh(max |z|).
    const zMax = await runOn('cpu', (t) => tf.max(tf.abs(conv2dValid(reflectPad(tf.mul(t.x, 4) as tf.Tensor4D, p), t.w, s, t.b))), ins);
    const z = zMax[0].data[0];
    await check(`${name} fwd+bias+tanh`, (t) => backendHasKernel(CGReflectConv2D)
      ? runCGKernel(CGReflectConv2D, { x: tf.mul(t.x, 4), filter: t.w, bias: t.b }, { pad: p, stride: s, activation: 'tanh' })
      : tf.tanh(conv2dValid(reflectPad(tf.mul(t.x, 4) as tf.Tensor4D, p), t.w, s, t.b)), ins, 1e-5 * z / Math.tanh(z));
    await check(`${name} wgrad`, (t) => backendHasKernel(CGReflectConv2DBackpropFilter)
      ? runCGKernel(CGReflectConv2DBackpropFilter, { x: t.x, dy: t.dy }, { pad: p, stride: s, filterShape: [k, k, ci, co] })
      : runKernel('Conv2DBackpropFilter', { x: reflectPad(t.x as tf.Tensor4D, p), dy: t.dy },
        { strides: [s, s], pad: 'valid', dataFormat: 'NHWC', filterShape: [k, k, ci, co] }), ins);
  }
});

function conv2dValid(x: tf.Tensor4D, w: tf.Tensor, s: number, b?: tf.Tensor): tf.Tensor {
  const y = tf.conv2d(x, w as tf.Tensor4D, s, 'valid');
  return b ? tf.add(y, b) : y;
}

test('narrow path: which passes take it', async () => {
  const { narrowPlan } = await import('../src/backends/webgpu/conv_gemm.js');
  const info = (x: number[], f: number[], s: number, p: number) => tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number], f as [number, number, number, number], s, 1, p);
  const last = info([1, 64, 66, 8], [7, 7, 8, 3], 1, 3), first = info([2, 48, 45, 3], [7, 7, 3, 8], 1, 3);
  assert.deepEqual(['fwd', 'dgrad', 'wgrad'].map((m) => narrowPlan(m as 'fwd', last)), [true, false, true]);
  assert.deepEqual(['fwd', 'dgrad', 'wgrad'].map((m) => narrowPlan(m as 'fwd', first)), [false, true, false]);
  assert.equal(narrowPlan('fwd', info([1, 20, 20, 8], [3, 3, 8, 3], 1, 1)), false, 'too few pixels');
  assert.equal(narrowPlan('dgrad', info([2, 100, 90, 3], [3, 3, 3, 4], 2, 1)), false, 'strided dgrad');
});

test('tiled conv shape rule: every pick is a valid configuration whose slices divide the channels', async () => {
  const { chooseTile, TILE_CONFIGS } = await import('../src/backends/webgpu/conv_gemm.js');
  const { validConfig, configName } = await import('../src/backends/webgpu/conv_tiled.js');
  for (const c of TILE_CONFIGS) assert.ok(validConfig(c), JSON.stringify(c));
  for (const [mode, M, N, C] of [['fwd', 4096, 256, 256], ['dgrad', 4096, 256, 256], ['wgrad', 2304, 256, 0],
    ['fwd', 65536, 64, 64], ['fwd', 20, 12, 4], ['dgrad', 16384, 128, 256], ['fwd', 300, 40, 24]] as const) {
    const c = chooseTile(mode, M, N, C);
    assert.ok(c && validConfig(c), `${mode} ${M}x${N} C${C}`);
    if (mode !== 'wgrad') assert.equal(C % c!.TK, 0);
  }
  assert.equal(chooseTile('fwd', 100, 8, 6), null, 'channels not a multiple of 4: the generic kernel');
  // The ResNet block's 3×3 256→256 layers at 64×64 take the Run 5 sweep's picks; smaller ones keep the old ones.
  const name = (c: ReturnType<typeof chooseTile>) => (c ? configName(c) : 'none');
  assert.equal(name(chooseTile('dgrad', 66 * 66, 256, 256)), '64x64x8/8x8p');
  assert.equal(name(chooseTile('dgrad', 34 * 34, 256, 256)), '64x32x16/4x4p');
  assert.equal(name(chooseTile('wgrad', 9 * 256, 256, 64 * 64)), '64x128x16/8x8p');
  assert.equal(name(chooseTile('wgrad', 9 * 256, 256, 32 * 32)), '64x64x16/4x4');
  assert.equal(name(chooseTile('wgrad', 9 * 64, 64, 64 * 64)), '64x64x16/4x4');
  assert.equal(name(chooseTile('fwd', 64 * 64, 256, 256)), '128x64x16/8x4p');
  // ... with the split counts that sweep measured: dgrad 4, wgrad 16 (over the usual partial-product cap).
  const { tiledSplits } = await import('../src/backends/webgpu/conv_gemm.js');
  assert.equal(tiledSplits('dgrad', chooseTile('dgrad', 66 * 66, 256, 256)!, 66 * 66, 256, 9 * 256).splits, 4);
  assert.equal(tiledSplits('wgrad', chooseTile('wgrad', 9 * 256, 256, 64 * 64)!, 9 * 256, 256, 64 * 64).splits, 16);
  assert.equal(tiledSplits('wgrad', chooseTile('wgrad', 9 * 256, 256, 32 * 32)!, 9 * 256, 256, 32 * 32).splits, 4);
});

test('instance norm is cut into pixel chunks where (image, 16-channel) groups are too few', async () => {
  const { pixelChunks } = await import('../src/backends/webgpu/instance_norm.js');
  assert.ok(pixelChunks(1, 61 * 67, 5).chunks > 1);
  assert.ok(pixelChunks(2, 40 * 37, 33).chunks > 1);
  assert.equal(pixelChunks(2, 7 * 9, 20).chunks, 1);
  assert.ok(pixelChunks(1, 256 * 256, 64).chunks >= 64, 'the 256-px first layer gets at least 64 chunks per group');
});

test('strided input gradients run one residue class at a time', async () => {
  const { dgradPhases } = await import('../src/backends/webgpu/conv_gemm.js');
  const info = (x: number[], f: number[], s: number, p: number) => tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number], f as [number, number, number, number], s, 1, p);
  const k3 = dgradPhases(info([2, 10, 7, 4], [3, 3, 4, 6], 2, 1));
  assert.equal(k3?.length, 4);
  // 3×3 stride 2: the classes get 2×2, 2×1, 1×2 and 1×1 taps, 9 in all (each tap reaches one class)
  assert.deepEqual(k3!.map((p) => p.tapsH * p.tapsW).reduce((a, b) => a + b, 0), 9);
  const k1 = dgradPhases(info([1, 7, 6, 3], [1, 1, 3, 4], 2, 0));
  assert.equal(k1!.filter((p) => p.tapsH * p.tapsW === 0).length, 3, '1×1 stride 2: three classes get no tap');
  assert.equal(dgradPhases(info([1, 9, 9, 3], [3, 3, 3, 5], 1, 1)), null, 'stride 1 keeps the plain GEMM');
});

test('filter gradient with the split pixel reduction (batch 2, 64×64 output pixels)', { skip }, async () => {
  const { gemmSplits } = await import('../src/backends/webgpu/conv_gemm.js');
  assert.ok(gemmSplits(3 * 3 * 16, 16, 2 * 64 * 64).splits > 1, 'this case must exercise the split');
  assert.equal(gemmSplits(3 * 3 * 3, 5, 81).splits, 1, 'small cases run unsplit');
  const ins = inputs({ x: [2, 64, 64, 16], w: [3, 3, 16, 16], dy: [2, 64, 64, 16] }, 11);
  await check('wgrad split 2x64x64x16', (t) => tf.grads((x: tf.Tensor, wt: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, 1, 1), t.dy)))([t.x, t.w]), ins);
});

// The last two are cut into pixel chunks (reduced by several workgroups, then merged).
for (const [shape, activation] of [[[2, 7, 9, 20], 'none'], [[1, 33, 31, 3], 'relu'], [[2, 16, 16, 17], 'leakyrelu'],
  [[1, 61, 67, 5], 'leakyrelu'], [[2, 40, 37, 33], 'relu']] as
    Array<[number[], Activation]>) {
  const name = `instanceNorm ${shape.join('x')} ${activation}`;
  test(`${name}: CGInstanceNorm and CGInstanceNormGrad vs composed ops`, { skip }, async () => {
    const ins = inputs({ x: shape, dy: shape }, 3);
    // Shift the values so the mean is far from zero (catches one-pass variance).
    ins.x.data = ins.x.data.map((v) => 3 + 2 * v);
    await check(`${name} fwd`, (t) => instanceNorm(t.x as tf.Tensor4D, 1e-5, activation, 0.2), ins);
    await check(`${name} grad`, (t) => tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(instanceNorm(x as tf.Tensor4D, 1e-5, activation, 0.2), t.dy)))(t.x), ins, 2e-5);
    // CGInstanceNormAdd (webgpu only) against the composed norm + add on cpu (dy serves as the residual).
    assert.ok(tf.getKernel(CGInstanceNormAdd, 'webgpu'), 'webgpu registers CGInstanceNormAdd');
    await check(`${name} + residual`, (t) => backendHasKernel(CGInstanceNormAdd)
      ? runCGKernel(CGInstanceNormAdd, { x: t.x, residual: t.dy }, { eps: 1e-5, activation, alpha: 0.2 })
      : tf.add(instanceNorm(t.x as tf.Tensor4D, 1e-5, activation, 0.2), t.dy), ins);
  });
}

test('CGMirrorPadGrad: reflect (the ResNet paddings) and symmetric with uneven borders', { skip }, async () => {
  for (const [shape, pad] of [[[1, 9, 7, 3], 3], [[2, 6, 5, 4], 1]] as Array<[number[], number]>) {
    const ins = inputs({ x: shape, dy: [shape[0], shape[1] + 2 * pad, shape[2] + 2 * pad, shape[3]] }, 5);
    await check(`reflectPad ${shape.join('x')} p${pad} grad`, (t) => tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(reflectPad(x as tf.Tensor4D, pad), t.dy)))(t.x), ins);
  }
  const ins = inputs({ x: [2, 5, 6, 3], dy: [2, 8, 7, 3] }, 9);
  await check('mirrorPad symmetric grad', (t) => tf.grad((x: tf.Tensor) =>
    tf.sum(tf.mul(tf.mirrorPad(x, [[0, 0], [1, 2], [0, 1], [0, 0]], 'symmetric'), t.dy)))(t.x), ins);
});

// The last layer of a 256 px, ngf 64 generator: CGMirrorPadGrad of [1, 256, 256, 64] is 65536 workgroups of 64, one
// over WebGPU's per-dimension limit. The runner reshapes such a dispatch as tfjs-webgpu does and keeps it on its fast
// path, so a 256 px training step can be captured (it was not: the compile path ran, and aborted it, at every call).
test('a 1-D dispatch over the per-dimension limit: right values, fast path, capturable (CGMirrorPadGrad 256x256x64)', { skip }, async () => {
  const shape = [1, 256, 256, 64], pad = 3;
  const ins = inputs({ x: shape, dy: [1, 256 + 2 * pad, 256 + 2 * pad, 64] }, 11);
  await check('reflectPad 1x256x256x64 p3 grad', (t) => tf.grad((x: tf.Tensor) =>
    tf.sum(tf.mul(reflectPad(x as tf.Tensor4D, pad), t.dy)))(t.x), ins);
  await tf.setBackend('webgpu');
  const be = tf.backend();
  const maxPerDim = (be as unknown as { device: { limits: Record<string, number> } }).device.limits.maxComputeWorkgroupsPerDimension;
  assert.ok(256 * 256 * 64 / 64 > maxPerDim, `the case is over the limit (${maxPerDim})`);
  const dy = tf.tensor(ins.dy.data, ins.dy.shape);
  const attrs = { paddings: [[0, 0], [pad, pad], [pad, pad], [0, 0]] as Array<[number, number]>, mode: 'reflect' as const, xShape: shape };
  const c = beginCapture(be);
  try {
    // (the check above compiled the pipeline; dy is uploaded by the first call, outside the capture)
    tf.dispose(runCGKernel(CGMirrorPadGrad, { dy }, attrs));
    c.aborted = null;
    c.dispatches.length = 0;
    tf.dispose(runCGKernel(CGMirrorPadGrad, { dy }, attrs));
  } finally {
    endCapture(be);
    dy.dispose();
  }
  assert.equal(c.aborted, null, 'captured on the fast path');
  assert.deepEqual(c.dispatches.map((d) => d.workgroups), [[256, 256, 1]], 'reshaped as tfjs-webgpu reshapes it');
});

test('CGAdam: three steps match the composed update', { skip }, async () => {
  const ins = inputs({ p: [3, 3, 4, 5], g1: [3, 3, 4, 5], g2: [3, 3, 4, 5], g3: [3, 3, 4, 5], b: [7], gb: [7] }, 13);
  await check('adam', (t) => {
    const p = tf.variable(t.p.clone()), b = tf.variable(t.b.clone());
    const opt = new Adam(new Map([['w', p], ['b', b]]), 2e-3, 0.5, 0.999, 1e-8);
    for (const g of [t.g1, t.g2, t.g3]) opt.apply(new Map([['w', g], ['b', t.gb]]));
    return [p.clone(), b.clone()];
  }, ins, 2e-6);
});

test('kernel errors (relative to max |cpu|)', { skip }, () => {
  for (const [k, v] of Object.entries(errors)) console.log(`  ${k}: ${v.toExponential(2)}`);
});
