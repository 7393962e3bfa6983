// Translating an image in memory with a generator, as the official test pipeline does for one direction:
// the test-time transform (no flip), x/127.5 − 1, forward. Nothing here touches files or Node: the web page
// translates with these same functions. File in/out (decode, PNG, folders) is in ./translate.ts.
import { CycleGANError } from './errors.js';
import { tf } from './tf.js';
import type { Network } from './networks/index.js';
import { inferenceForward } from './networks/inference.js';
import { minimumSide, requiredMultiple } from './networks/size.js';
import { imagesToTensor } from './data/image_tensors.js';
import type { FloatImage, RawImage } from './data/pixels.js';
import { applyTransform, resizedSize, type Preprocess, type TransformOptions } from './data/transforms.js';

export interface TranslateOptions {
  /** official --preprocess; translate's default is 'none' (keep the size, rounded to a multiple of 4) */
  preprocess?: Preprocess;
  loadSize?: number;
  cropSize?: number;
  /**
   * Official `--eval`: batch norm uses its running statistics and dropout is off. Without it (the official
   * test.py default) the network runs as in training: batch norm normalizes with the image's own statistics and
   * dropout stays active. Instance-norm models without dropout (all official CycleGAN models) are unaffected.
   */
  eval?: boolean;
}

export interface TranslatedImage {
  input: string;
  inputSize: [number, number];
  /** width, height of the translated image */
  size: [number, number];
  image: FloatImage;
}

/** The test-time TransformOptions of TranslateOptions (translate's defaults: keep the size, no flip). */
export function transformOptions(opts: TranslateOptions): TransformOptions {
  return {
    preprocess: opts.preprocess ?? 'none',
    loadSize: opts.loadSize ?? 256,
    cropSize: opts.cropSize ?? 256,
    noFlip: true, // test time: the official test options force --no_flip
  };
}

/** The official test-time transform of one decoded image. Crops are centred (the official test crops at random). */
export function testTransform(img: RawImage, opts: TranslateOptions, label = 'image'): RawImage {
  const t = transformOptions(opts);
  const size = resizedSize(img.width, img.height, t);
  const cropX = Math.max(0, Math.floor((size.width - t.cropSize) / 2));
  const cropY = Math.max(0, Math.floor((size.height - t.cropSize) / 2));
  return applyTransform(img, t, { cropX, cropY, flip: false }, label);
}

/**
 * Runs the generator on one image with values in [-1, 1]; `evalMode` as TranslateOptions.eval. The result is
 * read back asynchronously: tfjs-backend-webgpu's synchronous read returns wrong values in the browser (the
 * web page uses this same function), and an async read keeps a page responsive.
 */
export async function translateImage(net: Network, image: FloatImage, evalMode = false): Promise<FloatImage> {
  const training = !evalMode;
  // Training-mode batch norm would also update the running statistics; translating must not change the model.
  const saved = training && net.buffers.size > 0 ? new Map([...net.buffers].map(([k, v]) => [k, tf.keep(v.clone())])) : undefined;
  let y: tf.Tensor4D | undefined;
  try {
    // The backend's replayed forward where it has one (webgpu: src/backends/webgpu/replay.ts), else net.apply.
    y = tf.tidy(() => inferenceForward(net, imagesToTensor([image]), { training }));
    const [, height, width, channels] = y.shape;
    return { data: (await y.data()) as Float32Array, width, height, channels };
  } finally {
    y?.dispose();
    if (saved) {
      for (const [k, v] of saved) {
        net.buffers.get(k)?.dispose();
        net.buffers.set(k, v);
      }
    }
  }
}

// The size rule is the networks' (src/core/networks/size.ts); re-exported for the page and library users.
export { requiredMultiple, minimumSide } from './networks/size.js';

/** A one-line error when an image cannot go through the network at its size (too small; U-Nets need multiples). */
export function checkSize(net: Network, w: number, h: number, label: string): void {
  const min = minimumSide(net.spec);
  if (net.spec.role === 'generator' && (w < min || h < min)) {
    throw new CycleGANError(`${label}: the image is ${w}x${h} after --preprocess, but ${net.spec.netG} needs at least ${min}x${min}; ` +
      'use a larger image or --preprocess scale_width --load-size 256');
  }
  const m = requiredMultiple(net.spec);
  if (net.spec.role === 'generator' && (w % m !== 0 || h % m !== 0)) {
    throw new CycleGANError(`${label}: ${net.spec.netG} needs a width and height that are multiples of ${m} but the image is ${w}x${h} ` +
      `after --preprocess; resize it or use --preprocess resize_and_crop --load-size ${m} --crop-size ${m}`);
  }
}
