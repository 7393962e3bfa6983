// Image quality against a ground truth: PSNR and SSIM (Wang, Bovik, Sheikh, Simoncelli 2004).
// Both take pixel values on the [0, 255] scale (e.g. the uint8 images tensor2im produces and PNGs hold).
// SSIM uses the paper's settings: an 11×11 Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255,
// statistics over the window with weights (population covariance), the mean of the SSIM map over the
// positions where the window fits ('valid'), computed per channel and averaged over channels. This is
// what skimage's structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
// data_range=255) reports. Images smaller than 11 pixels use the largest odd window that fits.

export interface PixelImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: number;
}

function sameShape(a: PixelImage, b: PixelImage): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels || a.data.length !== b.data.length) {
    throw new Error(`images differ in shape: ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`);
  }
}

/** Mean squared error over all samples. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error('mse: arrays differ in length or are empty');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / a.length;
}

/** 10·log10(range² / MSE); Infinity for identical inputs. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, dataRange = 255): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / m);
}

export function psnrImages(a: PixelImage, b: PixelImage, dataRange = 255): number {
  sameShape(a, b);
  return psnr(a.data, b.data, dataRange);
}

function gaussianWindow(size: number, sigma: number): Float64Array {
  const w = new Float64Array(size);
  const r = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    w[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
    sum += w[i];
  }
  for (let i = 0; i < size; i++) w[i] /= sum;
  return w;
}

/** 'valid' separable filtering of a single-channel plane. */
function filterValid(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const n = k.length, ow = w - n + 1, oh = h - n + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += src[y * w + x + i] * k[i];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += tmp[(y + i) * ow + x] * k[i];
      out[y * ow + x] = s;
    }
  }
  return out;
}

export interface SsimOptions {
  dataRange?: number;
  winSize?: number;
  sigma?: number;
  k1?: number;
  k2?: number;
}

/** Mean SSIM of two images with values on the [0, dataRange] scale, averaged over channels. */
export function ssim(a: PixelImage, b: PixelImage, opts: SsimOptions = {}): number {
  sameShape(a, b);
  const L = opts.dataRange ?? 255;
  const C1 = ((opts.k1 ?? 0.01) * L) ** 2, C2 = ((opts.k2 ?? 0.03) * L) ** 2;
  let win = Math.min(opts.winSize ?? 11, a.width, a.height);
  if (win % 2 === 0) win--;
  if (win < 1) throw new Error('ssim: empty image');
  const k = gaussianWindow(win, opts.sigma ?? 1.5);
  const { width: W, height: H, channels: C } = a;
  const n = W * H;
  let total = 0;
  for (let c = 0; c < C; c++) {
    const x = new Float64Array(n), y = new Float64Array(n), xx = new Float64Array(n), yy = new Float64Array(n), xy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = a.data[i * C + c], v = b.data[i * C + c];
      x[i] = u; y[i] = v; xx[i] = u * u; yy[i] = v * v; xy[i] = u * v;
    }
    const mx = filterValid(x, W, H, k), my = filterValid(y, W, H, k);
    const sxx = filterValid(xx, W, H, k), syy = filterValid(yy, W, H, k), sxy = filterValid(xy, W, H, k);
    let sum = 0;
    for (let i = 0; i < mx.length; i++) {
      const m1 = mx[i], m2 = my[i];
      const v1 = sxx[i] - m1 * m1, v2 = syy[i] - m2 * m2, cov = sxy[i] - m1 * m2;
      sum += ((2 * m1 * m2 + C1) * (2 * cov + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
    }
    total += sum / mx.length;
  }
  return total / C;
}
