// Evaluation on a task with ground truth (the built-in mnist2ink digits): translate every test image and
// compare it with its true counterpart by PSNR and SSIM (src/data/metrics.ts), on 8-bit images as
// util.tensor2im writes them.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { directionFolders, scanImageFolder } from '../data/dataset.js';
import { decodeImageU8, floatToU8, u8ToFloat } from '../data/decode.js';
import { psnrImages, ssim } from '../data/metrics.js';
import { testTransform, translateImage, type TranslateOptions } from '../translate.js';
import type { Network } from '../core/networks/index.js';
import { defaultOf, TEST_OPTIONS } from './options.js';
import { readDatasetInfo } from '../data/builtin.js';

export interface EvalOptions {
  dataroot: string;
  direction: 'AtoB' | 'BtoA';
  phase?: string;
  /** at most this many test images (default all) */
  numTest?: number;
  preprocess?: NonNullable<TranslateOptions['preprocess']>;
  loadSize?: number;
  cropSize?: number;
  eval?: boolean;
}

export interface EvalResult {
  n: number;
  psnr: number;
  ssim: number;
  /** folders used */
  inputs: string;
  truth: string;
}

/**
 * The truth folder of a direction: dataset.json's `truth` entry if present (built-in datasets write it),
 * else the convention <phase>B_truth for AtoB and <phase>A_truth for BtoA.
 */
export async function truthFolder(dataroot: string, direction: 'AtoB' | 'BtoA', phase = String(defaultOf(TEST_OPTIONS, 'phase'))): Promise<string> {
  let name = direction === 'AtoB' ? `${phase}B_truth` : `${phase}A_truth`;
  // no dataset.json (or not one of ours): the convention
  const info = await readDatasetInfo(dataroot);
  if (info?.truth?.[direction]) name = info.truth[direction];
  const dir = path.join(dataroot, name);
  const st = await fsp.stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    throw new CycleGANError(`${dir} does not exist: eval needs a dataset with ground truth (e.g. 'cyclegan datasets get mnist2ink')`);
  }
  return dir;
}

/** PSNR and SSIM (means over the images) of net(input) against the truth image of the same name. */
export async function evaluate(net: Network, o: EvalOptions): Promise<EvalResult> {
  const phase = o.phase ?? String(defaultOf(TEST_OPTIONS, 'phase'));
  const inputs = directionFolders(o.dataroot, phase, o.direction).A;
  const truth = await truthFolder(o.dataroot, o.direction, phase);
  const scan = await scanImageFolder(inputs);
  const todo = scan.images.slice(0, o.numTest ?? Infinity);
  const tOpts: TranslateOptions = { preprocess: o.preprocess ?? 'none', loadSize: o.loadSize, cropSize: o.cropSize, eval: o.eval };
  const inC = (net.spec.inputNc === 1 ? 1 : 3) as 1 | 3;
  const outC = (net.spec.role === 'generator' && net.spec.outputNc === 1 ? 1 : 3) as 1 | 3;
  let sumP = 0, sumS = 0, n = 0;
  for (const e of todo) {
    const truthPath = path.join(truth, path.relative(inputs, e.path));
    const tExists = await fsp.stat(truthPath).catch(() => null);
    if (!tExists) throw new CycleGANError(`no ground truth for ${e.path} (expected ${truthPath})`);
    const real = u8ToFloat(testTransform(await decodeImageU8(e.path, { channels: inC }), tOpts, e.path));
    const fake = floatToU8(await translateImage(net, real, o.eval));
    const t = testTransform(await decodeImageU8(truthPath, { channels: outC }), tOpts, truthPath);
    if (t.width !== fake.width || t.height !== fake.height) {
      throw new CycleGANError(`${truthPath} is ${t.width}x${t.height} after preprocessing, the translation ${fake.width}x${fake.height}`);
    }
    const p = psnrImages(fake, t);
    sumP += Number.isFinite(p) ? p : 100; // identical images: cap, so one perfect image does not make the mean infinite
    sumS += ssim(fake, t);
    n++;
  }
  if (n === 0) throw new CycleGANError(`no test images in ${inputs}`);
  return { n, psnr: sumP / n, ssim: sumS / n, inputs, truth };
}
