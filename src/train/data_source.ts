// Datasets for the training loop (TrainDataSource): the official unaligned sampling over images held in
// memory or loaded from files, with every random choice of an epoch drawn up front from a generator
// seeded by (seed, epoch). Resuming in the middle of an epoch therefore needs no saved RNG stream: the
// epoch's plan is drawn again and its first `start` images are skipped.
import { tf } from '../tf.js';
import { Rng } from '../rng.js';
import { CycleGANError } from '../errors.js';
import { applyTransform, drawParams, resizedSize, type TransformOptions, type TransformParams } from '../data/transforms.js';
import { probeImage, u8ToFloat, type RawImage } from '../data/decode.js';
import { loadTransformed } from '../data/load.js';
import type { TrainOptions } from './options.js';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { TrainBatch, TrainDataSource } from './trainer.js';

export interface Sample {
  domain: 'A' | 'B';
  index: number;
  params: TransformParams;
}

export interface UnalignedPlanOptions {
  sizeA: number;
  sizeB: number;
  serialBatches: boolean;
  seed: number;
  /** size of each image before transforms, to draw crop positions in range */
  dims: (domain: 'A' | 'B', index: number) => { width: number; height: number };
  transform: TransformOptions;
}

function epochRng(seed: number, epoch: number): Rng {
  // Mix seed and epoch into one 32-bit seed (xorshift-multiply), so epochs get unrelated streams.
  let h = (seed ^ Math.imul(epoch + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/**
 * One epoch of the official unaligned dataset: length max(|A|, |B|); the DataLoader visits the indices
 * in a random order (shuffle = not --serial-batches); index i takes A[i % |A|], and B[i % |B|] with
 * --serial-batches or a random B otherwise; each image gets its own crop and flip.
 */
export function planEpoch(o: UnalignedPlanOptions, epoch: number): Array<{ a: Sample; b: Sample }> {
  const rng = epochRng(o.seed, epoch);
  const n = Math.max(o.sizeA, o.sizeB);
  const order = Array.from({ length: n }, (_, i) => i);
  if (!o.serialBatches) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  return order.map((i) => {
    const ia = i % o.sizeA;
    const ib = o.serialBatches ? i % o.sizeB : rng.int(o.sizeB);
    const da = o.dims('A', ia), db = o.dims('B', ib);
    return {
      a: { domain: 'A', index: ia, params: drawParams(da.width, da.height, o.transform, rng) },
      b: { domain: 'B', index: ib, params: drawParams(db.width, db.height, o.transform, rng) },
    };
  });
}

/** HWC float images in [-1, 1] → one NHWC batch tensor. */
function stack(images: { data: Float32Array; width: number; height: number; channels: number }[], label: string): tf.Tensor4D {
  const { width, height, channels } = images[0];
  for (const im of images) {
    if (im.width !== width || im.height !== height) {
      throw new CycleGANError(`${label}: images of one batch differ in size (${im.width}x${im.height} vs ${width}x${height}); use --batch-size 1 or a cropping --preprocess`);
    }
  }
  const data = new Float32Array(images.length * width * height * channels);
  images.forEach((im, i) => data.set(im.data, i * width * height * channels));
  return tf.tensor4d(data, [images.length, height, width, channels]);
}

type LoadedImage = { data: Float32Array; width: number; height: number; channels: number };

export interface SourceOptions {
  transform: TransformOptions;
  batchSize: number;
  serialBatches: boolean;
  seed: number;
  /** how many batches to prepare ahead of the training step */
  prefetch?: number;
}

/**
 * A TrainDataSource over two domains, given a way to get one transformed image. Loading runs ahead of
 * the training step by `prefetch` batches; official drop_last = False, so an epoch may end with a
 * smaller batch.
 */
export class UnalignedSource implements TrainDataSource {
  readonly size: number;
  readonly batchSize: number;

  constructor(
    private readonly sizes: { A: number; B: number },
    private readonly dims: UnalignedPlanOptions['dims'],
    private readonly load: (s: Sample) => Promise<{ data: Float32Array; width: number; height: number; channels: number }>,
    private readonly o: SourceOptions,
    private readonly names?: { A: string[]; B: string[] },
  ) {
    if (sizes.A < 1 || sizes.B < 1) throw new CycleGANError('a domain has no images');
    this.size = Math.max(sizes.A, sizes.B);
    this.batchSize = o.batchSize;
  }

  async *epoch(epoch: number, start: number): AsyncIterable<TrainBatch> {
    const plan = planEpoch({ sizeA: this.sizes.A, sizeB: this.sizes.B, serialBatches: this.o.serialBatches, seed: this.o.seed, dims: this.dims, transform: this.o.transform }, epoch);
    const batches: Array<typeof plan> = [];
    for (let i = start; i < plan.length; i += this.batchSize) batches.push(plan.slice(i, i + this.batchSize));
    const ahead = Math.max(1, this.o.prefetch ?? 2);
    const pending: Array<Promise<{ A: LoadedImage[]; B: LoadedImage[] }>> = [];
    const startLoad = (k: number) => {
      const p = Promise.all([Promise.all(batches[k].map((s) => this.load(s.a))), Promise.all(batches[k].map((s) => this.load(s.b)))]).then(([A, B]) => ({ A, B }));
      p.catch(() => {}); // observed when awaited; avoid an unhandled rejection while it waits in the queue
      pending.push(p);
    };
    let next = 0;
    try {
      while (next < batches.length && pending.length < ahead) startLoad(next++);
      for (let k = 0; k < batches.length; k++) {
        const got = await pending.shift()!;
        if (next < batches.length) startLoad(next++);
        yield {
          A: stack(got.A, 'domain A'),
          B: stack(got.B, 'domain B'),
          pathsA: this.names ? batches[k].map((s) => this.names!.A[s.a.index]) : undefined,
          pathsB: this.names ? batches[k].map((s) => this.names!.B[s.b.index]) : undefined,
        };
      }
    } finally {
      await Promise.allSettled(pending);
    }
  }

  getState(): unknown {
    return { kind: 'unaligned-v1', seed: this.o.seed, sizes: this.sizes };
  }

  setState(state: unknown): void {
    const s = state as { seed?: number; sizes?: { A: number; B: number } };
    if (s?.seed !== undefined && s.seed !== this.o.seed) throw new CycleGANError(`the run was trained with --seed ${s.seed}, not ${this.o.seed}`);
    if (s?.sizes && (s.sizes.A !== this.sizes.A || s.sizes.B !== this.sizes.B)) {
      throw new CycleGANError(`the dataset changed since the checkpoint (A ${s.sizes.A} → ${this.sizes.A}, B ${s.sizes.B} → ${this.sizes.B} images); resuming exactly needs the same files`);
    }
  }
}

/** A source over 8-bit images already in memory (tests, built-in datasets, library callers). */
export function memorySource(A: RawImage[], B: RawImage[], o: SourceOptions): UnalignedSource {
  const get = (d: 'A' | 'B') => (d === 'A' ? A : B);
  return new UnalignedSource(
    { A: A.length, B: B.length },
    (d, i) => get(d)[i],
    async (s) => {
      return u8ToFloat(applyTransform(get(s.domain)[s.index], o.transform, s.params, `${s.domain}[${s.index}]`));
    },
    o,
  );
}


export interface ImageFile {
  path: string;
  width: number;
  height: number;
}

/**
 * The usable images of one domain folder, sorted as the official make_dataset (os.walk, sorted names)
 * and cut to --max-dataset-size. Files that are not readable images are left out and reported through
 * `skipped`; a folder with none left is an error naming it.
 */
export async function listDomain(dir: string, maxSize = Infinity): Promise<{ files: ImageFile[]; skipped: { path: string; reason: string }[] }> {
  const all: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CycleGANError(code === 'ENOENT' ? `${dir} does not exist` : `cannot read folder ${d} (${code ?? (e as Error).message})`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // .DS_Store, our own temp files
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() || e.isSymbolicLink()) all.push(p);
    }
  };
  await walk(dir);
  const files: ImageFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  // Probe a few at a time: cheap header checks, full decode only for suspicious files.
  const results: Array<Awaited<ReturnType<typeof probeImage>>> = new Array(all.length);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < all.length) {
      const i = next++;
      results[i] = await probeImage(all[i]);
    }
  }));
  all.forEach((p, i) => {
    const r = results[i];
    if (r.ok && r.width && r.height) files.push({ path: p, width: r.width, height: r.height });
    else skipped.push({ path: p, reason: r.reason ?? 'unreadable' });
  });
  if (files.length === 0) {
    throw new CycleGANError(`${dir} has no usable image${all.length ? ` (${all.length} file${all.length > 1 ? 's' : ''}, none readable)` : ''}`);
  }
  return { files: files.slice(0, Number.isFinite(maxSize) ? maxSize : undefined), skipped };
}

/**
 * The training set of a run: DATAROOT/trainA and trainB with the run's preprocessing. Unreadable files
 * are named in one warning and left out; if one still fails to decode later, training stops with its name.
 */
export async function openTrainData(opts: TrainOptions, io: { log?: (line: string) => void; phase?: string } = {}): Promise<UnalignedSource> {
  const log = io.log ?? ((l: string) => console.error(l));
  const phase = io.phase ?? 'train';
  try {
    const st = await fsp.stat(opts.dataroot);
    if (!st.isDirectory()) throw new CycleGANError(`--dataroot ${opts.dataroot} is not a folder`);
  } catch (e) {
    if (e instanceof CycleGANError) throw e;
    throw new CycleGANError(`--dataroot ${opts.dataroot} does not exist`);
  }
  const dirs = { A: path.join(opts.dataroot, `${phase}A`), B: path.join(opts.dataroot, `${phase}B`) };
  const A = await listDomain(dirs.A, opts.maxDatasetSize);
  const B = await listDomain(dirs.B, opts.maxDatasetSize);
  const skipped = [...A.skipped, ...B.skipped];
  if (skipped.length) {
    log(`warning: skipping ${skipped.length} unreadable file${skipped.length > 1 ? 's' : ''}: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}`);
  }
  // Official UnalignedDataset: A images get input_nc channels, B output_nc; --direction BtoA swaps them.
  const btoa = opts.direction === 'BtoA';
  const ncA = (btoa ? opts.outputNc : opts.inputNc) as 1 | 3;
  const ncB = (btoa ? opts.inputNc : opts.outputNc) as 1 | 3;
  const transform: TransformOptions = { preprocess: opts.preprocess, loadSize: opts.loadSize, cropSize: opts.cropSize, noFlip: opts.noFlip };
  const files = { A: A.files, B: B.files };
  return new UnalignedSource(
    { A: A.files.length, B: B.files.length },
    (d, i) => files[d][i],
    (s) => loadTransformed({ path: files[s.domain][s.index].path, channels: s.domain === 'A' ? ncA : ncB, transform, params: s.params }),
    { transform, batchSize: opts.batchSize, serialBatches: opts.serialBatches, seed: opts.seed, prefetch: 2 },
    { A: A.files.map((f) => f.path), B: B.files.map((f) => f.path) },
  );
}
