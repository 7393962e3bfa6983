// Our wasm Conv2DBackpropFilter kernel against the tfjs cpu backend, over strides, paddings and odd shapes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';

interface Case { x: [number, number, number, number]; k: number; cout: number; stride: number; pad: 'valid' | 'same' | number }
const CASES: Case[] = [
  { x: [1, 7, 9, 3], k: 3, cout: 5, stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 4], k: 3, cout: 6, stride: 2, pad: 1 },
  { x: [1, 9, 11, 2], k: 4, cout: 3, stride: 2, pad: 1 },
  { x: [1, 13, 10, 3], k: 7, cout: 4, stride: 1, pad: 0 },
  { x: [1, 10, 10, 2], k: 4, cout: 2, stride: 1, pad: 1 },
  { x: [2, 9, 7, 3], k: 3, cout: 2, stride: 2, pad: 'same' },
  { x: [1, 6, 6, 4], k: 1, cout: 8, stride: 1, pad: 'valid' },
];

test('wasm Conv2DBackpropFilter matches the cpu backend', async () => {
  for (const c of CASES) {
    const seedX = tf.randomNormal(c.x, 0, 1, 'float32', 1).dataSync().slice();
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
    const seedW = tf.randomNormal(filterShape, 0, 1, 'float32', 2).dataSync().slice();
    const results: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await initBackend(backend);
      const x = tf.tensor4d(seedX, c.x);
      const w = tf.tensor4d(seedW, filterShape);
      const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, c.stride, c.pad))))(w);
      results.push(dw.dataSync().slice() as Float32Array);
      tf.dispose([x, w, dw]);
    }
    let maxDiff = 0;
    let maxRef = 0;
    results[0].forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - results[1][i])); maxRef = Math.max(maxRef, Math.abs(v)); });
    assert.ok(maxDiff <= 1e-4 * maxRef, `${JSON.stringify(c)}: max diff ${maxDiff} (ref ${maxRef})`);
  }
});
