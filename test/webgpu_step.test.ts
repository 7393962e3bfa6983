// The webgpu training step apart from the convolutions: our dispatch path (src/backends/webgpu/runner.ts:
// uniform ring, cached bind groups, extra outputs), the in-place Adam with gradient parts, against tfjs-cpu
// or the out-of-place kernels. Runs on lavapipe in CI (helpers/webgpu.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { Adam } from '../src/core/optim.js';
import { runCGKernel } from '../src/core/ops/kernels.js';
import { CGAdam, CGInstanceNorm, CGInstanceNormGrad } from '../src/core/ops/kernel_names.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } from '../src/core/model.js';
import type { RunnerStats } from '../src/backends/webgpu/runner.js';
import { prepareSyncReads } from '../src/backends/index.js';
import { ganLossAndGrad, l1LossAndGrad } from '../src/core/losses.js';
import { instanceNorm } from '../src/core/ops/nn.js';
import { webgpuSkipReason } from './helpers/webgpu.js';
import { rand } from './helpers/random.js';

const skip = await webgpuSkipReason();

type Data = { shape: number[]; data: Float32Array };

async function read(t: tf.Tensor): Promise<Data> {
  return { shape: t.shape.slice(), data: Float32Array.from(await t.data() as Float32Array) };
}

function maxRelErr(got: Data, want: Data): number {
  assert.deepEqual(got.shape, want.shape);
  let diff = 0, scale = 0;
  for (let i = 0; i < got.data.length; i++) {
    diff = Math.max(diff, Math.abs(got.data[i] - want.data[i]));
    scale = Math.max(scale, Math.abs(want.data[i]));
  }
  return Number.isNaN(diff) ? Infinity : diff / Math.max(scale, 1e-12);
}

/**
 * Three Adam steps on two parameters whose gradients come in 1, 2, 3 or 4 parts. `shared`: the first
 * parameter's initial tensor stays alive (it shares the variable's data, so the update may not be in place).
 */
async function adamRun(backend: string, parts: number, shared = false): Promise<Data[]> {
  await tf.setBackend(backend);
  const shape = [3, 3, 4, 5];
  const size = shape.reduce((a, b) => a * b, 1);
  const init = [tf.tensor(rand(size, 1), shape), tf.tensor(rand(7, 2), [7])];
  const p = tf.variable(init[0]);
  const b = tf.variable(init[1]);
  if (!shared) tf.dispose(init); else init[1].dispose();
  const opt = new Adam(new Map([['w', p], ['b', b]]), 2e-3, 0.5, 0.999, 1e-8);
  for (let s = 0; s < 3; s++) {
    const gw = Array.from({ length: parts }, (_, k) => tf.tensor(rand(size, 10 + 4 * s + k), shape));
    const gb = Array.from({ length: parts }, (_, k) => tf.tensor(rand(7, 50 + 4 * s + k), [7]));
    opt.apply(new Map<string, tf.Tensor | tf.Tensor[]>([['w', parts === 1 ? gw[0] : gw], ['b', parts === 1 ? gb[0] : gb]]));
    tf.dispose([...gw, ...gb]);
  }
  const out = [await read(p), await read(b)];
  if (shared) out.push(await read(init[0]));
  opt.dispose();
  tf.dispose([p, b, ...(shared ? [init[0]] : [])]);
  return out;
}

test('Adam in place with 1-4 gradient parts matches the composed update on cpu', { skip }, async () => {
  for (const [parts, shared] of [[1, false], [2, false], [3, false], [4, false], [3, true]] as const) {
    const want = await adamRun('cpu', parts, shared);
    const got = await adamRun('webgpu', parts, shared);
    assert.ok(Adam.takesGradientParts(), 'webgpu has CGAdamInPlace');
    got.forEach((g, i) => {
      const e = maxRelErr(g, want[i]);
      assert.ok(e <= 2e-6, `${parts} part(s)${shared ? ', shared' : ''}, tensor ${i}: relative error ${e.toExponential(2)}`);
    });
    // With shared data the update is out of place: the initial tensor keeps its values.
    if (shared) assert.deepEqual(Array.from(got[2].data), Array.from(rand(180, 1)), 'the initial tensor is untouched');
  }
});

test('Adam in place: a value read before the step is not served stale after it', { skip }, async () => {
  await tf.setBackend('webgpu');
  const init = tf.tensor(rand(64, 3), [64]);
  const p = tf.variable(init);
  init.dispose();
  const before = Float32Array.from(await p.data() as Float32Array); // tfjs-webgpu keeps a CPU copy of what it read
  const opt = new Adam(new Map([['p', p]]), 1e-2);
  const g = tf.tensor(rand(64, 4), [64]);
  opt.apply(new Map([['p', g]]));
  const after = await p.data() as Float32Array;
  const changed = after.filter((x, i) => Math.abs(x - before[i]) > 1e-3).length;
  assert.equal(changed, 64, 'every element moved by about lr');
  assert.deepEqual(Array.from(p.dataSync() as Float32Array), Array.from(after), 'the synchronous copy is the new value');
  opt.dispose();
  tf.dispose([p, g]);
});

test('the out-of-place CGAdam kernel (three results from one dispatch) matches cpu', { skip }, async () => {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const t = ['p', 'g', 'm', 'v'].map((_, k) => tf.tensor(rand(100, 20 + k, k === 3 ? 0 : -1, 1), [10, 10]));
    const outs = runCGKernel(CGAdam, { param: t[0], grad: t[1], m: t[2], v: t[3] },
      { lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 3 });
    const r = await Promise.all(outs.map(read));
    tf.dispose([...t, ...outs]);
    return r;
  };
  // cpu has no CGAdam: the composed update, as optim.ts writes it.
  await tf.setBackend('cpu');
  const t = ['p', 'g', 'm', 'v'].map((_, k) => tf.tensor(rand(100, 20 + k, k === 3 ? 0 : -1, 1), [10, 10]));
  const want = await Promise.all(tf.tidy(() => {
    const m = tf.add(tf.mul(t[2], 0.5), tf.mul(t[1], 0.5));
    const v = tf.add(tf.mul(t[3], 0.999), tf.mul(tf.square(t[1]), 1 - 0.999));
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - 0.999 ** 3)), 1e-8);
    return [tf.sub(t[0], tf.mul(tf.div(m, denom), 1e-3 / (1 - 0.5 ** 3))), m, v];
  }).map(async (x) => { const r = await read(x); x.dispose(); return r; }));
  tf.dispose(t);
  const got = await run('webgpu');
  got.forEach((g, i) => assert.ok(maxRelErr(g, want[i]) <= 2e-6, `output ${i}: ${maxRelErr(g, want[i]).toExponential(2)}`));
});

test('training steps on webgpu reuse their bind groups (runner cache) once the buffer pool is warm', { skip }, async () => {
  await tf.setBackend('webgpu');
  const stats = (tf.backend() as unknown as { cgRunner?: RunnerStats }).cgRunner;
  assert.ok(stats, 'the webgpu backend runs our dispatch path');
  const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: 2, ndf: 2, netG: 'resnet_6blocks', poolSize: 0 });
  const a = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const created: number[] = [];
  const dispatched: number[] = [];
  for (let i = 0; i < 4; i++) {
    const c0 = stats.bindGroupsCreated, d0 = stats.dispatches;
    const losses = model.step(a, b);
    const v = await readLosses(losses);
    disposeLosses(losses);
    assert.ok(Number.isFinite(v.G_A) && Number.isFinite(v.D_A));
    created.push(stats.bindGroupsCreated - c0);
    dispatched.push(stats.dispatches - d0);
  }
  // Parameters and Adam moments stay in their buffers, and the pool hands out the lowest free buffer: a
  // step that starts from the same pool state meets the same buffers, so its bind groups are all cached.
  assert.ok(created[3] <= dispatched[3] * 0.02, `bind groups created per step ${created} for ${dispatched} dispatches`);
  model.dispose();
  tf.dispose([a, b]);
});

test('instance norm gradient: statistics kept from the forward pass give the same dx as recomputed ones', { skip }, async () => {
  await tf.setBackend('webgpu');
  const backend = tf.backend() as unknown as { memory(): { numBytesInGPU: number } };
  const shape: [number, number, number, number] = [2, 9, 7, 20];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(rand(size, 31), shape) as tf.Tensor4D;
  const dy = tf.tensor(rand(size, 32), shape) as tf.Tensor4D;
  for (const activation of ['none', 'relu', 'leakyrelu'] as const) {
    const attrs = { eps: 1e-5, activation, alpha: 0.2 };
    const y = runCGKernel(CGInstanceNorm, { x }, attrs) as tf.Tensor4D;
    const yCopy = tf.add(y, 0) as tf.Tensor4D; // same values, another data id: no kept statistics
    const recomputed = await read(runCGKernel(CGInstanceNormGrad, { x, y: yCopy, dy }, attrs));
    const kept = await read(runCGKernel(CGInstanceNormGrad, { x, y, dy }, attrs));
    assert.deepEqual(Array.from(kept.data), Array.from(recomputed.data), `${activation}: kept and recomputed statistics`);
    // The statistics belong to x: another input with the same y recomputes them.
    const y2 = runCGKernel(CGInstanceNorm, { x }, attrs) as tf.Tensor4D;
    const x2 = tf.mul(x, 2) as tf.Tensor4D;
    const other = await read(runCGKernel(CGInstanceNormGrad, { x: x2, y: y2, dy }, attrs));
    const otherWant = await read(runCGKernel(CGInstanceNormGrad, { x: x2, y: tf.add(y2, 0), dy }, attrs));
    assert.deepEqual(Array.from(other.data), Array.from(otherWant.data), `${activation}: statistics of another input`);
    tf.dispose([y, yCopy, y2, x2]);
  }
  // Statistics of an output that is never differentiated go with it.
  const before = backend.memory().numBytesInGPU;
  for (let i = 0; i < 3; i++) {
    const y = runCGKernel(CGInstanceNorm, { x }, { eps: 1e-5, activation: 'relu', alpha: 0 });
    await y.data();
    y.dispose();
  }
  await (tf.tensor([1]).data());
  assert.equal(backend.memory().numBytesInGPU, before, 'no GPU bytes left behind by forward passes alone');
  tf.dispose([x, dy]);
});

test('Sum over batch and space (bias gradients) matches cpu on odd shapes; other sums go to the stock kernel', { skip }, async () => {
  const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
    { shape: [1, 5, 7, 3], axis: [0, 1, 2], keepDims: false },       // fewer channels than a lane group
    { shape: [2, 9, 11, 37], axis: [0, 1, 2], keepDims: true },       // batch 2, channels not a multiple of the 4 a workgroup sums
    { shape: [1, 64, 64, 20], axis: [2, 0, 1], keepDims: false },     // one chunk (64 loads a thread)
    { shape: [2, 70, 65, 18], axis: [0, 1, 2], keepDims: false },     // cut into chunks, merged
    { shape: [2, 6, 5, 4], axis: [1, 2], keepDims: false },           // stock: not every axis but channels
    { shape: [2, 6, 5, 4], axis: -1, keepDims: true },                // stock
  ];
  for (const [i, c] of cases.entries()) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = rand(size, 40 + i);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(values, c.shape);
      const y = tf.sum(x, c.axis, c.keepDims);
      const r = await read(y);
      tf.dispose([x, y]);
      return r;
    };
    const want = await run('cpu');
    const got = await run('webgpu');
    const e = maxRelErr(got, want);
    assert.ok(e <= 1e-5, `sum ${JSON.stringify(c)}: relative error ${e.toExponential(2)}`);
  }
});

test('prepareSyncReads reads only the tensors a checkpoint names', { skip }, async () => {
  await tf.setBackend('webgpu');
  const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: 2, ndf: 2, netG: 'resnet_6blocks', poolSize: 1 });
  const a = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const losses = model.step(a, b);
  const named = Object.values(model.nets).flatMap((n) => [...n.params.values(), ...n.buffers.values()]);
  await prepareSyncReads(named);
  for (const t of named) assert.doesNotThrow(() => t.dataSync(), 'a named tensor reads synchronously');
  assert.throws(() => losses.G_A.dataSync(), /synchronous reads/, 'a tensor not named was not downloaded');
  // The optimizer state and pools are read asynchronously; the networks' copies are current.
  const state = await model.getTrainingStateAsync();
  assert.ok(state.tensors.size > 0);
  const w = model.nets.G_A.params.get('model.1.weight')!;
  assert.deepEqual(Array.from(w.dataSync()), Array.from(await w.data() as Float32Array));
  await readLosses(losses);
  disposeLosses(losses);
  model.dispose();
  tf.dispose([a, b]);
});

test('LSGAN / BCE / L1 loss and gradient in one kernel match the composed ops on cpu (one and several workgroups)', { skip }, async () => {
  const cases: Array<{ what: string; shape: number[]; run: (x: tf.Tensor, t: tf.Tensor) => [tf.Scalar, tf.Tensor] }> = [
    { what: 'lsgan real', shape: [1, 30, 30, 1], run: (x) => ganLossAndGrad(x, true, 'lsgan') },
    { what: 'lsgan fake ×0.5', shape: [2, 7, 9, 1], run: (x) => ganLossAndGrad(x, false, 'lsgan', 0.5) },
    { what: 'vanilla real', shape: [1, 30, 30, 1], run: (x) => ganLossAndGrad(x, true, 'vanilla') },
    { what: 'vanilla fake ×0.5', shape: [1, 5, 3, 1], run: (x) => ganLossAndGrad(x, false, 'vanilla', 0.5) },
    { what: 'l1 ×10', shape: [1, 32, 32, 3], run: (x, t) => l1LossAndGrad(x, t, 10) },
    { what: 'l1 ×5, several workgroups', shape: [2, 130, 129, 3], run: (x, t) => l1LossAndGrad(x, t, 5) },
    { what: 'lsgan, several workgroups', shape: [1, 300, 300, 1], run: (x) => ganLossAndGrad(x, false, 'lsgan') },
  ];
  for (const [i, c] of cases.entries()) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const xv = rand(size, 60 + i, -2, 2);
    const tv = rand(size, 80 + i);
    tv[3] = xv[3]; // one exact tie: sign(0) = 0 in the L1 gradient
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(xv, c.shape), t = tf.tensor(tv, c.shape);
      const [loss, grad] = c.run(x, t);
      assert.deepEqual(loss.shape, [], `${c.what}: the loss is a scalar`);
      const r = [await read(loss), await read(grad)];
      tf.dispose([x, t, loss, grad]);
      return r;
    };
    const want = await run('cpu');
    const got = await run('webgpu');
    const eLoss = maxRelErr(got[0], want[0]), eGrad = maxRelErr(got[1], want[1]);
    assert.ok(eLoss <= 2e-5, `${c.what}: loss relative error ${eLoss.toExponential(2)} (${got[0].data[0]} vs ${want[0].data[0]})`);
    assert.ok(eGrad <= 1e-6, `${c.what}: gradient relative error ${eGrad.toExponential(2)}`);
  }
});

test('uploads written into pooled buffers never overwrite data that queued work still reads', { skip }, async () => {
  await tf.setBackend('webgpu');
  const size = 4096;
  const v1 = rand(size, 90), v2 = rand(size, 91);
  // a's buffer is read by a queued dispatch (b), then a is disposed: c, the same size, may get that buffer.
  for (const flushBetween of [false, true]) {
    const a = tf.tensor(v1, [size]);
    const b = tf.relu(a);
    if (flushBetween) {
      // more dispatches than one submit holds: b's command is submitted, a's buffer goes back to the pool at once
      let t = tf.relu(b);
      for (let i = 0; i < 80; i++) { const u = tf.neg(t); t.dispose(); t = u; }
      t.dispose();
    }
    a.dispose();
    const c = tf.tensor(v2, [size]);
    const d = tf.relu(c);
    const [bv, dv] = [await b.data() as Float32Array, await d.data() as Float32Array];
    for (let i = 0; i < size; i++) {
      if (bv[i] !== Math.max(v1[i], 0) || dv[i] !== Math.max(v2[i], 0)) {
        assert.fail(`flush ${flushBetween}: element ${i}: ${bv[i]} / ${dv[i]}`);
      }
    }
    tf.dispose([b, c, d]);
  }
});

test('instance norm with 4·k channels (vec4 apply) matches the composed ops on cpu, all activations, chunked or not', { skip }, async () => {
  const cases: Array<[[number, number, number, number], 'none' | 'relu' | 'leakyrelu']> = [
    [[1, 5, 7, 4], 'none'], [[2, 9, 6, 12], 'relu'], [[1, 40, 37, 8], 'leakyrelu'], [[2, 33, 35, 20], 'relu'],
  ];
  for (const [i, [shape, activation]] of cases.entries()) {
    const size = shape.reduce((a, b) => a * b, 1);
    const xv = rand(size, 100 + i).map((v) => 3 + 2 * v); // mean far from zero
    const dv = rand(size, 120 + i);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(xv, shape) as tf.Tensor4D, dy = tf.tensor(dv, shape) as tf.Tensor4D;
      const y = instanceNorm(x, 1e-5, activation, 0.2);
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(instanceNorm(t as tf.Tensor4D, 1e-5, activation, 0.2), dy)))(x);
      const r = [await read(y), await read(dx)];
      tf.dispose([x, dy, y, dx]);
      return r;
    };
    const want = await run('cpu');
    const got = await run('webgpu');
    const ey = maxRelErr(got[0], want[0]), ed = maxRelErr(got[1], want[1]);
    assert.ok(ey <= 1e-5 && ed <= 2e-5, `${shape} ${activation}: y ${ey.toExponential(2)}, dx ${ed.toExponential(2)}`);
  }
});
