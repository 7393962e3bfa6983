// The native backend frees a kernel's output buffer when the last tensor viewing it is disposed. These
// tests pin down that nothing still in use is freed: shared dataIds, zero-copy slice views, variables,
// and arrays handed out by dataSync().
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { nativeInfo, tryRegisterNativeBackend } from '../src/backends/native/index.js';

const reg = tryRegisterNativeBackend();
const skip = reg.ok ? false : `native addon not available: ${reg.reason}`;

const live = () => nativeInfo()!.liveBlocks;
const ramp = (n: number, shape: number[]) => tf.tensor(Float32Array.from({ length: n }, (_, i) => i), shape);

test('dataSync copies survive disposal; released buffers return to the block cache', { skip }, async () => {
  await tf.setBackend('native');
  const base = live();
  const x = ramp(24, [2, 3, 4]);
  const y = tf.add(x, 1);
  assert.equal(live(), base + 1);
  const v = y.dataSync();
  y.dispose();
  assert.equal(live(), base, 'the output block is recycled on dispose');
  assert.equal(v.length, 24);
  assert.equal(v[5], 6);
  x.dispose();
});

test('reshape and clone share the buffer; it lives until the last of them is disposed', { skip }, async () => {
  await tf.setBackend('native');
  const x = ramp(24, [2, 3, 4]);
  const y = tf.mul(x, 2);
  const r = tf.reshape(y, [6, 4]);
  const c = tf.clone(y);
  y.dispose();
  assert.deepEqual(Array.from(r.dataSync()).slice(0, 3), [0, 2, 4]);
  r.dispose();
  assert.equal(c.dataSync()[23], 46);
  c.dispose();
  x.dispose();
});

test('a contiguous slice (a zero-copy view in tfjs-cpu) outlives its source', { skip }, async () => {
  await tf.setBackend('native');
  const base = live();
  const x = ramp(2 * 3 * 4, [2, 3, 4]);
  const y = tf.add(x, 0.5);
  const s = tf.slice(y, [1, 0, 0], [1, 3, 4]);
  y.dispose();
  assert.equal(live(), base + 1, 'the view keeps the block');
  assert.deepEqual(Array.from(s.dataSync()).slice(0, 2), [12.5, 13.5]);
  // computing from the view after its source is gone
  const z = tf.sum(s);
  assert.equal(z.dataSync()[0], 12 * 12.5 + 66);
  s.dispose();
  z.dispose();
  assert.equal(live(), base);
  x.dispose();
});

test('variables keep their buffers across assign; the replaced value is released', { skip }, async () => {
  await tf.setBackend('native');
  const x = ramp(8, [8]);
  const init = tf.add(x, 1);
  const v = tf.variable(init);
  init.dispose();
  const before = live();
  const next = tf.mul(v, 3);
  v.assign(next);
  next.dispose();
  assert.equal(live(), before, 'old value released, new one kept');
  assert.deepEqual(Array.from(v.dataSync()), [3, 6, 9, 12, 15, 18, 21, 24]);
  v.dispose();
  x.dispose();
});

test('a tidy of many native ops leaves no blocks behind', { skip }, async () => {
  await tf.setBackend('native');
  const x = tf.randomNormal([1, 9, 9, 4]);
  const w = tf.randomNormal([3, 3, 4, 4]);
  const base = live();
  const out = tf.tidy(() => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.mean(tf.abs(tf.conv2d(tf.mirrorPad(a as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect'), b as tf.Tensor4D, 1, 'valid'))));
    return g([x, w]);
  });
  assert.equal(live(), base + 2);
  tf.dispose(out);
  assert.equal(live(), base);
  tf.dispose([x, w]);
});
