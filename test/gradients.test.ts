// Our gradient configs (src/core/gradients, registered explicitly instead of loading the union package) against
// tfjs-core's stock ones: every kernel we register is differentiated through the tape on random inputs with
// ours, then with the stock configs (@tensorflow/tfjs, a dev dependency, registers them over ours), and the two
// must agree. MirrorPad is the one we replace on purpose (the stock one drops the reflected borders): it is
// checked against finite differences instead, as the flat kernels are checked to give zeros.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { GRADIENT_CONFIGS } from '../src/core/gradients/register_all_gradients.js';
import { flatGradConfigs } from '../src/core/gradients/flat_grads.js';
import { Rng } from '../src/core/rng.js';

type Case = { kernel: string; inputs: number[][]; f: (...xs: tf.Tensor[]) => tf.Tensor; positive?: boolean };
const rng = new Rng(7);
const CASES: Case[] = [
  { kernel: 'Abs', inputs: [[2, 3, 4]], f: (x) => tf.abs(x) },
  { kernel: 'Add', inputs: [[2, 3, 4], [3, 1]], f: (a, b) => tf.add(a, b) },
  { kernel: 'AddN', inputs: [[2, 3], [2, 3], [2, 3]], f: (a, b, c) => tf.addN([a, b, c]) },
  { kernel: 'Cast', inputs: [[2, 3]], f: (x) => tf.cast(x, 'float32') },
  { kernel: 'Concat', inputs: [[2, 3, 2], [2, 1, 2], [2, 4, 2]], f: (a, b, c) => tf.concat([a, b, c], 1) },
  { kernel: 'Conv2D', inputs: [[2, 7, 7, 3], [3, 3, 3, 4]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1) },
  { kernel: 'Conv2D', inputs: [[1, 6, 5, 2], [4, 4, 2, 3]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { kernel: 'Conv2DBackpropInput', inputs: [[2, 4, 4, 4], [3, 3, 2, 4]],
    f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 9, 9, 2], 2, 'valid') },
  { kernel: 'Exp', inputs: [[3, 4]], f: (x) => tf.exp(x) },
  { kernel: 'Identity', inputs: [[3, 4]], f: (x) => tf.clone(x) },
  { kernel: 'LeakyRelu', inputs: [[3, 4]], f: (x) => tf.leakyRelu(x, 0.2) },
  { kernel: 'Log', inputs: [[3, 4]], f: (x) => tf.log(x), positive: true },
  { kernel: 'Log1p', inputs: [[3, 4]], f: (x) => tf.log1p(x), positive: true },
  { kernel: 'Maximum', inputs: [[2, 3], [2, 3]], f: (a, b) => tf.maximum(a, b) },
  { kernel: 'Mean', inputs: [[2, 3, 4, 5]], f: (x) => tf.mean(x, [1, 2], true) },
  { kernel: 'Mean', inputs: [[2, 3]], f: (x) => tf.mean(x) },
  { kernel: 'Multiply', inputs: [[2, 3, 4], [4]], f: (a, b) => tf.mul(a, b) },
  { kernel: 'Neg', inputs: [[3, 4]], f: (x) => tf.neg(x) },
  { kernel: 'PadV2', inputs: [[2, 3]], f: (x) => tf.pad(x, [[1, 0], [2, 3]], 0.5) },
  { kernel: 'RealDiv', inputs: [[2, 3], [2, 1]], f: (a, b) => tf.div(a, b), positive: true },
  { kernel: 'Relu', inputs: [[3, 4]], f: (x) => tf.relu(x) },
  { kernel: 'Reshape', inputs: [[2, 6]], f: (x) => tf.reshape(x, [3, 4]) },
  { kernel: 'Rsqrt', inputs: [[3, 4]], f: (x) => tf.rsqrt(x), positive: true },
  { kernel: 'Select', inputs: [[3, 4], [3, 4], [3, 4]], f: (c, t, e) => tf.where(tf.greater(c, 0), t, e) },
  { kernel: 'Sigmoid', inputs: [[3, 4]], f: (x) => tf.sigmoid(x) },
  { kernel: 'Slice', inputs: [[3, 5, 4]], f: (x) => tf.slice(x, [1, 2, 0], [2, -1, 3]) },
  { kernel: 'Sqrt', inputs: [[3, 4]], f: (x) => tf.sqrt(x), positive: true },
  { kernel: 'Square', inputs: [[3, 4]], f: (x) => tf.square(x) },
  { kernel: 'SquaredDifference', inputs: [[2, 3], [2, 3]], f: (a, b) => tf.squaredDifference(a, b) },
  { kernel: 'Sub', inputs: [[2, 1, 4], [3, 1]], f: (a, b) => tf.sub(a, b) },
  { kernel: 'Sum', inputs: [[2, 3, 4]], f: (x) => tf.sum(x, [0, 2]) },
  { kernel: 'Tanh', inputs: [[3, 4]], f: (x) => tf.tanh(x) },
  { kernel: 'Transpose', inputs: [[2, 3, 4]], f: (x) => tf.transpose(x, [2, 0, 1]) },
];

function randomInputs(c: Case): Float32Array[] {
  // values away from 0 (abs, relu and the comparisons have a kink there), positive where the op needs it
  return c.inputs.map((shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    const v = 0.2 + 1.3 * rng.random();
    return c.positive || rng.random() < 0.5 ? v : -v;
  }));
}

/** Gradients of sum(f(xs) · w) for a fixed random weight w, i.e. an arbitrary upstream gradient. */
function gradients(c: Case, data: Float32Array[], w: Float32Array | undefined): { grads: Float32Array[]; w: Float32Array } {
  return tf.tidy(() => {
    const xs = data.map((d, i) => tf.tensor(d, c.inputs[i]));
    const outShape = c.f(...xs).shape;
    const weight = w ?? Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.random() * 2 - 1);
    const wt = tf.tensor(weight, outShape);
    const gs = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(c.f(...ts), wt)))(xs);
    return { grads: gs.map((g) => g.dataSync() as Float32Array), w: weight };
  });
}

test('flat kernels have zero gradients (tfjs-core registers none for the comparisons)', () => {
  for (const config of flatGradConfigs) {
    const saved = (config.inputsToSave ?? []).map((_n, i) => tf.tensor([0.5, -1, 2 + i]));
    const grads = config.gradFunc(tf.ones([3]), saved, {});
    assert.deepEqual(Object.keys(grads), config.inputsToSave, config.kernelName);
    for (const g of Object.values(grads)) assert.deepEqual([...g().dataSync()], [0, 0, 0], config.kernelName);
  }
});

test('the MirrorPad gradient is ours after registration: it folds the reflected borders back (finite differences)', () => {
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 5 * 3 }, () => rng.random() * 2 - 1), [2, 4, 5, 3]);
  const w = tf.randomUniform([2, 8, 9, 3], -1, 1, 'float32', 3);
  const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(t as tf.Tensor4D, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect'), w));
  const g = tf.grad(f)(x).dataSync();
  const xd = x.dataSync();
  for (const k of [0, 7, 31, 59, 119]) {
    const eps = 1e-2;
    const plus = Float32Array.from(xd); plus[k] += eps;
    const minus = Float32Array.from(xd); minus[k] -= eps;
    const num = (f(tf.tensor4d(plus, x.shape)).dataSync()[0] - f(tf.tensor4d(minus, x.shape)).dataSync()[0]) / (2 * eps);
    assert.ok(Math.abs(num - g[k]) < 1e-2, `element ${k}: numeric ${num}, tape ${g[k]}`);
  }
});

// Last: loading the union package replaces our registrations for the rest of this process.
test('our gradient configs agree with tfjs-core\'s stock ones on every kernel they cover (MirrorPad excepted)', async () => {
  const ours = new Set(GRADIENT_CONFIGS.map((g) => g.kernelName));
  const flat = new Set(flatGradConfigs.map((g) => g.kernelName));
  // every registered kernel has a case here, or is MirrorPad / flat (tested below)
  const covered = new Set(CASES.map((c) => c.kernel));
  assert.deepEqual([...ours].filter((k) => !covered.has(k) && !flat.has(k) && k !== 'MirrorPad'), []);
  const inputs = CASES.map(randomInputs);
  const mine = CASES.map((c, i) => gradients(c, inputs[i], undefined));
  // the stock configs, registered over ours by the union package (it warns once per kernel it overrides)
  const warn = console.warn;
  console.warn = () => {};
  try {
    await import('@tensorflow/tfjs');
  } finally {
    console.warn = warn;
  }
  for (const [i, c] of CASES.entries()) {
    const stock = gradients(c, inputs[i], mine[i].w);
    for (const [j, g] of mine[i].grads.entries()) {
      if (c.kernel === 'Select' && j === 0) continue; // the condition's input feeds a comparison: flat, none in stock
      const s = stock.grads[j];
      assert.equal(g.length, s.length);
      for (let k = 0; k < g.length; k++) {
        assert.ok(Math.abs(g[k] - s[k]) <= 1e-5 * (1 + Math.abs(s[k])), `${c.kernel} input ${j}[${k}]: ours ${g[k]}, stock ${s[k]}`);
      }
    }
  }
});
