// Decode + augment of one file: the unit of work a prefetch worker (or the main thread) does.
// No TF.js here, so worker threads start quickly.
import { decodeImageU8, u8ToFloat, type FloatImage } from './decode.js';
import { applyTransform, type TransformOptions, type TransformParams } from '../core/data/transforms.js';

export interface LoadJob {
  path: string;
  channels: 1 | 3;
  transform: TransformOptions;
  params: TransformParams;
}

export async function loadTransformed(job: LoadJob): Promise<FloatImage> {
  const img = await decodeImageU8(job.path, { channels: job.channels });
  return u8ToFloat(applyTransform(img, job.transform, job.params, job.path));
}
