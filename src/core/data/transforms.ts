// The official preprocessing (data/base_dataset.py: get_params / get_transform) over 8-bit pixel buffers.
//
// Resizing reimplements Pillow's BICUBIC resampling (Resample.c) rather than using sharp's 'cubic' kernel:
// both are Catmull-Rom (a = -0.5) with the support widened by the scale when shrinking, but Pillow also
// rounds its weights to 22-bit fixed point and stores the horizontal pass as uint8 before the vertical
// pass. Doing the same here gives byte-identical results to the official `img.resize(size, BICUBIC)`
// (checked against Pillow 9.4 in test/data_transforms.test.ts), where sharp differs by a few levels.
import { CycleGANError } from '../errors.js';
import type { Rng } from '../rng.js';
import type { RawImage } from './pixels.js';

export type Preprocess = 'resize_and_crop' | 'crop' | 'scale_width' | 'scale_width_and_crop' | 'none';
export const PREPROCESS_MODES: readonly Preprocess[] = ['resize_and_crop', 'crop', 'scale_width', 'scale_width_and_crop', 'none'];

export interface TransformOptions {
  preprocess: Preprocess;
  /** --load_size (official default 286) */
  loadSize: number;
  /** --crop_size (official default 256) */
  cropSize: number;
  /** --no_flip */
  noFlip: boolean;
}

export const DEFAULT_TRANSFORM: TransformOptions = { preprocess: 'resize_and_crop', loadSize: 286, cropSize: 256, noFlip: false };

/** Random choices for one image (official get_params: a crop position and a flip). */
export interface TransformParams {
  cropX: number;
  cropY: number;
  flip: boolean;
}

export function checkPreprocess(name: string): Preprocess {
  if (!(PREPROCESS_MODES as readonly string[]).includes(name)) {
    throw new CycleGANError(`unknown --preprocess '${name}' (one of: ${PREPROCESS_MODES.join(', ')})`);
  }
  return name as Preprocess;
}

// ---- Pillow-exact bicubic resampling ----

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs { bounds: Int32Array; k: Float64Array; ksize: number }

/** Per output pixel: the first input index, the tap count, and integer weights (Pillow's precompute_coeffs). */
function coefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const k = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    const w = new Float64Array(xmax);
    for (let x = 0; x < xmax; x++) {
      w[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      // normalize_coeffs_8bpc: round half away from zero to fixed point
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, k, ksize };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resizes 8-bit pixels like Pillow's `Image.resize((w, h), Image.BICUBIC)`. */
export function resizeBicubic(img: RawImage, width: number, height: number): RawImage {
  if (!(width > 0 && height > 0)) throw new Error(`resizeBicubic: bad size ${width}x${height}`);
  const C = img.channels;
  let src = img.data, sw = img.width;
  const sh = img.height;
  if (width !== sw) {
    const { bounds, k, ksize } = coefficients(sw, width);
    const out = new Uint8Array(width * sh * C);
    for (let y = 0; y < sh; y++) {
      const row = y * sw * C;
      for (let x = 0; x < width; x++) {
        const xmin = bounds[2 * x], n = bounds[2 * x + 1], kb = x * ksize;
        for (let c = 0; c < C; c++) {
          let ss = ONE / 2;
          for (let i = 0; i < n; i++) ss += src[row + (xmin + i) * C + c] * k[kb + i];
          out[(y * width + x) * C + c] = clip8(ss);
        }
      }
    }
    src = out;
    sw = width;
  }
  if (height !== sh) {
    const { bounds, k, ksize } = coefficients(sh, height);
    const out = new Uint8Array(width * height * C);
    const rowLen = sw * C;
    for (let y = 0; y < height; y++) {
      const ymin = bounds[2 * y], n = bounds[2 * y + 1], kb = y * ksize;
      for (let j = 0; j < rowLen; j++) {
        let ss = ONE / 2;
        for (let i = 0; i < n; i++) ss += src[(ymin + i) * rowLen + j] * k[kb + i];
        out[y * rowLen + j] = clip8(ss);
      }
    }
    src = out;
  }
  return { data: src === img.data ? img.data.slice() : src, width, height, channels: C };
}

export function cropImage(img: RawImage, x: number, y: number, w: number, h: number): RawImage {
  if (x < 0 || y < 0 || x + w > img.width || y + h > img.height) {
    throw new Error(`crop (${x},${y},${w}x${h}) outside ${img.width}x${img.height}`);
  }
  const C = img.channels;
  const out = new Uint8Array(w * h * C);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * C, ((y + r) * img.width + x + w) * C), r * w * C);
  return { data: out, width: w, height: h, channels: C };
}

export function flipHorizontal(img: RawImage): RawImage {
  const { width: W, height: H, channels: C } = img;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * C, d = (y * W + (W - 1 - x)) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { data: out, width: W, height: H, channels: C };
}

// Python's round(): halves go to the even neighbour.
function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The size an image has after the resize step (before cropping), as the official transform computes it. */
export function resizedSize(width: number, height: number, opts: TransformOptions): { width: number; height: number } {
  const p = opts.preprocess;
  if (p === 'resize_and_crop') return { width: opts.loadSize, height: opts.loadSize };
  if (p === 'scale_width' || p === 'scale_width_and_crop') {
    if (width === opts.loadSize && height >= opts.cropSize) return { width, height };
    return { width: opts.loadSize, height: Math.trunc(Math.max((opts.loadSize * height) / width, opts.cropSize)) };
  }
  if (p === 'none') return { width: roundHalfEven(width / 4) * 4, height: roundHalfEven(height / 4) * 4 };
  return { width, height }; // crop
}

/**
 * Draws the random choices for one image as the unaligned dataset's transform does: RandomCrop picks a
 * position uniformly within the *resized* image (only when the mode crops), then RandomHorizontalFlip flips
 * with probability 0.5 (only without --no-flip). Nothing is drawn for a step that does not exist.
 */
export function drawParams(width: number, height: number, opts: TransformOptions, rng: Rng): TransformParams {
  let cropX = 0, cropY = 0, flip = false;
  if (opts.preprocess.includes('crop')) {
    const size = resizedSize(width, height, opts);
    cropX = rng.int(Math.max(0, size.width - opts.cropSize) + 1);
    cropY = rng.int(Math.max(0, size.height - opts.cropSize) + 1);
  }
  if (!opts.noFlip) flip = rng.random() < 0.5;
  return { cropX, cropY, flip };
}

/**
 * Applies the official transform (minus ToTensor): resize / scale_width / make-multiple-of-4, crop, flip.
 * `params` fixes the random choices (clamped into the resized image, so params drawn for another size
 * still give a valid crop).
 */
export function applyTransform(img: RawImage, opts: TransformOptions, params: TransformParams, label = 'image'): RawImage {
  const p = opts.preprocess;
  let out = img;
  const size = resizedSize(img.width, img.height, opts);
  if (size.width !== img.width || size.height !== img.height) out = resizeBicubic(out, size.width, size.height);
  if (p.includes('crop')) {
    const cs = opts.cropSize;
    if (out.width < cs || out.height < cs) {
      // torchvision's RandomCrop refuses too; say what to change.
      throw new CycleGANError(`${label}: ${out.width}x${out.height} is smaller than --crop-size ${cs} after --preprocess ${p}; use a smaller --crop-size or --preprocess resize_and_crop`);
    }
    if (out.width > cs || out.height > cs) {
      const x = Math.min(params.cropX, out.width - cs), y = Math.min(params.cropY, out.height - cs);
      out = cropImage(out, x, y, cs, cs);
    }
  }
  if (!opts.noFlip && params.flip) out = flipHorizontal(out);
  if (out === img) out = { ...img, data: img.data.slice() };
  return out;
}

/** Draws parameters and applies the transform in one go. */
export function randomTransform(img: RawImage, opts: TransformOptions, rng: Rng, label?: string): RawImage {
  return applyTransform(img, opts, drawParams(img.width, img.height, opts, rng), label);
}
