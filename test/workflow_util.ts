// Shared by the workflow tests: tiny datasets written as real image files, and run options.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/core/rng.js';
import { inkify } from '../src/data/builtin/mnist2ink.js';

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `cyclegan-${prefix}-`));
}

export async function writePng(file: string, data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(data), { raw: { width, height, channels } }).png().toFile(file);
}

/** Random smooth-ish colour images (two domains told apart by brightness). */
export async function makeRandomDataset(root: string, opts: { n: number; size: number; phase?: string; seed?: number }): Promise<void> {
  const rng = new Rng(opts.seed ?? 1);
  const phase = opts.phase ?? 'train';
  for (const [dom, lo] of [['A', 0], ['B', 128]] as const) {
    for (let i = 0; i < opts.n; i++) {
      const d = new Uint8Array(opts.size * opts.size * 3);
      const base = [lo + rng.int(100), lo + rng.int(100), lo + rng.int(100)];
      for (let p = 0; p < opts.size * opts.size; p++) for (let c = 0; c < 3; c++) d[p * 3 + c] = Math.min(255, base[c] + rng.int(28));
      await writePng(path.join(root, `${phase}${dom}`, `${dom.toLowerCase()}${String(i).padStart(3, '0')}.png`), d, opts.size, opts.size, 3);
    }
  }
}

/** A digit-like greyscale glyph: a few thick strokes, white on black (MNIST look). */
export function glyph(rng: Rng, size: number): Uint8Array {
  const img = new Float32Array(size * size);
  const m = Math.round(size * 0.2);
  let x = m + rng.random() * (size - 2 * m), y = m + rng.random() * (size - 2 * m);
  const segs = 2 + rng.int(3);
  const r = size / 14;
  for (let s = 0; s < segs; s++) {
    const nx = m + rng.random() * (size - 2 * m), ny = m + rng.random() * (size - 2 * m);
    for (let t = 0; t <= 1; t += 0.02) {
      const cx = x + (nx - x) * t, cy = y + (ny - y) * t;
      for (let py = Math.floor(cy - r - 1); py <= cy + r + 1; py++) {
        for (let px = Math.floor(cx - r - 1); px <= cx + r + 1; px++) {
          if (px < 0 || py < 0 || px >= size || py >= size) continue;
          const d = Math.hypot(px - cx, py - cy);
          img[py * size + px] = Math.max(img[py * size + px], Math.min(1, Math.max(0, r + 0.5 - d)));
        }
      }
    }
    x = nx;
    y = ny;
  }
  return Uint8Array.from(img, (v) => Math.round(v * 255));
}

/**
 * The ground-truth digits task in miniature (the built-in mnist2ink's layout): A = grey glyphs, B = inkify()
 * of other glyphs; testB_truth/<name> = inkify(testA/<name>).
 */
export async function makeDigitsDataset(root: string, opts: { train: number; test: number; size?: number; seed?: number }): Promise<void> {
  const size = opts.size ?? 32;
  const rng = new Rng(opts.seed ?? 5);
  for (const [split, n] of [['train', opts.train], ['test', opts.test]] as const) {
    for (let i = 0; i < n; i++) {
      const a = glyph(rng, size), b = glyph(rng, size);
      const name = `${split}_${String(i).padStart(4, '0')}.png`;
      await writePng(path.join(root, `${split}A`, name), a, size, size, 1);
      await writePng(path.join(root, `${split}B`, name), inkify(b), size, size, 3);
      if (split === 'test') await writePng(path.join(root, 'testB_truth', name), inkify(a), size, size, 3);
    }
  }
}

/** Max |a - b| over all parameters of two sets of networks with the same keys. */
export function maxParamDiff(a: Map<string, { dataSync(): ArrayLike<number> }>, b: Map<string, { dataSync(): ArrayLike<number> }>): number {
  let m = 0;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w) throw new Error(`missing ${k}`);
    const x = v.dataSync(), y = w.dataSync();
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}
