// summer2winter-aerial: FlightGear's summer and winter aerial terrain photographs cut into tiles, split into
// train/test by source photograph.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_TRANSFORM } from '../../core/data/transforms.js';
import { parallel } from './tools.js';
import type { ProgressEvent } from './types.js';

export const FG_ROOT = './usr/share/games/flightgear/Textures';

/** Which summer texture shows the same land cover as a winter one (same name, or the -winter/.winter twin). */
export function summerTwin(winterName: string): string {
  return winterName.replace(/-winter(?=[.-])/, '').replace(/\.winter\.png$/, '.green.png');
}

/** Photographs of a FlightGear texture folder: PNGs that are not masks, relief maps or overlays. */
export function isAerialPhoto(name: string): boolean {
  return name.endsWith('.png') && !/mask|relief|overlay|-colors/.test(name);
}

/**
 * Tiles aerial photographs into `tile`-pixel JPEGs. Each source gives a grid of at most 4×4 tiles spread
 * over the picture (non-overlapping; large textures are not allowed to dominate). Sources are split by
 * name order: every 7th (starting at the 4th) goes to test, so no test tile shares a source with training.
 */
export async function buildAerialTiles(summer: string[], winter: string[], outDir: string, opts: { tile?: number; progress?: (e: ProgressEvent) => void } = {}) {
  const tile = opts.tile ?? 256;
  const counts: Record<string, number> = { trainA: 0, trainB: 0, testA: 0, testB: 0 };
  const jobs: { src: string; domain: 'A' | 'B'; split: string }[] = [];
  for (const [domain, files] of [['A', summer], ['B', winter]] as const) {
    const sorted = [...files].sort((a, b) => (basename(a) < basename(b) ? -1 : 1));
    sorted.forEach((src, i) => jobs.push({ src, domain, split: i % 7 === 3 ? 'test' : 'train' }));
  }
  for (const d of Object.keys(counts)) await mkdir(join(outDir, d), { recursive: true });
  let skipped = 0;
  await parallel(jobs, 2, async (j) => {
    const img = sharp(j.src);
    const m = await img.metadata();
    const w = m.width ?? 0, h = m.height ?? 0;
    const nx = Math.min(4, Math.floor(w / tile)), ny = Math.min(4, Math.floor(h / tile));
    if (nx === 0 || ny === 0) { skipped++; return; }
    // RGB without alpha, as PIL's convert('RGB') (alpha dropped, not composited)
    const { data, info } = await sharp(j.src).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const stem = basename(j.src, '.png').replace(/[^A-Za-z0-9_.-]/g, '_');
    for (let ty = 0; ty < ny; ty++) {
      for (let tx = 0; tx < nx; tx++) {
        const x = nx === 1 ? 0 : Math.round((tx * (w - tile)) / (nx - 1));
        const y = ny === 1 ? 0 : Math.round((ty * (h - tile)) / (ny - 1));
        const d = `${j.split}${j.domain}`;
        await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
          .extract({ left: x, top: y, width: tile, height: tile })
          .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
          .toFile(join(outDir, d, `${stem}_${ty}${tx}.jpg`));
        counts[d]++;
      }
    }
  }, (k) => opts.progress?.({ stage: 'cutting tiles', done: k, total: jobs.length, unit: 'files' }));
  return { counts, skippedSources: skipped, recommended: { preprocess: DEFAULT_TRANSFORM.preprocess, loadSize: DEFAULT_TRANSFORM.loadSize, cropSize: DEFAULT_TRANSFORM.cropSize, inputNc: 3 as const, outputNc: 3 as const } };
}
