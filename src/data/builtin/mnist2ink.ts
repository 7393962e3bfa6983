// mnist2ink: MNIST digits (white on black) vs a disjoint set of the same digits in blue ink on cream paper,
// a fixed per-pixel map, so every test image has its ground truth in the other domain.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CycleGANError } from '../../core/errors.js';
import { paddedImage, readIdx, writeGreyPng, writeRgbPng } from './idx.js';
import { parallel } from './tools.js';
import type { ProgressEvent } from './types.js';

/** Paper and ink colours of domain B; the red channel is 255 - v, so the map is exactly invertible. */
export const INK = { paper: [255, 244, 214], ink: [0, 51, 153] } as const;

/** Domain-B appearance of a grey digit (white stroke v on black) — a fixed per-pixel map. */
export function inkify(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(INK.paper[c] + ((INK.ink[c] - INK.paper[c]) * v) / 255);
  }
  for (let i = 0; i < grey.length; i++) {
    out[3 * i] = lut[grey[i] * 3];
    out[3 * i + 1] = lut[grey[i] * 3 + 1];
    out[3 * i + 2] = lut[grey[i] * 3 + 2];
  }
  return out;
}

/** The inverse map (from the red channel). */
export function uninkify(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = 255 - rgb[3 * i];
  return out;
}

export interface IdxSources { trainImages: string; testImages: string; trainLabels?: string; testLabels?: string }

/**
 * Builds mnist2ink from IDX files: A = plain digits, B = inkify() of a disjoint set of digits, both 32×32.
 * train: digits [0, n) → A, [n, 2n) → B; test likewise from the test file. testB_truth/<x> = inkify(testA/<x>),
 * testA_truth/<y> = the plain digit of testB/<y>.
 */
export async function buildMnist2Ink(src: IdxSources, outDir: string, opts: { trainSize?: number; testSize?: number; progress?: (e: ProgressEvent) => void } = {}) {
  const size = 32;
  const trainSize = opts.trainSize ?? 2000, testSize = opts.testSize ?? 200;
  const train = await readIdx(src.trainImages), test = await readIdx(src.testImages);
  for (const [arr, n, p] of [[train, trainSize, src.trainImages], [test, testSize, src.testImages]] as const) {
    if (arr.dims.length !== 3 || arr.dims[1] > size || arr.dims[2] > size) throw new CycleGANError(`${p}: expected N×28×28 images, got ${arr.dims.join('×')}`);
    if (arr.dims[0] < 2 * n) throw new CycleGANError(`${p}: ${arr.dims[0]} images, need ${2 * n}`);
  }
  const jobs: { dir: string; name: string; px: Uint8Array; rgb: boolean }[] = [];
  for (const [split, arr, n] of [['train', train, trainSize], ['test', test, testSize]] as const) {
    for (let i = 0; i < n; i++) {
      const a = paddedImage(arr, i, size), b = paddedImage(arr, n + i, size);
      const nameA = `${split}_${String(i).padStart(5, '0')}.png`, nameB = `${split}_${String(n + i).padStart(5, '0')}.png`;
      jobs.push({ dir: `${split}A`, name: nameA, px: a, rgb: false });
      jobs.push({ dir: `${split}B`, name: nameB, px: inkify(b), rgb: true });
      if (split === 'test') {
        jobs.push({ dir: 'testB_truth', name: nameA, px: inkify(a), rgb: true });
        jobs.push({ dir: 'testA_truth', name: nameB, px: b, rgb: false });
      }
    }
  }
  for (const d of ['trainA', 'trainB', 'testA', 'testB', 'testA_truth', 'testB_truth']) await mkdir(join(outDir, d), { recursive: true });
  await parallel(jobs, 8, (j) => (j.rgb ? writeRgbPng : writeGreyPng)(join(outDir, j.dir, j.name), j.px, size),
    (k) => { if (k % 500 === 0 || k === jobs.length) opts.progress?.({ stage: 'writing images', done: k, total: jobs.length, unit: 'files' }); });
  return {
    counts: { trainA: trainSize, trainB: trainSize, testA: testSize, testB: testSize, testA_truth: testSize, testB_truth: testSize },
    recommended: { preprocess: 'none', loadSize: size, cropSize: size, inputNc: 3 as const, outputNc: 3 as const, noFlip: true },
    truth: { AtoB: 'testB_truth', BtoA: 'testA_truth' },
  };
}
