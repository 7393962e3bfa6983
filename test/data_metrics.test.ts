import test from 'node:test';
import assert from 'node:assert/strict';
import { mse, psnr, psnrImages, ssim, type PixelImage } from '../src/data/metrics.js';

function pat(w: number, h: number, c: number, s: number): PixelImage {
  const data = new Float64Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    data[(y * w + x) * c + ch] = (x * s * 7 + y * 13 + ch * 29 + ((x * y * s) % 23)) % 256;
  }
  return { data, width: w, height: h, channels: c };
}
const constant = (v: number, w = 16, h = 16, c = 3): PixelImage => ({ data: new Float64Array(w * h * c).fill(v), width: w, height: h, channels: c });

test('PSNR: identical is infinite, analytic constant offset', () => {
  assert.equal(psnr([1, 2, 3], [1, 2, 3]), Infinity);
  assert.equal(mse([0, 0], [3, 4]), 12.5);
  // MSE 100 -> 10 log10(65025 / 100)
  assert.ok(Math.abs(psnrImages(constant(0), constant(10)) - 10 * Math.log10(650.25)) < 1e-12);
  assert.ok(Math.abs(psnrImages(constant(0), constant(10)) - 28.13080360867909) < 1e-9);
  assert.throws(() => psnrImages(constant(0, 4), constant(0, 5)), /differ in shape/);
});

test('SSIM: identical is 1, constants follow the luminance formula', () => {
  const a = pat(24, 20, 3, 1);
  assert.ok(Math.abs(ssim(a, a) - 1) < 1e-12);
  const C1 = (0.01 * 255) ** 2;
  for (const [u, v] of [[50, 100], [0, 255], [128, 120]]) {
    const want = (2 * u * v + C1) / (u * u + v * v + C1); // structure/contrast terms are C2/C2 = 1
    assert.ok(Math.abs(ssim(constant(u), constant(v)) - want) < 1e-9, `${u} vs ${v}`);
  }
});

test('SSIM agrees with a brute-force 2-D Gaussian-window reference (numpy)', () => {
  const a = pat(24, 20, 3, 1);
  const b = pat(24, 20, 3, 2);
  assert.ok(Math.abs(ssim(a, b) - -0.05752288424177285) < 1e-9);
  const c: PixelImage = { ...a, data: Float64Array.from(a.data as Float64Array, (v) => Math.floor(v * 0.8 + 20)) };
  assert.ok(Math.abs(ssim(a, c) - 0.9712690361882701) < 1e-9);
  assert.ok(Math.abs(psnrImages(a, b) - 7.500155734403079) < 1e-9);
  // symmetric, and below 1 for different images
  assert.ok(Math.abs(ssim(a, c) - ssim(c, a)) < 1e-12);
});

test('SSIM on images smaller than the window uses a smaller window', () => {
  const a = pat(6, 6, 1, 1);
  const s = ssim(a, a);
  assert.ok(Math.abs(s - 1) < 1e-12);
  assert.ok(ssim(a, pat(6, 6, 1, 2)) < 1);
});
