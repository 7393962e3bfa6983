// Network outputs ([-1, 1], NHWC) to PNG files for the report pages, through the data layer's one
// tensor2im (floatToU8: float32 arithmetic, as util.tensor2im) and its one PNG writer.
import { tf } from '../core/tf.js';
import { writeFileAtomic } from '../atomic.js';
import { encodePngBuffer } from '../data/decode.js';

/** Image `index` of a batch as PNG bytes (greyscale repeated to RGB, like tensor2im), read asynchronously
 * (webgpu in Node cannot read synchronously). */
export async function tensorToPng(t: tf.Tensor4D | tf.Tensor3D, index = 0): Promise<Buffer> {
  const img = t.rank === 4 ? (t as tf.Tensor4D).slice([index, 0, 0, 0], [1, -1, -1, -1]) : t;
  try {
    const [h, w, c] = img.shape.slice(-3) as [number, number, number];
    return await encodePngBuffer(await img.data() as Float32Array, w, h, c);
  } finally {
    if (img !== t) img.dispose();
  }
}

export async function saveTensorPng(t: tf.Tensor4D | tf.Tensor3D, file: string, index = 0): Promise<void> {
  await writeFileAtomic(file, await tensorToPng(t, index));
}
