// The webgpu training step apart from the convolutions: our dispatch path (src/backends/webgpu/runner.ts:
// uniform ring, cached bind groups, extra outputs), the in-place Adam with gradient parts, against tfjs-cpu
// or the out-of-place kernels. Runs on lavapipe in CI (helpers/webgpu.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { Adam } from '../src/core/optim.js';
import { runCGKernel } from '../src/core/ops/kernels.js';
import { CGAdam } from '../src/core/ops/kernel_names.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } from '../src/core/model.js';
import type { RunnerStats } from '../src/backends/webgpu/runner.js';
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
