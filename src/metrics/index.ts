// `cyclegan fid` as a library: features of an image folder, statistics of a path (folder or .npz), FID/KID
// between two paths, the way `python -m pytorch_fid PATH1 PATH2` computes them.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { readFailureReason } from '../read_file.js';
import { tf } from '../core/tf.js';
import { decodeImageU8 } from '../data/decode.js';
import { defaultCacheDir } from '../data/builtin.js';
import { isImageFile } from '../data/dataset.js';
import { downloadFile } from '../data/http_download.js';
import { readTorchStateDict } from '../weights/torch_pth.js';
import { checkFidDims, FID_DEFAULT_DIMS, FidInception, INCEPTION_SIZE, prepareImage, type FidDims } from './inception.js';
import { fidFromSamples, fidOfSets, kernelInceptionDistance, statsOfSet, type Features, type FidSet, type KidChoice, type KidResult } from './fid.js';
import { readFidStats, writeFidStats } from './npz.js';

export { checkFidDims, FID_DEFAULT_DIMS, FID_DIMS, FidInception, prepareImage, type FidDims } from './inception.js';
export {
  fidFromSamples, fidOfSets, frechetDistance, frechetDistanceOfFeatures, kernelInceptionDistance, KID_DEFAULTS, statsOf, statsOfSet,
  type Features, type FidSet, type KidChoice, type KidResult, type KidOptions,
} from './fid.js';
export { readFidStats, writeFidStats, parseFidStats, encodeFidStats, type FidStats } from './npz.js';

/** The file pytorch-fid's inception.py loads (FID_WEIGHTS_URL), ported from TensorFlow's 2015-12-05 Inception. */
export const FID_WEIGHTS_URL = 'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth';
export const FID_WEIGHTS_FILE = 'pt_inception-2015-12-05-6726825d.pth';
/** Images per Inception forward pass (pytorch-fid's --batch-size default). */
export const FID_BATCH_SIZE = 50;
/** Environment variable naming a local copy of the weights (same as --inception-weights). */
export const FID_WEIGHTS_ENV = 'CYCLEGAN_INCEPTION_WEIGHTS';

export interface WeightsOptions {
  /** a local .pth (--inception-weights); else $CYCLEGAN_INCEPTION_WEIGHTS; else the cache, downloading once */
  file?: string;
  cacheDir?: string;
  /** override the download URL (tests) */
  url?: string;
  log?: (line: string) => void;
  onDownload?: (done: number, total: number | undefined) => void;
}

/** Path of the Inception weights: the given file, the env var's, or the cached download (fetched on first use). */
export async function inceptionWeightsPath(o: WeightsOptions = {}): Promise<string> {
  const local = o.file ?? (process.env[FID_WEIGHTS_ENV] || undefined);
  if (local) {
    const st = await fsp.stat(local).catch(() => null);
    const flag = o.file ? '--inception-weights' : `$${FID_WEIGHTS_ENV}`;
    if (!st?.isFile()) throw new CycleGANError(`${flag}: ${local} does not exist`);
    return local;
  }
  const dest = path.join(o.cacheDir ?? defaultCacheDir(), 'models', FID_WEIGHTS_FILE);
  if (await fsp.stat(dest).catch(() => null)) return dest;
  const url = o.url ?? FID_WEIGHTS_URL;
  o.log?.(`downloading the FID Inception weights (~92 MB) from ${url} to ${dest}`);
  try {
    return await downloadFile(url, dest, { hashPrefix: '6726825d', onProgress: o.onDownload });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new CycleGANError(`${msg}; or download ${FID_WEIGHTS_FILE} yourself and pass --inception-weights FILE (or set ${FID_WEIGHTS_ENV})`);
  }
}

export async function loadFidInception(o: WeightsOptions = {}): Promise<FidInception> {
  const file = await inceptionWeightsPath(o);
  return FidInception.fromStateDict(await readTorchStateDict(file), file);
}

/** pytorch-fid's IMAGE_EXTENSIONS (bmp jpg jpeg pgm png ppm tif tiff webp), compared case-insensitively. */
function isFidImage(name: string): boolean {
  return isImageFile(name) || name.toLowerCase().endsWith('.pgm');
}

/**
 * The images of a folder as pytorch-fid lists them: files directly in it (not in subfolders) with an image
 * extension, sorted. Other files are ignored (reported in `ignored`); an empty list is an error.
 */
export async function listFidImages(dir: string): Promise<{ files: string[]; ignored: string[] }> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CycleGANError(code === 'ENOENT' ? `${dir} does not exist` : code === 'ENOTDIR' ? `${dir} is neither a folder of images nor an .npz statistics file` : `cannot read ${dir}: ${readFailureReason(e)}`);
  }
  const files: string[] = [];
  const ignored: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (isFidImage(e.name) && (e.isFile() || (e.isSymbolicLink() && (await fsp.stat(p).catch(() => null))?.isFile()))) files.push(p);
    else ignored.push(p);
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new CycleGANError(`no images in ${dir}${ignored.length ? ` (${ignored.length} other file(s) ignored)` : ' (the folder is empty)'}`);
  return { files, ignored };
}

export interface FeatureOptions {
  dims?: FidDims;
  /** images per forward pass (default 50, as pytorch-fid) */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Inception features of n images, `batchSize` per forward pass: `prepare(start, count, put)` hands images
 * start … start + count − 1 of the batch to `put(k, rgb, width, height)` (k: the place in the batch), which
 * resizes and scales them as pytorch-fid (prepareImage); each batch's features land in their float64 rows,
 * then `onBatch(done)` reports.
 */
export async function featuresOfBatches(net: FidInception, n: number, dims: FidDims, batchSize: number,
  prepare: (start: number, count: number, put: (k: number, rgb: Uint8Array, width: number, height: number) => void) => Promise<void>,
  onBatch?: (done: number) => void): Promise<Features> {
  const data = new Float64Array(n * dims);
  const px = INCEPTION_SIZE * INCEPTION_SIZE * 3;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const input = new Float32Array(count * px);
    await prepare(start, count, (k, rgb, width, height) => prepareImage(rgb, width, height, input, k * px));
    const out = tf.tidy(() => net.features(tf.tensor4d(input, [count, INCEPTION_SIZE, INCEPTION_SIZE, 3]), dims));
    try {
      const v = await out.data();
      for (let i = 0; i < v.length; i++) data[start * dims + i] = v[i];
    } finally {
      out.dispose();
    }
    onBatch?.(start + count);
  }
  return { n, dims, data };
}

/** Inception features of image files (decoded as PIL's convert('RGB')). */
export async function featuresOfFiles(net: FidInception, files: string[], o: FeatureOptions = {}): Promise<Features> {
  const dims = o.dims ?? FID_DEFAULT_DIMS;
  const bs = o.batchSize ?? FID_BATCH_SIZE;
  if (!Number.isInteger(bs) || bs < 1) throw new CycleGANError(`--batch-size must be a whole number ≥ 1, got ${bs}`);
  o.onProgress?.(0, files.length);
  return featuresOfBatches(net, files.length, dims, bs, async (start, count, put) => {
    // decode the batch concurrently (sharp decodes on libuv's pool)
    const imgs = await Promise.all(files.slice(start, start + count).map((f) => decodeImageU8(f, { channels: 3 })));
    imgs.forEach((img, k) => put(k, img.data, img.width, img.height));
  }, (done) => o.onProgress?.(done, files.length));
}

export interface PathStats extends FidSet {
  /** number of images (undefined for an .npz) */
  n?: number;
  ignored?: string[];
}

/** FID compares two sets' covariances: each needs two images at least. */
export function checkFidSetSize(dir: string, n: number): void {
  if (n < 2) throw new CycleGANError(`${dir} has ${n} image${n === 1 ? '' : 's'}: FID needs at least 2 per set`);
}

export function isStatsFile(p: string): boolean {
  return p.toLowerCase().endsWith('.npz');
}

/** Statistics of a folder of images (computing features) or of an .npz file. */
export async function statsOfPath(p: string, net: () => Promise<FidInception>, o: FeatureOptions = {}): Promise<PathStats> {
  if (isStatsFile(p)) {
    const stats = await readFidStats(p);
    if (o.dims !== undefined && stats.dims !== o.dims) throw new CycleGANError(`${p} holds ${stats.dims}-d statistics but --dims is ${o.dims}`);
    return { stats };
  }
  const { files, ignored } = await listFidImages(p);
  checkFidSetSize(p, files.length);
  const features = await featuresOfFiles(await net(), files, o);
  return { n: files.length, features, ignored };
}

export interface FidOptions extends FeatureOptions, WeightsOptions, KidChoice {
  /** write the first path's statistics here (pytorch-fid's --save-stats) */
  saveStats?: string;
  /** progress per path: (which, done, total) */
  onImages?: (which: 0 | 1, done: number, total: number) => void;
  onKid?: (done: number, total: number) => void;
}

export interface FidResult {
  fid: number;
  n1?: number;
  n2?: number;
  dims: number;
  kid_mean?: number;
  kid_std?: number;
  kid_subsets?: number;
  kid_subset_size?: number;
}

/** FID (and KID) between two paths, each a folder of images or an .npz statistics file. */
export async function computeFid(p1: string, p2: string, o: FidOptions = {}): Promise<FidResult> {
  const dims = o.dims ?? FID_DEFAULT_DIMS;
  checkFidDims(dims);
  if (o.kid && (isStatsFile(p1) || isStatsFile(p2))) throw new CycleGANError('--kid needs two image folders (a statistics file has no per-image features)');
  for (const p of [p1, p2]) if (!(await fsp.stat(p).catch(() => null))) throw new CycleGANError(`${p} does not exist`);
  let net: FidInception | undefined;
  const getNet = async () => (net ??= await loadFidInception(o));
  try {
    const a = await statsOfPath(p1, getNet, { ...o, dims, onProgress: (d, t) => o.onImages?.(0, d, t) });
    if (o.saveStats) await writeFidStats(o.saveStats, statsOfSet(a));
    const b = await statsOfPath(p2, getNet, { ...o, dims, onProgress: (d, t) => o.onImages?.(1, d, t) });
    if (!fidFromSamples(a, b) && dims >= 768) o.log?.(`FID: square root of ${dims}×${dims} covariance products in float64 (can take a minute)`);
    const fid = fidOfSets(a, b);
    const r: FidResult = { fid, n1: a.n, n2: b.n, dims };
    if (o.kid) {
      const k: KidResult = await kernelInceptionDistance(a.features!, b.features!, {
        subsets: o.kidSubsets, subsetSize: o.kidSubsetSize, seed: o.seed, onProgress: o.onKid,
      });
      Object.assign(r, { kid_mean: k.mean, kid_std: k.std, kid_subsets: k.subsets, kid_subset_size: k.subsetSize });
    }
    return r;
  } finally {
    net?.dispose();
  }
}
