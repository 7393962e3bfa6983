// sneaker2boot: Fashion-MNIST sneakers vs ankle boots.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CycleGANError } from '../../core/errors.js';
import { paddedImage, readIdx, writeGreyPng } from './idx.js';
import type { IdxSources } from './mnist2ink.js';
import { parallel } from './tools.js';
import type { ProgressEvent } from './types.js';

/** Builds sneaker2boot from Fashion-MNIST IDX files: class 7 → A, class 9 → B, zero-padded to 32×32. */
export async function buildSneaker2Boot(src: Required<IdxSources>, outDir: string, opts: { progress?: (e: ProgressEvent) => void; classA?: number; classB?: number } = {}) {
  const size = 32;
  const cA = opts.classA ?? 7, cB = opts.classB ?? 9;
  const counts: Record<string, number> = {};
  const jobs: { path: string; px: Uint8Array }[] = [];
  for (const [split, imgPath, lblPath] of [['train', src.trainImages, src.trainLabels], ['test', src.testImages, src.testLabels]] as const) {
    const images = await readIdx(imgPath), labels = await readIdx(lblPath);
    if (images.dims.length !== 3 || labels.dims[0] !== images.dims[0]) throw new CycleGANError(`${imgPath}: images and labels do not match`);
    for (const d of ['A', 'B']) { await mkdir(join(outDir, split + d), { recursive: true }); counts[split + d] = 0; }
    for (let i = 0; i < images.dims[0]; i++) {
      const l = labels.data[i];
      if (l !== cA && l !== cB) continue;
      const d = split + (l === cA ? 'A' : 'B');
      counts[d]++;
      jobs.push({ path: join(outDir, d, `${split}_${String(i).padStart(5, '0')}.png`), px: paddedImage(images, i, size) });
    }
  }
  await parallel(jobs, 8, (j) => writeGreyPng(j.path, j.px, size),
    (k) => { if (k % 1000 === 0 || k === jobs.length) opts.progress?.({ stage: 'writing images', done: k, total: jobs.length, unit: 'files' }); });
  return { counts, recommended: { preprocess: 'none', loadSize: size, cropSize: size, inputNc: 3 as const, outputNc: 3 as const } };
}
