// FID (Heusel et al. 2017) as pytorch-fid computes it, and KID (Bińkowski et al. 2018) as the unbiased MMD²
// with the cubic polynomial kernel k(x, y) = (x·y/d + 1)³, averaged over random subsets.
import { CycleGANError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { tf } from '../core/tf.js';
import { centre, checkCovarianceSamples, meanAndCovariance, traceSqrtProduct, traceSqrtProductOfCentred } from './linalg.js';
import type { FidStats } from './npz.js';

/** Inception features of n images: row-major n×dims, float64 (computed in float32 by the network). */
export interface Features {
  n: number;
  dims: number;
  data: Float64Array;
}

export function statsOf(f: Features): FidStats {
  const { mu, sigma } = meanAndCovariance(f.data, f.n, f.dims);
  return { mu, sigma, dims: f.dims };
}

/** One side of an FID: its features (a folder of images), its statistics (an .npz file), or both. */
export interface FidSet {
  features?: Features;
  stats?: FidStats;
}

function emptySet(): never {
  throw new Error('an FID set needs its features or its statistics');
}

/** The set's statistics: computed from its features the first time (statsOf), then kept on the set. */
export function statsOfSet(s: FidSet): FidStats {
  return (s.stats ??= statsOf(s.features ?? emptySet()));
}

/**
 * Whether FID between two sets comes from their samples: both are folders, each smaller than the feature
 * dimension, so the trace term comes from the n2×n1 cross-Gram matrix (traceSqrtProductOfCentred) instead of
 * d×d covariances: seconds instead of minutes at d = 2048.
 */
export function fidFromSamples(a: FidSet, b: FidSet): boolean {
  return !!(a.features && b.features) && Math.max(a.features.n, b.features.n) < a.features.dims;
}

/** The feature dimension two sides of a distance share (FID's sets, statistics or features; KID's features). */
function sharedDims(a: { dims: number }, b: { dims: number }): number {
  if (a.dims !== b.dims) throw new CycleGANError(`features have different dimensions (${a.dims} and ${b.dims}): use the same --dims for both`);
  return a.dims;
}

/** The set's feature dimension: its features', else its statistics'. */
function dimsOf(s: FidSet): { dims: number } {
  return s.features ?? s.stats ?? emptySet();
}

function checkFinite(values: Float64Array, what: string): void {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new CycleGANError(`${what} has a non-finite value`);
}

/** ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2·Tr(sqrtm(Σ1·Σ2)), in float64. */
export function frechetDistance(a: FidStats, b: FidStats): number {
  const d = sharedDims(a, b);
  let diff2 = 0, tr1 = 0, tr2 = 0;
  for (let i = 0; i < d; i++) {
    const t = a.mu[i] - b.mu[i];
    diff2 += t * t;
    tr1 += a.sigma[i * d + i];
    tr2 += b.sigma[i * d + i];
  }
  checkFinite(a.sigma, 'the first covariance');
  checkFinite(b.sigma, 'the second covariance');
  return diff2 + tr1 + tr2 - 2 * traceSqrtProduct(a.sigma, b.sigma, d);
}

/**
 * FID between two sets: from the samples where fidFromSamples says so (the same number as from the statistics),
 * else frechetDistance of their statistics, each computed at most once (statsOfSet: `--save-stats` and the
 * distance share them).
 */
export function fidOfSets(a: FidSet, b: FidSet): number {
  // before any statistics are computed (minutes at d = 2048)
  const d = sharedDims(dimsOf(a), dimsOf(b));
  for (const s of [a, b]) if (s.features) checkCovarianceSamples(s.features.n);
  if (!fidFromSamples(a, b)) return frechetDistance(statsOfSet(a), statsOfSet(b));
  const fa = a.features!, fb = b.features!;
  for (const f of [fa, fb]) checkFinite(f.data, 'a feature');
  // A = Xc/√(n−1) (the centred samples, once): S = AᵀA, so Tr(S) = ‖A‖², and Tr(sqrtm(S1·S2)) comes from A and B
  const ca = centre(fa.data, fa.n, d, 1 / Math.sqrt(fa.n - 1)), cb = centre(fb.data, fb.n, d, 1 / Math.sqrt(fb.n - 1));
  const squares = (c: Float64Array) => {
    let s = 0;
    for (let i = 0; i < c.length; i++) s += c[i] * c[i];
    return s;
  };
  let diff2 = 0;
  for (let j = 0; j < d; j++) diff2 += (ca.mu[j] - cb.mu[j]) ** 2;
  return diff2 + squares(ca.c) + squares(cb.c) - 2 * traceSqrtProductOfCentred(ca.c, fa.n, cb.c, fb.n, d);
}

/** FID from the features themselves (fidOfSets of two folders). */
export function frechetDistanceOfFeatures(a: Features, b: Features): number {
  return fidOfSets({ features: a }, { features: b });
}

/** KID's defaults: 100 subsets of 1000 images (capped at the smaller set), subsets drawn with seed 0. */
export const KID_DEFAULTS = { subsets: 100, subsetSize: 1000, seed: 0 } as const;

/** Whether and how a computation adds KID to FID (cyclegan fid --kid, eval --metrics kid). */
export interface KidChoice {
  kid?: boolean;
  kidSubsets?: number;
  kidSubsetSize?: number;
  seed?: number;
}

export interface KidOptions {
  /** number of random subsets (default 100) */
  subsets?: number;
  /** images per subset (default 1000; capped at the smaller set) */
  subsetSize?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface KidResult {
  mean: number;
  std: number;
  subsets: number;
  subsetSize: number;
}

/** m distinct indices in [0, n) (partial Fisher–Yates). */
function sample(rng: Rng, n: number, m: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  return idx.subarray(0, m);
}

function gather(f: Features, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * f.dims);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * f.dims;
    for (let j = 0; j < f.dims; j++) out[r * f.dims + j] = f.data[src + j];
  }
  return out;
}

/**
 * KID: mean and (population) standard deviation over subsets of the unbiased MMD² estimate
 *   Σ_{i≠j} k(xi, xj)/(m(m−1)) + Σ_{i≠j} k(yi, yj)/(m(m−1)) − 2 Σ_{i,j} k(xi, yj)/m².
 * The Gram matrices are float32 matrix products on the active TF.js backend (the m×m×d work); the kernel and
 * every sum are float64.
 */
export async function kernelInceptionDistance(x: Features, y: Features, o: KidOptions = {}): Promise<KidResult> {
  const d = sharedDims(x, y);
  const subsets = o.subsets ?? KID_DEFAULTS.subsets;
  if (!Number.isInteger(subsets) || subsets < 1) throw new CycleGANError(`--kid-subsets must be a whole number ≥ 1, got ${subsets}`);
  const want = o.subsetSize ?? KID_DEFAULTS.subsetSize;
  if (!Number.isInteger(want) || want < 2) throw new CycleGANError(`--kid-subset-size must be a whole number ≥ 2, got ${want}`);
  const m = Math.min(want, x.n, y.n);
  if (m < 2) throw new CycleGANError(`KID needs at least 2 images on each side (have ${x.n} and ${y.n})`);
  const rng = new Rng(o.seed ?? KID_DEFAULTS.seed);
  const mmds: number[] = [];
  const kernelSum = (g: Float32Array, skipDiag: boolean, cols: number): number => {
    let s = 0;
    for (let i = 0; i < g.length; i++) {
      if (skipDiag && i % (cols + 1) === 0) continue;
      const t = g[i] / d + 1;
      s += t * t * t;
    }
    return s;
  };
  for (let s = 0; s < subsets; s++) {
    const xs = gather(x, sample(rng, x.n, m));
    const ys = gather(y, sample(rng, y.n, m));
    const [gxx, gyy, gxy] = tf.tidy(() => {
      const tx = tf.tensor2d(xs, [m, d]);
      const ty = tf.tensor2d(ys, [m, d]);
      return [tf.matMul(tx, tx, false, true), tf.matMul(ty, ty, false, true), tf.matMul(tx, ty, false, true)];
    });
    try {
      const [a, b, c] = await Promise.all([gxx.data(), gyy.data(), gxy.data()]) as Float32Array[];
      mmds.push(kernelSum(a, true, m) / (m * (m - 1)) + kernelSum(b, true, m) / (m * (m - 1)) - (2 * kernelSum(c, false, m)) / (m * m));
    } finally {
      tf.dispose([gxx, gyy, gxy]);
    }
    o.onProgress?.(s + 1, subsets);
  }
  const mean = mmds.reduce((a, b) => a + b, 0) / mmds.length;
  const std = Math.sqrt(mmds.reduce((a, b) => a + (b - mean) * (b - mean), 0) / mmds.length);
  return { mean, std, subsets, subsetSize: m };
}
