// The reference-fixture parity suite on the webgpu backend (lavapipe in CI), with the tolerances the native
// backend meets: every network's output and gradients, both CycleGAN training steps; and a leak check
// (tensor count and GPU bytes flat from one training step to the next).
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { CycleGANModel, defaultCycleGANOptions, disposeLosses, readLosses } from '../src/core/model.js';
import { fixturesAvailable } from './helpers/fixtures.js';
import { checkFixture, DISCRIMINATORS, GENERATORS, runFixture, TRAINING_FIXTURES } from './helpers/parity.js';
import { webgpuSkipReason } from './helpers/webgpu.js';

const noGpu = await webgpuSkipReason();
const skipParity = noGpu || (fixturesAvailable() ? false : 'reference fixtures not found (../shared/fixtures/reference)');

test('network parity on webgpu', { skip: skipParity }, async (t) => {
  assert.equal(await initBackend('webgpu'), 'webgpu');
  for (const name of [...GENERATORS, ...DISCRIMINATORS]) await t.test(`${name} (webgpu)`, () => checkFixture(name));
});

test('two official training steps on webgpu', { skip: skipParity }, async (t) => {
  assert.equal(await initBackend('webgpu'), 'webgpu');
  for (const name of TRAINING_FIXTURES) await t.test(`${name} (webgpu)`, () => runFixture(name));
});

test('a training step on webgpu leaks no tensors and no GPU memory', { skip: noGpu }, async () => {
  assert.equal(await initBackend('webgpu'), 'webgpu');
  const model = CycleGANModel.create({ ...defaultCycleGANOptions(), ngf: 4, ndf: 4, netG: 'resnet_6blocks', poolSize: 2 });
  const a = tf.randomUniform([1, 32, 32, 3], -1, 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, 32, 32, 3], -1, 1) as tf.Tensor4D;
  try {
    const counts: Array<{ tensors: number; bytes: number }> = [];
    for (let i = 0; i < 4; i++) {
      const losses = model.step(a, b);
      const values = await readLosses(losses);
      disposeLosses(losses);
      assert.ok(Number.isFinite(values.G_A) && Number.isFinite(values.D_B), `step ${i}: losses finite`);
      const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
      counts.push({ tensors: m.numTensors, bytes: m.numBytesInGPU ?? 0 });
    }
    // The image pools fill during the first steps (pool size 2); from then on every step must end where the last did.
    assert.deepEqual(counts[3], counts[2], `tensors/GPU bytes after steps: ${JSON.stringify(counts)}`);
  } finally {
    tf.dispose([a, b]);
    model.dispose();
  }
});
