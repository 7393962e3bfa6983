// The trainer keeps the losses on the device between log lines (no per-step read-back); a log line holds
// the mean since the previous one, and a checkpoint carries the running sums across a resume.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { LOSS_NAMES, type LossTensors } from '../src/core/model.js';
import { LossMeter } from '../src/train/train_log.js';

await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');

const step = (base: number): LossTensors =>
  Object.fromEntries(LOSS_NAMES.map((k, i) => [k, tf.scalar(base + i)])) as LossTensors;

test('LossMeter: mean since the last line, sums survive a checkpoint, no tensors left behind', async () => {
  const before = tf.memory().numTensors;
  const meter = new LossMeter();
  for (const b of [1, 2, 6]) {
    const s = step(b);
    meter.add(s);
    tf.dispose(Object.values(s));
  }
  const mean = await meter.takeMean();
  LOSS_NAMES.forEach((k, i) => assert.ok(Math.abs(mean[k] - (3 + i)) < 1e-6, `${k}: ${mean[k]}`));

  const s1 = step(10);
  meter.add(s1);
  const saved = await meter.read();               // what a checkpoint stores
  assert.equal(saved.n, 1);
  meter.reset();
  const resumed = new LossMeter(JSON.parse(JSON.stringify(saved)));
  const s2 = step(20);
  resumed.add(s2);
  tf.dispose([...Object.values(s1), ...Object.values(s2)]);
  const m2 = await resumed.takeMean();
  LOSS_NAMES.forEach((k, i) => assert.ok(Math.abs(m2[k] - (15 + i)) < 1e-6, `${k}: ${m2[k]}`));
  assert.equal(tf.memory().numTensors, before);
});
