// Every kernel of the native (oneDNN) backend against the tfjs-cpu backend on random inputs, odd shapes
// included. Skipped, with the reason, only when the addon is not built.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { tryRegisterNativeBackend, nativeKernelList } from '../src/backends/native/index.js';
import { mirrorPadBackward } from '../src/core/ops/mirror_pad_backward.js';
import { rand } from './helpers/random.js';
import { nativeKernelDefs } from '../src/backends/native/kernels/register_all.js';
import { BIN, UN } from '../src/backends/native/addon.js';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';

const reg = tryRegisterNativeBackend();
const skip = reg.ok ? false : `native addon not available: ${reg.reason}`;

type Inputs = Record<string, { shape: number[]; data: Float32Array }>;
type Fn = (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[];

function inputs(shapes: Record<string, number[]>, seed = 1, lo = -1, hi = 1): Inputs {
  const out: Inputs = {};
  let k = seed;
  for (const [name, shape] of Object.entries(shapes)) {
    out[name] = { shape, data: rand(shape.reduce((a, b) => a * b, 1), k++, lo, hi) };
  }
  return out;
}

/** Runs fn on a backend with fresh tensors built from the same data; returns shapes and values. */
async function runOn(backend: string, fn: Fn, ins: Inputs): Promise<Array<{ shape: number[]; data: Float32Array }>> {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(ins)) ts[k] = tf.tensor(v.data, v.shape);
  const res = tf.tidy(fn.bind(null, ts));
  const list = Array.isArray(res) ? res : [res];
  const out = list.map((r) => ({ shape: r.shape.slice(), data: Float32Array.from(r.dataSync() as Float32Array) }));
  tf.dispose(list);
  tf.dispose(Object.values(ts));
  return out;
}

/** Max |a-b| / (atol + rtol·max|ref|) must stay ≤ 1. */
function assertClose(got: { shape: number[]; data: Float32Array }, want: { shape: number[]; data: Float32Array },
                     what: string, rtol = 1e-5, atol = 1e-5): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  let scale = 0;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  const tol = atol + rtol * scale;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    if (!(d <= tol)) assert.fail(`${what}: element ${i} is ${got.data[i]}, cpu gives ${want.data[i]} (tol ${tol.toExponential(2)})`);
  }
}

/** Compares fn on 'native' with fn on 'cpu' (or with `ref` on cpu when the op only exists natively). */
async function check(what: string, fn: Fn, ins: Inputs, opts: { ref?: Fn; rtol?: number; atol?: number } = {}): Promise<void> {
  const want = await runOn('cpu', opts.ref ?? fn, ins);
  const got = await runOn('native', fn, ins);
  assert.equal(got.length, want.length, `${what}: output count`);
  got.forEach((g, i) => assertClose(g, want[i], `${what}[${i}]`, opts.rtol ?? 1e-5, opts.atol ?? 1e-5));
}

const x4 = (t: Record<string, tf.Tensor>, k: string) => t[k] as tf.Tensor4D;

test('native kernels: one per file, each registered from the list under its file\'s name, the elementwise ones for every addon op', async () => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'backends', 'native', 'kernels');
  const files = (await fsp.readdir(dir)).filter((f) => /^[A-Z]\w*\.ts$/.test(f)).map((f) => f.slice(0, -3)).sort();
  const listed = nativeKernelDefs.map((d) => d.kernelName);
  assert.deepEqual([...listed].sort(), files);
  assert.equal(new Set(listed).size, listed.length);
  for (const op of [...Object.keys(BIN), ...Object.keys(UN)]) assert.ok(listed.includes(op), `${op}: the addon runs it, no kernel file registers it`);
});

test('native backend registers every cpu kernel plus the custom ones', { skip }, () => {
  for (const c of tf.getKernelsForBackend('cpu')) assert.ok(tf.getKernel(c.kernelName, 'native'), c.kernelName);
  for (const k of ['CGInstanceNorm', 'CGInstanceNormGrad', 'CGMirrorPadGrad', 'CGAdam', 'Conv2D', 'FusedConv2D',
    'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MirrorPad', 'Sum', 'Mean', 'Add', 'Multiply']) {
    assert.ok(nativeKernelList().includes(k), k);
  }
});

const CONV_CASES: Array<{ x: number[]; f: number[]; s: number | [number, number]; pad: 'same' | 'valid' | number |
  [[number, number], [number, number], [number, number], [number, number]]; d?: number }> = [
  { x: [1, 7, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
  { x: [1, 7, 9, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [2, 9, 7, 5], f: [4, 4, 5, 6], s: 2, pad: 1 },             // PatchGAN layer, batch 2
  { x: [1, 8, 8, 4], f: [4, 4, 4, 1], s: 1, pad: 1 },             // PatchGAN head (odd output)
  { x: [1, 13, 11, 3], f: [7, 7, 3, 8], s: 1, pad: 'valid' },     // after a reflection pad of 3
  { x: [1, 10, 9, 6], f: [3, 2, 6, 7], s: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 9, 9, 2], f: [3, 3, 2, 3], s: 1, pad: 'same', d: 2 },
  { x: [1, 64, 48, 16], f: [3, 3, 16, 16], s: 1, pad: 1 },        // large enough for the threaded paths
];

test('Conv2D forward matches cpu (strides, paddings, dilation, batch 2)', { skip }, async () => {
  for (const c of CONV_CASES) {
    await check(`conv2d ${JSON.stringify(c)}`, (t) => tf.conv2d(x4(t, 'x'), x4(t, 'f'), c.s, c.pad, 'NHWC', c.d ?? 1),
      inputs({ x: c.x, f: c.f }), { rtol: 2e-5 });
  }
});

test('FusedConv2D with bias and each fused activation matches cpu', { skip }, async () => {
  const acts = ['linear', 'relu', 'leakyrelu', 'sigmoid', 'relu6', 'elu'] as const;
  for (const [i, activation] of acts.entries()) {
    const c = CONV_CASES[i % 4];
    await check(`fused ${activation} ${JSON.stringify(c)}`, (t) => tf.fused.conv2d({
      x: x4(t, 'x'), filter: x4(t, 'f'), bias: t.b as tf.Tensor1D, strides: c.s, pad: c.pad as 'same',
      activation, leakyreluAlpha: 0.2,
    }), inputs({ x: c.x, f: c.f, b: [c.f[3]] }), { rtol: 2e-5 });
  }
  // a PReLU activation is not native: it must fall back and still be right
  await check('fused prelu fallback', (t) => tf.fused.conv2d({
    x: x4(t, 'x'), filter: x4(t, 'f'), bias: t.b as tf.Tensor1D, strides: 1, pad: 'same', activation: 'prelu',
    preluActivationWeights: t.p,
  }), inputs({ x: [1, 5, 6, 3], f: [3, 3, 3, 4], b: [4], p: [4] }));
});

test('Conv2D gradients (backprop input and filter) match cpu', { skip }, async () => {
  for (const c of CONV_CASES.filter((c) => !c.d)) {
    await check(`conv2d grads ${JSON.stringify(c)}`, (t) => {
      const g = tf.grads((x: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad), t.probe)));
      return g([t.x, t.f]);
    }, inputs({ x: c.x, f: c.f, probe: outShape(c) }), { rtol: 3e-5 });
  }
});

function outShape(c: (typeof CONV_CASES)[number]): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number],
    c.f as [number, number, number, number], c.s, c.d ?? 1, c.pad as 'same');
  return [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
}

test('transposed convolution (Conv2DBackpropInput) and its gradients match cpu', { skip }, async () => {
  const cases: Array<{ x: number[]; f: number[]; out: number[]; s: number; pad: 'same' | 'valid' }> = [
    { x: [1, 4, 5, 6], f: [3, 3, 3, 6], out: [1, 9, 11, 3], s: 2, pad: 'valid' },    // full, then cropped by ops/nn
    { x: [2, 3, 4, 4], f: [3, 3, 2, 4], out: [2, 6, 8, 2], s: 2, pad: 'same' },
    { x: [1, 5, 5, 3], f: [4, 4, 2, 3], out: [1, 8, 8, 2], s: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    await check(`conv2dTranspose ${JSON.stringify(c)}`, (t) => {
      const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(
        tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, c.out as [number, number, number, number], c.s, c.pad), t.probe));
      const y = tf.conv2dTranspose(x4(t, 'x'), x4(t, 'f'), c.out as [number, number, number, number], c.s, c.pad);
      return [y, ...tf.grads(f)([t.x, t.f])];
    }, inputs({ x: c.x, f: c.f, probe: c.out }), { rtol: 3e-5 });
  }
});

test('MirrorPad forward (reflect, symmetric, ranks 2-4, channel padding) matches cpu', { skip }, async () => {
  const cases: Array<{ shape: number[]; pads: Array<[number, number]>; mode: 'reflect' | 'symmetric' }> = [
    { shape: [1, 7, 9, 3], pads: [[0, 0], [3, 3], [3, 3], [0, 0]], mode: 'reflect' },
    { shape: [2, 5, 4, 6], pads: [[0, 0], [1, 1], [2, 1], [0, 0]], mode: 'symmetric' },
    { shape: [2, 3, 4, 5], pads: [[1, 0], [0, 2], [1, 1], [2, 3]], mode: 'reflect' },
    { shape: [6, 5], pads: [[2, 1], [4, 0]], mode: 'symmetric' },
    { shape: [1, 40, 40, 32], pads: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: 'reflect' },
  ];
  for (const c of cases) {
    await check(`mirrorPad ${JSON.stringify(c)}`, (t) => tf.mirrorPad(t.x, c.pads, c.mode), inputs({ x: c.shape }));
  }
});

test('CGMirrorPadGrad matches the composed mirror-pad gradient on cpu', { skip }, async () => {
  const cases: Array<{ shape: number[]; pads: Array<[number, number]>; mode: 'reflect' | 'symmetric' }> = [
    { shape: [1, 7, 9, 3], pads: [[0, 0], [3, 3], [3, 3], [0, 0]], mode: 'reflect' },
    { shape: [2, 4, 5, 2], pads: [[0, 0], [2, 1], [1, 3], [0, 0]], mode: 'symmetric' },
    { shape: [2, 3, 4, 5], pads: [[1, 1], [2, 2], [1, 0], [2, 1]], mode: 'reflect' },
    { shape: [1, 34, 34, 32], pads: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: 'reflect' },
  ];
  for (const c of cases) {
    const padded = c.shape.map((d, i) => d + c.pads[i][0] + c.pads[i][1]);
    await check(`CGMirrorPadGrad ${JSON.stringify(c)}`,
      (t) => tf.engine().runKernel('CGMirrorPadGrad', { dy: t.dy }, { paddings: c.pads, mode: c.mode, xShape: c.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      inputs({ dy: padded }), { ref: (t) => mirrorPadBackward(t.dy, c.shape, c.pads, c.mode) });
  }
});

/** Instance norm composed from standard ops (the reference the fused kernel must match). */
function instanceNormRef(x: tf.Tensor4D, eps: number, act: string, alpha: number): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))) as tf.Tensor4D;
  return act === 'relu' ? tf.relu(y) : act === 'leakyrelu' ? tf.leakyRelu(y, alpha) : y;
}

function instanceNormNative(x: tf.Tensor4D, eps: number, act: string, alpha: number): tf.Tensor4D {
  const attrs = { eps, activation: act, alpha } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.engine().runKernel('CGInstanceNorm', { x: input }, attrs) as tf.Tensor4D;
    save([input, y]);
    return { value: y, gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) =>
      tf.engine().runKernel('CGInstanceNormGrad', { x: s[0], y: s[1], dy }, attrs) as tf.Tensor };
  });
  return f(x) as tf.Tensor4D;
}

test('CGInstanceNorm / CGInstanceNormGrad (none, relu, leakyrelu) match the composed ops on cpu', { skip }, async () => {
  const shapes = [[1, 7, 9, 3], [2, 5, 6, 20], [1, 16, 12, 48]];
  for (const [i, act] of ['none', 'relu', 'leakyrelu'].entries()) {
    for (const shape of shapes) {
      const ins = inputs({ x: shape, probe: shape }, 10 + i, -2, 3);
      const body = (norm: typeof instanceNormRef): Fn => (t) => {
        const y = norm(x4(t, 'x'), 1e-5, act, 0.2);
        const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(norm(x as tf.Tensor4D, 1e-5, act, 0.2), t.probe)))(t.x);
        return [y, dx];
      };
      await check(`instance norm ${act} ${shape}`, body(instanceNormNative), ins,
        { ref: body(instanceNormRef), rtol: 1e-4, atol: 1e-5 });
    }
  }
});

test('CGAdam matches PyTorch Adam composed from cpu ops, over three steps', { skip }, async () => {
  const shape = [3, 3, 5, 7];
  const ins = inputs({ p: shape, g1: shape, g2: shape, g3: shape }, 20);
  const hp = { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8 };
  const steps = (update: (p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, step: number) => tf.Tensor[]): Fn => (t) => {
    let [p, m, v] = [t.p, tf.zerosLike(t.p), tf.zerosLike(t.p)];
    [t.g1, t.g2, t.g3].forEach((g, i) => { [p, m, v] = update(p, g, m, v, i + 1); });
    // the change of the parameters (about ±3·lr) is what must match, not the parameters (about ±1)
    return [tf.sub(p, t.p), m, v];
  };
  const native = steps((p, g, m, v, step) =>
    tf.engine().runKernel('CGAdam', { param: p, grad: g, m, v }, { ...hp, step } as unknown as tf.NamedAttrMap) as tf.Tensor[]);
  const ref = steps((p, g, m, v, step) => {
    const nm = tf.add(tf.mul(m, hp.beta1), tf.mul(g, 1 - hp.beta1));
    const nv = tf.add(tf.mul(v, hp.beta2), tf.mul(tf.square(g), 1 - hp.beta2));
    const denom = tf.add(tf.div(tf.sqrt(nv), Math.sqrt(1 - hp.beta2 ** step)), hp.eps);
    return [tf.sub(p, tf.mul(tf.div(nm, denom), hp.lr / (1 - hp.beta1 ** step))), nm, nv];
  });
  await check('CGAdam', native, ins, { ref, rtol: 2e-4, atol: 0 });
});

test('elementwise binary ops with broadcasting match cpu', { skip }, async () => {
  const pairs: Array<[number[], number[]]> = [
    [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [5]], [[2, 3, 4, 5], [3, 1, 1]], [[1, 7, 1], [4, 1, 6]],
    [[], [3, 4]], [[3, 4], []], [[1, 64, 64, 16], [16]], [[1, 64, 64, 16], [1, 64, 64, 16]], [[5, 1], [1]],
  ];
  const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['squaredDifference', tf.squaredDifference],
    ['maximum', tf.maximum], ['minimum', tf.minimum],
  ];
  for (const [i, [as, bs]] of pairs.entries()) {
    for (const [name, op] of ops) {
      await check(`${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, (t) => op(t.a, t.b),
        inputs({ a: as, b: bs }, i + 3, 0.5, 2), { rtol: 1e-6, atol: 1e-7 });
    }
  }
  await check('addN', (t) => tf.addN([t.a, t.b, t.c, t.a]), inputs({ a: [2, 9, 5], b: [2, 9, 5], c: [2, 9, 5] }));
});

test('Greater and Select (the LeakyRelu gradient) match cpu', { skip }, async () => {
  const ins = inputs({ a: [2, 9, 7, 5], b: [2, 9, 7, 5], s: [] }, 40);
  await check('greater tensor', (t) => tf.cast(tf.greater(t.a, t.b), 'float32'), ins);
  await check('greater scalar', (t) => tf.cast(tf.greater(t.a, t.s), 'float32'), ins);
  await check('where', (t) => tf.where(tf.greater(t.a, 0), t.a, t.b), ins);
  await check('leakyRelu grad', (t) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(x, 0.2), t.b)))(t.a), ins);
  await tf.setBackend('native');
  assert.equal(tf.greater(tf.tensor([1, 2]), tf.scalar(1.5)).dtype, 'bool');
});

test('int32 and bool tensors still go through the cpu kernels', { skip }, async () => {
  await tf.setBackend('native');
  const a = tf.tensor([1, 2, 3], [3], 'int32');
  const s = tf.add(a, tf.scalar(4, 'int32'));
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(s.dataSync()), [5, 6, 7]);
  assert.deepEqual(Array.from(tf.sum(a).dataSync()), [6]);
  assert.deepEqual(Array.from(tf.abs(tf.tensor([-2, 3], [2], 'int32')).dataSync()), [2, 3]);
  tf.dispose([a, s]);
});

test('elementwise unary ops match cpu', { skip }, async () => {
  const ops: Array<[string, (x: tf.Tensor) => tf.Tensor, number, number]> = [
    ['abs', tf.abs, -2, 2], ['neg', tf.neg, -2, 2], ['relu', tf.relu, -2, 2], ['leakyRelu', (x) => tf.leakyRelu(x, 0.2), -2, 2],
    ['tanh', tf.tanh, -3, 3], ['sigmoid', tf.sigmoid, -5, 5], ['square', tf.square, -2, 2], ['sqrt', tf.sqrt, 0, 4],
    ['exp', tf.exp, -3, 3], ['log', tf.log, 0.01, 4], ['step', (x) => tf.step(x, -1), -2, 2], ['relu6', tf.relu6, -3, 9],
    ['sign', tf.sign, -2, 2],
  ];
  for (const [name, op, lo, hi] of ops) {
    for (const shape of [[3, 7, 5], [1, 48, 48, 16]]) {
      await check(`${name} ${shape}`, (t) => op(t.x), inputs({ x: shape }, 7, lo, hi), { rtol: 2e-6, atol: 1e-7 });
    }
  }
});

test('Sum and Mean over axis groups (with keepDims, and a non-contiguous fallback) match cpu', { skip }, async () => {
  const cases: Array<[number[], number[] | null, boolean]> = [
    [[2, 5, 7, 3], null, false], [[2, 5, 7, 3], [0, 1, 2], false], [[2, 5, 7, 3], [1, 2], true], [[2, 5, 7, 3], [3], false],
    [[2, 5, 7, 3], [0, 2], false], [[1, 64, 64, 16], [0, 1, 2], false], [[1, 64, 64, 16], null, false], [[7], [0], true],
    [[4, 1, 6], [0, 1], false],
  ];
  for (const [shape, axis, keep] of cases) {
    for (const [name, op] of [['sum', tf.sum], ['mean', tf.mean]] as const) {
      await check(`${name} ${shape} axis ${JSON.stringify(axis)} keep ${keep}`, (t) => op(t.x, axis ?? undefined, keep),
        inputs({ x: shape }), { rtol: 1e-6, atol: 1e-6 });
    }
  }
});

test('Slice, Reverse, Transpose and Pad match cpu', { skip }, async () => {
  const ins = inputs({ x: [2, 7, 9, 5] });
  await check('slice inner', (t) => tf.slice(t.x, [0, 1, 2, 1], [2, 5, 6, 3]), ins);
  await check('slice contiguous', (t) => tf.slice(t.x, [1, 0, 0, 0], [1, 7, 9, 5]), ins);
  await check('slice -1 size', (t) => tf.slice(t.x, [0, 3, 0, 0], [-1, -1, 4, -1]), ins);
  await check('reverse h', (t) => tf.reverse(t.x, 1), ins);
  await check('reverse h,w,c', (t) => tf.reverse(t.x, [1, 2, 3]), ins);
  await check('transpose', (t) => tf.transpose(t.x, [3, 0, 2, 1]), ins);
  await check('pad', (t) => tf.pad(t.x, [[0, 1], [2, 0], [1, 3], [0, 0]]), ins);
  await check('pad constant', (t) => tf.pad(t.x, [[1, 0], [0, 0], [2, 2], [1, 1]], 0.5), ins);
  await check('slice grad', (t) => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.slice(x, [0, 1, 1, 0], [2, 4, 5, 5]))))(t.x), ins);
});

test('a small conv / instance norm / reflect-pad network trains identically on native and cpu', { skip }, async () => {
  const ins = inputs({ x: [2, 12, 10, 3], w1: [3, 3, 3, 8], b1: [8], w2: [4, 4, 8, 8], w3: [3, 3, 4, 8], b3: [4], target: [2, 12, 10, 4] }, 30);
  const net = (t: Record<string, tf.Tensor>, x: tf.Tensor4D) => {
    let h = tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect') as tf.Tensor4D;
    h = tf.fused.conv2d({ x: h, filter: t.w1 as tf.Tensor4D, bias: t.b1 as tf.Tensor1D, strides: 1, pad: 'valid' });
    h = instanceNormRef(h, 1e-5, 'relu', 0.2);
    h = tf.leakyRelu(tf.conv2d(h, t.w2 as tf.Tensor4D, 2, 1), 0.2) as tf.Tensor4D;
    h = tf.conv2dTranspose(h, t.w3 as tf.Tensor4D, [2, 12, 10, 4], 2, 'same');
    return tf.tanh(tf.add(h, t.b3));
  };
  await check('network grads', (t) => {
    const params = ['w1', 'b1', 'w2', 'w3', 'b3'];
    const loss = (...ps: tf.Tensor[]) => {
      const tt = { ...t };
      params.forEach((p, i) => { tt[p] = ps[i]; });
      return tf.mean(tf.abs(tf.sub(net(tt, t.x as tf.Tensor4D), t.target))) as tf.Scalar;
    };
    return tf.grads(loss)(params.map((p) => t[p]));
  }, ins, { rtol: 1e-4, atol: 1e-6 });
});
