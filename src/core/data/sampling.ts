// The unaligned dataset's draws for one epoch (official unaligned_dataset.py + the DataLoader's shuffle),
// with no files and no Node: the Node dataset (src/data/dataset.ts) and the in-browser training engine
// (src/web/train/engine.ts) both plan their epochs here, so the same seed gives the same crops, flips and
// B partners in the tab as in `cyclegan train`.
import { Rng, type RngState } from '../rng.js';
import { drawParams, type TransformOptions, type TransformParams } from './transforms.js';

/**
 * Where a step stands in the run, in epochs: epoch `epoch` (from 1) with `epochIter` of its `epochSize` images
 * done. The loss curves' x, in `cyclegan train`'s loss log and on the training page.
 */
export function fractionalEpoch(epoch: number, epochIter: number, epochSize: number): number {
  return epoch - 1 + epochIter / epochSize;
}

/** One sample of an epoch: indices into the A and B lists (folder terms) and each image's random choices. */
export interface PlannedSample { a: number; b: number; pa: TransformParams; pb: TransformParams }

/**
 * All draws of one epoch, made up front (so prefetching cannot change them), from the RNG state at the epoch's
 * start: a permutation of max(|A|, |B|) indices (unless serial), sample i takes A[i % |A|] and B at random
 * (B[i % |B|] when serial), then each image's crop and flip. `end` is the RNG state the next epoch starts from.
 */
export function planEpoch(start: RngState, filesA: ReadonlyArray<{ width: number; height: number }>,
                          filesB: ReadonlyArray<{ width: number; height: number }>, transform: TransformOptions,
                          serialBatches: boolean): { samples: PlannedSample[]; end: RngState } {
  const rng = new Rng(start);
  const n = Math.max(filesA.length, filesB.length);
  const order = Array.from({ length: n }, (_, i) => i);
  if (!serialBatches) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const samples = order.map((idx) => {
    const a = idx % filesA.length;
    const b = serialBatches ? idx % filesB.length : rng.int(filesB.length);
    const fa = filesA[a], fb = filesB[b];
    const pa = drawParams(fa.width, fa.height, transform, rng);
    const pb = drawParams(fb.width, fb.height, transform, rng);
    return { a, b, pa, pb };
  });
  return { samples, end: rng.getState() };
}

/** The first RNG state of a dataset seeded with `seed` (the Node dataset's and the engine's). */
export function samplingStart(seed: number): RngState {
  return new Rng(seed).getState();
}
