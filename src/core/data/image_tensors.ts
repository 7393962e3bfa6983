// Float images ↔ NHWC tensors. No Node here (the web page and translate's in-memory core import it).
import { CycleGANError } from '../errors.js';
import { tf } from '../tf.js';
import type { FloatImage } from './pixels.js';

/** Stacks same-sized images into one NHWC tensor. */
export function imagesToTensor(images: FloatImage[]): tf.Tensor4D {
  if (images.length === 0) throw new Error('imagesToTensor: no images');
  const { width, height, channels } = images[0];
  const per = width * height * channels;
  const all = new Float32Array(per * images.length);
  images.forEach((im, i) => {
    if (im.width !== width || im.height !== height || im.channels !== channels) {
      throw new CycleGANError(`images in one batch differ in size (${width}x${height}x${channels} vs ${im.width}x${im.height}x${im.channels}); use --batch-size 1 or a preprocessing that crops to a fixed size`);
    }
    all.set(im.data, i * per);
  });
  return tf.tensor4d(all, [images.length, height, width, channels]);
}

/** Splits an NHWC tensor into float images (reads the data synchronously). */
export function tensorToImages(t: tf.Tensor): FloatImage[] {
  if (t.rank !== 4 && t.rank !== 3) throw new Error(`tensorToImages: expected rank 3 or 4, got ${t.rank}`);
  const [n, height, width, channels] = t.rank === 4 ? t.shape : [1, ...t.shape];
  const data = t.dataSync() as Float32Array;
  const per = height * width * channels;
  const out: FloatImage[] = [];
  for (let i = 0; i < n; i++) out.push({ data: Float32Array.from(data.subarray(i * per, (i + 1) * per)), width, height, channels });
  return out;
}

