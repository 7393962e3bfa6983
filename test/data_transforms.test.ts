import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Rng } from '../src/core/rng.js';
import type { RawImage } from '../src/data/image.js';
import {
  applyTransform, drawParams, flipHorizontal, randomTransform, resizeBicubic, resizedSize, cropImage,
  type TransformOptions,
} from '../src/core/data/transforms.js';

// The same synthetic pattern the Pillow reference hashes were made from (PIL 9.4, Image.BICUBIC).
function pattern(w: number, h: number, c: number): RawImage {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    data[(y * w + x) * c + ch] = (x * 37 + y * 91 + ch * 53 + ((x * y) % 17) * 11 + ((Math.floor(x / 3) + Math.floor(y / 2)) % 2) * 100) % 256;
  }
  return { data, width: w, height: h, channels: c };
}
const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

test('bicubic resize is byte-identical to Pillow BICUBIC', () => {
  const cases: [number, number, number, number, number, string][] = [
    [13, 9, 3, 29, 20, 'ec931f06eaaefc949f7a29a1257a6f49d3838ce9d013e2c04c2bef599217911a'],
    [40, 30, 3, 17, 11, '2d8a0ba4dc9e645e7bc4830120b9bf3b100bbf6fe26f88cbbf758461458d0ee1'],
    [64, 48, 1, 64, 20, 'fefbdb56c871e01db1142669aa196aad2490e0d7dad683d05bbebb85b8185e23'],
    [100, 80, 3, 286, 286, '2baf6c3a31952268a8e7ffe5f389fa218fe2c9cf8d5cdde4e66e9d9ee319037f'],
    [300, 200, 3, 64, 32, '47fc40c92af7bda53eed0b1c5280d3ad501b96b38dca70e1210c347c7a7ff0d5'],
    [7, 7, 1, 7, 3, '289d4174b6ba7ada1a4da02c20ddaf43ccce9f9b6c53bcd0f8f09caf1cb67e44'],
  ];
  for (const [w, h, c, W, H, want] of cases) {
    const out = resizeBicubic(pattern(w, h, c), W, H);
    assert.equal(out.data.length, W * H * c);
    assert.equal(sha(out.data), want, `${w}x${h}x${c} -> ${W}x${H}`);
  }
});

test('resize to the same size is a copy', () => {
  const img = pattern(5, 4, 3);
  const out = resizeBicubic(img, 5, 4);
  assert.deepEqual(out.data, img.data);
  assert.notEqual(out.data, img.data);
});

test('crop and flip', () => {
  const img = pattern(6, 5, 3);
  const c = cropImage(img, 2, 1, 3, 2);
  assert.deepEqual(Array.from(c.data.subarray(0, 3)), Array.from(img.data.subarray((1 * 6 + 2) * 3, (1 * 6 + 2) * 3 + 3)));
  const f = flipHorizontal(img);
  assert.deepEqual(Array.from(f.data.subarray(0, 3)), Array.from(img.data.subarray(5 * 3, 6 * 3)));
  assert.deepEqual(flipHorizontal(f).data, img.data);
});

test('resized sizes follow the official modes', () => {
  const o = (preprocess: TransformOptions['preprocess']): TransformOptions => ({ preprocess, loadSize: 286, cropSize: 256, noFlip: false });
  assert.deepEqual(resizedSize(500, 300, o('resize_and_crop')), { width: 286, height: 286 });
  assert.deepEqual(resizedSize(500, 300, o('crop')), { width: 500, height: 300 });
  // __scale_width: h = int(max(286 * 300 / 500, 256)) = 256
  assert.deepEqual(resizedSize(500, 300, o('scale_width')), { width: 286, height: 256 });
  assert.deepEqual(resizedSize(400, 800, o('scale_width_and_crop')), { width: 286, height: 572 });
  assert.deepEqual(resizedSize(286, 300, o('scale_width')), { width: 286, height: 300 });
  // __make_power_2 with Python's round (half to even): 30/4 = 7.5 -> 8, 26/4 = 6.5 -> 6
  assert.deepEqual(resizedSize(30, 26, o('none')), { width: 32, height: 24 });
  assert.deepEqual(resizedSize(33, 35, o('none')), { width: 32, height: 36 });
});

test('every mode gives the expected output shape', () => {
  const img = pattern(70, 50, 3);
  const rng = new Rng(1);
  const base = { loadSize: 40, cropSize: 32, noFlip: false };
  const shape = (p: TransformOptions['preprocess']) => {
    const r = randomTransform(img, { ...base, preprocess: p }, rng);
    return [r.width, r.height, r.channels, r.data.length];
  };
  assert.deepEqual(shape('resize_and_crop'), [32, 32, 3, 32 * 32 * 3]);
  assert.deepEqual(shape('crop'), [32, 32, 3, 32 * 32 * 3]);
  assert.deepEqual(shape('scale_width'), [40, 32, 3, 40 * 32 * 3]); // int(max(40*50/70, 32)) = 32
  assert.deepEqual(shape('scale_width_and_crop'), [32, 32, 3, 32 * 32 * 3]);
  assert.deepEqual(shape('none'), [72, 48, 3, 72 * 48 * 3]); // round(12.5) = 12 in Python
});

test('random crop/flip are deterministic for a seed and cover the range', () => {
  const img = pattern(48, 48, 3);
  const opts: TransformOptions = { preprocess: 'crop', loadSize: 48, cropSize: 32, noFlip: false };
  const a = new Rng(42), b = new Rng(42);
  const xs = new Set<number>(); let flips = 0;
  for (let i = 0; i < 400; i++) {
    const pa = drawParams(48, 48, opts, a), pb = drawParams(48, 48, opts, b);
    assert.deepEqual(pa, pb);
    assert.ok(pa.cropX >= 0 && pa.cropX <= 16 && pa.cropY >= 0 && pa.cropY <= 16);
    xs.add(pa.cropX);
    if (pa.flip) flips++;
  }
  assert.equal(xs.size, 17);
  assert.ok(flips > 150 && flips < 250, `flips ${flips}`);
  const r1 = randomTransform(img, opts, new Rng(7)), r2 = randomTransform(img, opts, new Rng(7));
  assert.deepEqual(r1.data, r2.data);
  // params applied by hand give the same pixels
  const p = drawParams(48, 48, opts, new Rng(7));
  let want = cropImage(img, p.cropX, p.cropY, 32, 32);
  if (p.flip) want = flipHorizontal(want);
  assert.deepEqual(r1.data, want.data);
});

test('no_flip draws no flip and never flips', () => {
  const img = pattern(8, 8, 1);
  const opts: TransformOptions = { preprocess: 'none', loadSize: 8, cropSize: 8, noFlip: true };
  const rng = new Rng(3);
  const before = rng.getState();
  for (let i = 0; i < 10; i++) assert.deepEqual(randomTransform(img, opts, rng).data, img.data);
  assert.deepEqual(rng.getState(), before);
});

test('crop larger than the image is a clear error', () => {
  const img = pattern(20, 20, 3);
  assert.throws(() => applyTransform(img, { preprocess: 'crop', loadSize: 20, cropSize: 32, noFlip: true }, { cropX: 0, cropY: 0, flip: false }, 'x.png'),
    /x\.png: 20x20 is smaller than --crop-size 32/);
});
