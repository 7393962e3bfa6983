// Translating image files with a generator, as the official test pipeline does for one direction:
// decode (PIL convert('RGB') / 'L'), the test-time transform (no flip), x/127.5 − 1, forward, util.tensor2im
// ((y + 1) / 2 · 255, truncated to uint8), PNG. The in-memory part (no Node) is ./translate_image.ts,
// re-exported here.
import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { CycleGANError } from './core/errors.js';
import type { Network } from './core/networks/index.js';
import { decodeImageU8, encodePngBuffer, u8ToFloat } from './data/image.js';
import { resizedSize } from './core/data/transforms.js';
import { writeFileAtomic } from './atomic.js';
import { listImageFiles } from './data/image_files.js';
import { checkSize, testTransform, transformOptions, translateImage, type TranslatedImage, type TranslateOptions } from './core/translate_image.js';

export * from './core/translate_image.js';

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
