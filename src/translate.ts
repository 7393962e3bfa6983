// Translating image files with a generator, as the official test pipeline does for one direction:
// decode (PIL convert('RGB') / 'L'), the test-time transform (no flip), x/127.5 − 1, forward, util.tensor2im
// ((y + 1) / 2 · 255, truncated to uint8), PNG.
import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { CycleGANError } from './errors.js';
import { tf } from './tf.js';
import type { Network } from './networks/index.js';
import { minimumSide, requiredMultiple } from './networks/size.js';
import { decodeImageU8, encodePngBuffer, imagesToTensor, u8ToFloat, type FloatImage, type RawImage } from './data/image.js';
import { applyTransform, resizedSize, type Preprocess, type TransformOptions } from './data/transforms.js';
import { writeFileAtomic } from './atomic.js';
import { listImageFiles } from './data/image_files.js';

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

/** What translateFiles reports per file (the pixels are on disk, not kept in memory). */
export interface TranslatedFile {
  input: string;
  output: string;
  inputSize: [number, number];
  size: [number, number];
}

/**
 * Files as given, folders walked for image files by the data layer's one walker and extension list
 * (listImageFiles: sorted, recursive, like the official make_dataset; the same files training would read).
 */
export async function collectInputs(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const { files, skipped } = await listImageFiles(dir);
    if (skipped.length > 0) throw new CycleGANError(`cannot list ${skipped[0].path} (${skipped[0].reason}); check its permissions`);
    out.push(...files);
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new CycleGANError(`input ${p} does not exist`);
    }
    if (st.isDirectory()) {
      const before = out.length;
      await walk(p);
      if (out.length === before) throw new CycleGANError(`input folder ${p} holds no image files`);
    } else out.push(p);
  }
  return out;
}

/** Output name: DIR/<input file name without extension>.png; two inputs with one name would overwrite. */
export function outputPaths(inputs: string[], outDir: string): string[] {
  const seen = new Map<string, string>();
  return inputs.map((inp) => {
    const name = `${basename(inp, extname(inp))}.png`;
    const prev = seen.get(name);
    if (prev !== undefined && resolve(prev) !== resolve(inp)) {
      throw new CycleGANError(`inputs ${prev} and ${inp} would both be written as ${join(outDir, name)}; translate them separately`);
    }
    seen.set(name, inp);
    return join(outDir, name);
  });
}

function transformOptions(opts: TranslateOptions): TransformOptions {
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
    y = tf.tidy(() => net.apply(imagesToTensor([image]), { training }));
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

/** Decodes, transforms and translates one file; nothing is written. */
export async function translateFile(net: Network, input: string, opts: TranslateOptions = {}): Promise<TranslatedImage> {
  if (net.spec.role !== 'generator') throw new CycleGANError(`the model is a discriminator (${net.spec.netD}), not a generator`);
  const channels = net.spec.inputNc === 1 ? 1 : 3;
  if (net.spec.inputNc !== 1 && net.spec.inputNc !== 3) {
    throw new CycleGANError(`the model takes ${net.spec.inputNc} input channels; only 1 (greyscale) and 3 (RGB) images can be translated`);
  }
  const raw = await decodeImageU8(input, { channels });
  // checked on the resized size first: --preprocess none rounds a 1-pixel image to 0x0
  const resized = resizedSize(raw.width, raw.height, transformOptions(opts));
  checkSize(net, resized.width, resized.height, input);
  const x = testTransform(raw, opts, input);
  checkSize(net, x.width, x.height, input);
  const image = await translateImage(net, u8ToFloat(x), opts.eval ?? false);
  return { input, inputSize: [raw.width, raw.height], size: [image.width, image.height], image };
}

// The size rule is the networks' (src/networks/size.ts); re-exported for the page and library users.
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

/** Translates files and writes DIR/<name>.png for each; `onImage` reports progress. */
export async function translateFiles(net: Network, inputs: string[], outDir: string, opts: TranslateOptions = {},
                                     onImage?: (r: TranslatedFile, index: number, total: number) => void): Promise<TranslatedFile[]> {
  const outs = outputPaths(inputs, outDir);
  const results: TranslatedFile[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const { image, ...info } = await translateFile(net, inputs[i], opts);
    await writeFileAtomic(outs[i], await encodePngBuffer(image.data, image.width, image.height, image.channels));
    const r = { ...info, output: outs[i] };
    results.push(r);
    onImage?.(r, i, inputs.length);
  }
  return results;
}
