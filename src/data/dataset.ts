// The official unaligned dataset (data/unaligned_dataset.py) with the DataLoader around it:
//  - DATAROOT/<phase>A and <phase>B, walked recursively, sorted, each cut to --max-dataset-size;
//  - length max(|A|, |B|); sample i takes A[i % |A|] and B[random] (B[i % |B|] with --serial-batches);
//  - each epoch visits the indices in a random permutation (DataLoader shuffle = not serial_batches);
//  - the last batch may be smaller (drop_last = False);
//  - --direction BtoA: the model's real_A comes from <phase>B (the dataset's "B" side), as in the
//    official model's set_input; here the batch is already in model terms (batch.A = real_A).
// Differences, on purpose: unreadable files are skipped with one warning instead of crashing a worker;
// --max-dataset-size keeps the first N files in sorted order (the official code cuts the unsorted walk);
// image extensions are matched case-insensitively and include .webp.
// Random choices come from one seeded Rng whose state (plus the position in the epoch) is all that a
// resumed run needs: getState()/setState().
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IMG_EXTENSIONS, isImageFile, walkFiles, type SkippedFile } from './image_files.js';
import { Worker } from 'node:worker_threads';
import { CycleGANError } from '../core/errors.js';
import type { RngState } from '../core/rng.js';
import type { tf } from '../core/tf.js';
import { ImageDecodeError, imagesToTensor, probeImage, type FloatImage } from './image.js';
import { loadTransformed, type LoadJob } from './load.js';
import { checkPreprocess, DEFAULT_TRANSFORM, resizedSize, type TransformOptions, type TransformParams } from '../core/data/transforms.js';
import { planEpoch, samplingStart, type PlannedSample } from '../core/data/sampling.js';

// The one image extension list and folder walker live in image_files.ts (translate uses them too).
export { IMG_EXTENSIONS, isImageFile, listImageFiles, type SkippedFile } from './image_files.js';

export interface ImageEntry { path: string; width: number; height: number }

/**
 * --direction, resolved in one place: the folders that feed the model's real_A and real_B. AtoB: A from
 * DATAROOT/<phase>A; BtoA: from <phase>B (the official set_input swaps the batch the same way).
 */
export function directionFolders(dataroot: string, phase: string, direction: 'AtoB' | 'BtoA'): { A: string; B: string } {
  const [a, b] = direction === 'BtoA' ? ['B', 'A'] : ['A', 'B'];
  return { A: join(dataroot, `${phase}${a}`), B: join(dataroot, `${phase}${b}`) };
}
export interface FolderScan { dir: string; images: ImageEntry[]; skipped: SkippedFile[] }

/**
 * Lists the usable images of a folder (recursively, sorted), checking each cheaply (signature, end marker,
 * header). Files that are not images or cannot be read are returned in `skipped` with the reason; hidden
 * files are ignored silently. A missing folder or one without a usable image is a CycleGANError.
 */
export async function scanImageFolder(dir: string, opts: { maxDatasetSize?: number; concurrency?: number } = {}): Promise<FolderScan> {
  const st = await stat(dir).catch(() => null);
  if (!st) throw new CycleGANError(`image folder ${dir} does not exist`);
  if (!st.isDirectory()) throw new CycleGANError(`${dir} is not a folder`);
  const max = opts.maxDatasetSize ?? Infinity;
  const conc = opts.concurrency ?? 8;
  const skipped: SkippedFile[] = [];
  const files = await walkFiles(dir, skipped);
  const images: ImageEntry[] = [];
  let i = 0;
  while (i < files.length && images.length < max) {
    const chunk = files.slice(i, i + conc);
    i += chunk.length;
    const results = await Promise.all(chunk.map(async (p) => {
      if (!isImageFile(p)) return { p, r: { ok: false, reason: 'not an image file type' } as const };
      return { p, r: await probeImage(p) };
    }));
    for (const { p, r } of results) {
      if (r.ok && images.length < max) images.push({ path: p, width: r.width!, height: r.height! });
      else if (!r.ok) skipped.push({ path: p, reason: r.reason ?? 'unreadable' });
    }
  }
  if (images.length === 0) {
    const why = files.length === 0 ? 'the folder is empty' : `${skipped.length} file(s) skipped: ${describeSkipped(skipped, 5)}`;
    throw new CycleGANError(`no usable image in ${dir} (${why}); supported: ${IMG_EXTENSIONS.join(' ')}`);
  }
  return { dir, images, skipped };
}

/** The smallest side a network takes after --preprocess none (ResNet generators reflect-pad by 3, then by 1 at 1/4). */
const MIN_SIDE = 8;

function tooSmall(im: ImageEntry, t: TransformOptions): boolean {
  if (t.preprocess === 'crop') return im.width < t.cropSize || im.height < t.cropSize;
  if (t.preprocess === 'none') {
    const r = resizedSize(im.width, im.height, t);
    return r.width < MIN_SIDE || r.height < MIN_SIDE;
  }
  return false;
}

function tooSmallReason(im: ImageEntry, t: TransformOptions): string {
  return t.preprocess === 'crop'
    ? `${im.width}x${im.height} is smaller than --crop-size ${t.cropSize}`
    : `${im.width}x${im.height} is too small for --preprocess none (at least ${MIN_SIDE - 2}x${MIN_SIDE - 2})`;
}

export function describeSkipped(skipped: SkippedFile[], limit = Infinity): string {
  const shown = skipped.slice(0, limit).map((s) => `${s.path} (${s.reason})`);
  if (skipped.length > limit) shown.push(`and ${skipped.length - limit} more`);
  return shown.join(', ');
}

export interface DatasetOptions {
  dataroot: string;
  /** 'train' (default) or 'test': reads <phase>A and <phase>B */
  phase?: string;
  direction?: 'AtoB' | 'BtoA';
  /** channels of the model's real_A / real_B (official --input_nc / --output_nc) */
  inputNc?: 1 | 3;
  outputNc?: 1 | 3;
  preprocess?: string;
  loadSize?: number;
  cropSize?: number;
  noFlip?: boolean;
  serialBatches?: boolean;
  maxDatasetSize?: number;
  batchSize?: number;
  /** seed of the sampling/augmentation Rng (default: random) */
  seed?: number;
  /** batches decoded ahead of the consumer (default 2) */
  prefetch?: number;
  /** decode worker threads (default 1; 0 decodes on the main thread's event loop) */
  workers?: number;
  /** where the one "skipped files" warning and load-time warnings go (default console.warn) */
  warn?: (message: string) => void;
}

export interface DatasetState {
  /** Rng state at the start of the current epoch */
  rng: RngState;
  /** samples of the current epoch already handed out */
  position: number;
}

export interface Batch {
  /** the model's real_A / real_B, NHWC in [-1, 1]; the consumer disposes them */
  A: tf.Tensor4D;
  B: tf.Tensor4D;
  aPaths: string[];
  bPaths: string[];
  imagesA: FloatImage[];
  imagesB: FloatImage[];
  /** index of this batch within the epoch */
  batchIndex: number;
}

/** Runs load jobs on worker threads; falls back to the main thread if workers cannot start. */
class DecodePool {
  private workers: Worker[] = [];
  private pending = new Map<number, { job: LoadJob; resolve: (v: FloatImage) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private rr = 0;
  private broken = false;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      let w: Worker;
      try {
        w = new Worker(new URL('./worker.js', import.meta.url));
      } catch {
        this.broken = true;
        break;
      }
      w.on('message', (m: { id: number; ok: boolean; img?: FloatImage; message?: string; reason?: string; userFacing?: boolean; decode?: boolean }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.holdProcess();
        if (m.ok) p.resolve(m.img!);
        else if (m.decode) p.reject(new ImageDecodeError(p.job.path, m.reason ?? m.message ?? 'unreadable'));
        else if (m.userFacing) p.reject(new CycleGANError(m.message ?? 'error'));
        else p.reject(new Error(m.message));
      });
      const fail = () => {
        // A worker that dies (or never loads) hands its jobs to the main thread.
        this.broken = true;
        const jobs = [...this.pending.values()];
        this.pending.clear();
        for (const j of jobs) loadTransformed(j.job).then(j.resolve, j.reject);
      };
      w.on('error', fail);
      w.on('exit', (code) => { if (code !== 0) fail(); });
      this.workers.push(w);
    }
    this.holdProcess();
  }

  // Idle workers must not keep the process alive; busy ones must (the consumer awaits their results).
  private holdProcess(): void {
    for (const w of this.workers) {
      if (this.pending.size > 0) w.ref();
      else w.unref();
    }
  }

  get threaded(): boolean {
    return !this.broken && this.workers.length > 0;
  }

  run(job: LoadJob): Promise<FloatImage> {
    if (!this.threaded) return loadTransformed(job);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { job, resolve, reject });
      if (this.pending.size === 1) this.holdProcess();
      this.workers[this.rr++ % this.workers.length].postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.broken = true;
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

export class UnalignedDataset {
  /** files of <phase>A and <phase>B (folder terms, not swapped by direction) */
  readonly filesA: ImageEntry[];
  readonly filesB: ImageEntry[];
  readonly dirA: string;
  readonly dirB: string;
  readonly transform: TransformOptions;
  readonly batchSize: number;
  readonly serialBatches: boolean;
  readonly direction: 'AtoB' | 'BtoA';
  /** channels of <phase>A / <phase>B images */
  readonly channelsA: 1 | 3;
  readonly channelsB: 1 | 3;
  private epochRng: RngState;
  private position = 0;
  private readonly prefetch: number;
  private readonly pool: DecodePool;
  private readonly warn: (m: string) => void;
  private readonly bad = new Set<string>();
  /** load jobs started / finished (to observe prefetching) */
  readonly stats = { started: 0, done: 0 };

  private constructor(opts: DatasetOptions, a: FolderScan, b: FolderScan, dirA: string, dirB: string) {
    this.filesA = a.images;
    this.filesB = b.images;
    this.dirA = dirA;
    this.dirB = dirB;
    this.transform = {
      preprocess: checkPreprocess(opts.preprocess ?? DEFAULT_TRANSFORM.preprocess),
      loadSize: opts.loadSize ?? DEFAULT_TRANSFORM.loadSize,
      cropSize: opts.cropSize ?? DEFAULT_TRANSFORM.cropSize,
      noFlip: opts.noFlip ?? false,
    };
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1));
    this.serialBatches = opts.serialBatches ?? false;
    this.direction = opts.direction ?? 'AtoB';
    const inNc = opts.inputNc ?? 3, outNc = opts.outputNc ?? 3;
    // Official: the folder-A transform uses input_nc, or output_nc when the direction is BtoA.
    this.channelsA = this.direction === 'BtoA' ? outNc : inNc;
    this.channelsB = this.direction === 'BtoA' ? inNc : outNc;
    this.epochRng = samplingStart(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.prefetch = Math.max(1, opts.prefetch ?? 2);
    this.pool = new DecodePool(Math.max(0, opts.workers ?? 1));
    this.warn = opts.warn ?? ((m) => console.warn(`warning: ${m}`));
  }

  /** Scans <dataroot>/<phase>A and <phase>B; warns once about skipped files; errors on an unusable domain. */
  static async open(opts: DatasetOptions): Promise<UnalignedDataset> {
    const phase = opts.phase ?? 'train';
    const rootSt = await stat(opts.dataroot).catch(() => null);
    if (!rootSt?.isDirectory()) throw new CycleGANError(`--dataroot ${opts.dataroot} is not a folder`);
    const dirA = join(opts.dataroot, `${phase}A`), dirB = join(opts.dataroot, `${phase}B`);
    for (const d of [dirA, dirB]) {
      if (!(await stat(d).catch(() => null))?.isDirectory()) {
        throw new CycleGANError(`missing folder ${d} (a dataset needs ${phase}A and ${phase}B under --dataroot)`);
      }
    }
    const max = opts.maxDatasetSize ?? Infinity;
    const [a, b] = [await scanImageFolder(dirA, { maxDatasetSize: max }), await scanImageFolder(dirB, { maxDatasetSize: max })];
    // Images the transform cannot use (smaller than --crop-size with --preprocess crop, or a few pixels with
    // none) are skipped with the unreadable ones instead of failing the run at the step that draws them.
    const transform = {
      preprocess: checkPreprocess(opts.preprocess ?? DEFAULT_TRANSFORM.preprocess),
      loadSize: opts.loadSize ?? DEFAULT_TRANSFORM.loadSize,
      cropSize: opts.cropSize ?? DEFAULT_TRANSFORM.cropSize,
      noFlip: opts.noFlip ?? false,
    };
    for (const scan of [a, b]) {
      const small = scan.images.filter((im) => tooSmall(im, transform));
      if (!small.length) continue;
      for (const im of small) scan.skipped.push({ path: im.path, reason: tooSmallReason(im, transform) });
      scan.images = scan.images.filter((im) => !small.includes(im));
      if (scan.images.length === 0) {
        throw new CycleGANError(`no usable image in ${scan.dir}: all ${small.length} are too small for --preprocess ${transform.preprocess}` +
          (transform.preprocess === 'crop' ? ` --crop-size ${transform.cropSize}` : '') + ` (e.g. ${describeSkipped(small.map((im) => ({ path: im.path, reason: `${im.width}x${im.height}` })), 3)})`);
      }
    }
    const ds = new UnalignedDataset(opts, a, b, dirA, dirB);
    const skipped = [...a.skipped, ...b.skipped];
    if (skipped.length) ds.warn(`skipped ${skipped.length} file(s) that cannot be used: ${describeSkipped(skipped)}`);
    if (ds.transform.preprocess.includes('crop') && ds.transform.preprocess !== 'crop' && ds.transform.loadSize < ds.transform.cropSize) {
      throw new CycleGANError(`--load-size ${ds.transform.loadSize} is smaller than --crop-size ${ds.transform.cropSize}`);
    }
    return ds;
  }

  /** max(|A|, |B|), as the official __len__ */
  get length(): number {
    return Math.max(this.filesA.length, this.filesB.length);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.length / this.batchSize);
  }

  /** whether decoding runs on a worker thread */
  get threaded(): boolean {
    return this.pool.threaded;
  }

  getState(): DatasetState {
    return { rng: [...this.epochRng] as RngState, position: this.position };
  }

  setState(s: DatasetState): void {
    if (!Array.isArray(s.rng) || s.rng.length !== 4 || !(s.position >= 0)) throw new CycleGANError('bad dataset state in the training state file');
    this.epochRng = [...s.rng] as RngState;
    this.position = Math.min(Math.floor(s.position), this.length);
  }

  /** The draws of one epoch (./sampling.ts, shared with the in-browser engine). */
  private plan(): { samples: PlannedSample[]; end: RngState } {
    return planEpoch(this.epochRng, this.filesA, this.filesB, this.transform, this.serialBatches);
  }

  /** Loads one file of a domain; an unreadable one is reported once and replaced by the next readable. */
  private async load(files: ImageEntry[], index: number, channels: 1 | 3, params: TransformParams): Promise<{ img: FloatImage; path: string }> {
    for (let k = 0; k < files.length; k++) {
      const path = files[(index + k) % files.length].path;
      if (this.bad.has(path)) continue;
      try {
        this.stats.started++;
        const img = await this.pool.run({ path, channels, transform: this.transform, params });
        this.stats.done++;
        return { img, path };
      } catch (e) {
        if (!(e instanceof ImageDecodeError)) throw e;
        if (!this.bad.has(path)) {
          this.bad.add(path);
          this.warn(`skipping unreadable ${path} (${e.reason})`);
        }
      }
    }
    throw new CycleGANError(`no readable image left in ${files === this.filesA ? this.dirA : this.dirB}`);
  }

  private async loadBatch(samples: PlannedSample[]) {
    const [as, bs] = await Promise.all([
      Promise.all(samples.map((s) => this.load(this.filesA, s.a, this.channelsA, s.pa))),
      Promise.all(samples.map((s) => this.load(this.filesB, s.b, this.channelsB, s.pb))),
    ]);
    return { as, bs };
  }

  /**
   * One epoch of batches (resuming mid-epoch after setState), decoding `prefetch` batches ahead.
   * The position advances as each batch is handed out; finishing the epoch moves the state to the next.
   */
  async *epoch(): AsyncGenerator<Batch, void, undefined> {
    const { samples, end } = this.plan();
    const bs = this.batchSize;
    const starts: number[] = [];
    for (let s = this.position; s < samples.length; s += bs) starts.push(s);
    const queue: Promise<Awaited<ReturnType<UnalignedDataset['loadBatch']>>>[] = [];
    let next = 0;
    const fill = () => {
      while (queue.length < this.prefetch && next < starts.length) {
        const p = this.loadBatch(samples.slice(starts[next], starts[next] + bs));
        p.catch(() => {}); // observed when awaited; avoids an unhandled rejection if the consumer stops early
        queue.push(p);
        next++;
      }
    };
    fill();
    for (let k = 0; k < starts.length; k++) {
      const loaded = await queue.shift()!;
      fill();
      const size = loaded.as.length;
      const imagesA = loaded.as.map((x) => x.img), imagesB = loaded.bs.map((x) => x.img);
      const pathsA = loaded.as.map((x) => x.path), pathsB = loaded.bs.map((x) => x.path);
      const tA = imagesToTensor(imagesA);
      let tB: tf.Tensor4D;
      try {
        tB = imagesToTensor(imagesB);
      } catch (e) {
        tA.dispose();
        throw e;
      }
      this.position = starts[k] + size;
      const swap = this.direction === 'BtoA';
      yield {
        A: swap ? tB : tA, B: swap ? tA : tB,
        aPaths: swap ? pathsB : pathsA, bPaths: swap ? pathsA : pathsB,
        imagesA: swap ? imagesB : imagesA, imagesB: swap ? imagesA : imagesB,
        batchIndex: Math.floor(starts[k] / bs),
      };
    }
    this.epochRng = end;
    this.position = 0;
  }

  /** Stops the decode workers. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
