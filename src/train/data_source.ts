// The training set of a run, from src/data's UnalignedDataset (official unaligned sampling, skipped-file
// warning, worker prefetch, resumable state), seen through the TrainDataSource interface of the loop.
import { UnalignedDataset } from '../data/dataset.js';
import type { TrainOptions } from './options.js';
import { resizedSize } from '../core/data/transforms.js';
import { requiredMultiple } from '../core/networks/size.js';
import { CycleGANError } from '../core/errors.js';
import type { TrainBatch, TrainDataSource } from './trainer.js';

class DatasetSource implements TrainDataSource {
  constructor(readonly ds: UnalignedDataset) {}
  get size(): number {
    return this.ds.length;
  }
  get batchSize(): number {
    return this.ds.batchSize;
  }
  epoch(): AsyncIterable<TrainBatch> {
    return this.ds.epoch();
  }
  getState(): unknown {
    return this.ds.getState();
  }
  setState(state: unknown): void {
    this.ds.setState(state as ReturnType<UnalignedDataset['getState']>);
  }
  close(): Promise<void> {
    return this.ds.close();
  }
}

/**
 * DATAROOT/<phase>A and <phase>B with the run's preprocessing. Unreadable files are named in one warning
 * and left out; a domain with no usable image is an error naming the folder. The sampling seed is the
 * run's --seed, so a resumed run draws the same crops, flips and B partners.
 */
export async function openTrainData(opts: TrainOptions, io: { log?: (line: string) => void; phase?: string; workers?: number } = {}): Promise<TrainDataSource> {
  const log = io.log ?? ((l: string) => console.error(l));
  const ds = await UnalignedDataset.open({
    dataroot: opts.dataroot,
    phase: io.phase ?? opts.phase ?? 'train',
    direction: opts.direction,
    inputNc: opts.inputNc as 1 | 3,
    outputNc: opts.outputNc as 1 | 3,
    preprocess: opts.preprocess,
    loadSize: opts.loadSize,
    cropSize: opts.cropSize,
    noFlip: opts.noFlip,
    serialBatches: opts.serialBatches,
    maxDatasetSize: opts.maxDatasetSize,
    batchSize: opts.batchSize,
    seed: opts.seed,
    prefetch: 2,
    workers: io.workers ?? opts.numThreads ?? 1,
    warn: (m) => log(`warning: ${m}`),
  });
  checkSizes(opts, ds);
  return new DatasetSource(ds);
}

/**
 * U-Nets take only sizes that halve cleanly at every level: a size the preprocessing leaves otherwise (with
 * --preprocess none or scale_width) is one line naming the first such image, before any training.
 */
function checkSizes(opts: TrainOptions, ds: UnalignedDataset): void {
  const m = requiredMultiple({ role: 'generator', netG: opts.netG, inputNc: opts.inputNc, outputNc: opts.outputNc, ngf: opts.ngf, norm: opts.norm, useDropout: !opts.noDropout });
  if (m <= 1) return;
  const t = ds.transform;
  const crop = t.preprocess.includes('crop');
  for (const f of [...ds.filesA, ...ds.filesB]) {
    const s = resizedSize(f.width, f.height, t);
    const w = crop ? Math.min(t.cropSize, s.width) : s.width, h = crop ? Math.min(t.cropSize, s.height) : s.height;
    if (w % m !== 0 || h % m !== 0) {
      void ds.close();
      throw new CycleGANError(`${f.path}: --netG ${opts.netG} needs a width and height that are multiples of ${m} but --preprocess ${t.preprocess} makes it ${w}x${h}; ` +
        `use --preprocess resize_and_crop with --crop-size a multiple of ${m} (or resize the images)`);
    }
  }
}
