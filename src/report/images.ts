// Network outputs ([-1, 1], NHWC) to PNG files for the report pages.
import sharp from 'sharp';
import { tf } from '../tf.js';
import { writeFileAtomic } from '../atomic.js';

/**
 * One image of a batch as 8-bit RGB (greyscale is repeated to 3 channels, like official tensor2im), read
 * asynchronously (webgpu in Node cannot read synchronously).
 */
export async function tensorToRgb8Async(t: tf.Tensor4D | tf.Tensor3D, index = 0):
    Promise<{ data: Uint8Array; width: number; height: number }> {
  const img = t.rank === 4 ? (t as tf.Tensor4D).slice([index, 0, 0, 0], [1, -1, -1, -1]) : t;
  try {
    return valuesToRgb8(await img.data() as Float32Array, img.shape);
  } finally {
    if (img !== t) img.dispose();
  }
}

function valuesToRgb8(src: Float32Array, shape: number[]): { data: Uint8Array; width: number; height: number } {
  const [h, w, c] = shape.slice(-3) as [number, number, number];
  const out = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) {
      const v = src[p * c + (c === 1 ? 0 : k)];
      // official: (x + 1) / 2 * 255, then truncation to uint8
      out[p * 3 + k] = Math.max(0, Math.min(255, Math.floor(((v + 1) / 2) * 255)));
    }
  }
  return { data: out, width: w, height: h };
}

export async function rgb8ToPng(img: { data: Uint8Array; width: number; height: number }): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}

export async function saveTensorPng(t: tf.Tensor4D | tf.Tensor3D, file: string, index = 0): Promise<void> {
  await writeFileAtomic(file, await rgb8ToPng(await tensorToRgb8Async(t, index)));
}
