// FID/KID of a run's translations (`cyclegan eval --metrics fid,kid`): each generator translates its test
// folder, and the translations — as 8-bit images, what `cyclegan test` saves and what pytorch-fid would read
// back — are scored against the real images of the target domain (fake_B vs <phase>B, fake_A vs <phase>A).
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { readFileIfExists } from '../read_file.js';
import { MAX_RESULTS_PAGE_BYTES } from '../core/limits.js';
import { describeSkipped, scanImageFolder } from '../data/dataset.js';
import { decodeImageU8, floatToU8, u8ToFloat } from '../data/decode.js';
import { escapeHtml } from '../report/html.js';
import { checkSize, testTransform, translateImage, type TranslateOptions } from '../translate.js';
import type { Network } from '../core/networks/index.js';
import { FID_DEFAULT_DIMS, type FidInception } from './inception.js';
import { frechetDistanceOfFeatures, kernelInceptionDistance, type Features, type KidChoice } from './fid.js';
import { checkFidSetSize, FID_BATCH_SIZE, featuresOfBatches, featuresOfFiles, listFidImages } from './index.js';

export interface TranslationSide {
  /** 'fake_B' (G_A over the A images) or 'fake_A' (G_B over the B images) */
  label: string;
  net: Network;
  /** folder of the generator's inputs */
  inputs: string;
  /** folder of real images of the target domain */
  real: string;
}

export interface SideScores {
  label: string;
  inputs: string;
  real: string;
  n_fake: number;
  n_real: number;
  fid: number;
  kid_mean?: number;
  kid_std?: number;
}

export interface RunScoreOptions extends KidChoice {
  tOpts: TranslateOptions;
  /** at most this many translated images per side */
  numTest?: number;
  batchSize?: number;
  log?: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Features of net(input) for each input file, the translation quantised to 8 bits as util.tensor2im does. */
async function translatedFeatures(inception: FidInception, side: TranslationSide, files: string[], o: RunScoreOptions): Promise<Features> {
  const channels = (side.net.spec.inputNc === 1 ? 1 : 3) as 1 | 3;
  return featuresOfBatches(inception, files.length, FID_DEFAULT_DIMS, o.batchSize ?? FID_BATCH_SIZE, async (start, count, put) => {
    for (let k = 0; k < count; k++) {
      const file = files[start + k];
      const real = u8ToFloat(testTransform(await decodeImageU8(file, { channels }), o.tOpts, file));
      checkSize(side.net, real.width, real.height, file);
      const fake = floatToU8(await translateImage(side.net, real, o.tOpts.eval));
      let rgb = fake.data;
      if (fake.channels === 1) {
        // PIL's convert('RGB') of a greyscale image, as pytorch-fid would read the saved PNG
        rgb = new Uint8Array(fake.data.length * 3);
        for (let j = 0; j < fake.data.length; j++) rgb[3 * j] = rgb[3 * j + 1] = rgb[3 * j + 2] = fake.data[j];
      }
      put(k, rgb, fake.width, fake.height);
      o.onProgress?.(`translating and scoring ${side.label}`, start + k + 1, files.length);
    }
  });
}

/** FID (and KID) of each side's translations against the real images of its target domain. */
export async function scoreTranslations(inception: FidInception, sides: TranslationSide[], o: RunScoreOptions): Promise<SideScores[]> {
  const out: SideScores[] = [];
  for (const side of sides) {
    const scan = await scanImageFolder(side.inputs);
    if (scan.skipped.length) o.log?.(`warning: skipped ${scan.skipped.length} unreadable file(s): ${describeSkipped(scan.skipped, 5)}`);
    const files = scan.images.slice(0, o.numTest ?? Infinity).map((e) => e.path);
    checkFidSetSize(side.inputs, files.length);
    const fake = await translatedFeatures(inception, side, files, o);
    const real = await listFidImages(side.real);
    checkFidSetSize(side.real, real.files.length);
    const realF = await featuresOfFiles(inception, real.files, {
      dims: FID_DEFAULT_DIMS, batchSize: o.batchSize, onProgress: (d, t) => o.onProgress?.(`Inception features of ${side.real}`, d, t),
    });
    const s: SideScores = {
      label: side.label, inputs: side.inputs, real: side.real, n_fake: fake.n, n_real: realF.n,
      fid: frechetDistanceOfFeatures(fake, realF),
    };
    if (o.kid) {
      const k = await kernelInceptionDistance(fake, realF, {
        subsets: o.kidSubsets, subsetSize: o.kidSubsetSize, seed: o.seed, onProgress: (d, t) => o.onProgress?.(`KID ${side.label}`, d, t),
      });
      s.kid_mean = k.mean;
      s.kid_std = k.std;
    }
    out.push(s);
  }
  return out;
}

/** Lines describing the scores (for the console and the results page). */
export function describeScores(r: { psnr?: number; ssim?: number; n?: number; scores?: SideScores[] }): string[] {
  const lines: string[] = [];
  if (r.psnr !== undefined) lines.push(`PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim!.toFixed(4)} (${r.n} images against the ground truth)`);
  for (const s of r.scores ?? []) {
    lines.push(`${s.label}:${s.fid !== undefined ? ` FID ${s.fid.toFixed(4)}` : ''}${s.kid_mean !== undefined ? `  KID ${s.kid_mean.toFixed(6)} ± ${s.kid_std!.toFixed(6)}` : ''}` +
      ` (${s.n_fake} translations of ${s.inputs} vs ${s.n_real} real images of ${s.real})`);
  }
  return lines;
}

/**
 * Puts the metric lines at the top of an existing results page (`cyclegan test`'s index.html), replacing
 * those of an earlier eval; a missing page is left alone. Returns whether the page was updated.
 */
export async function addMetricsToPage(page: string, lines: string[]): Promise<boolean> {
  const html = (await readFileIfExists(page, { what: 'results page', maxBytes: MAX_RESULTS_PAGE_BYTES }))?.toString('utf8');
  if (html === undefined) return false;
  const block = `<div id="cg-metrics">${lines.map((l) => `<p><b>${escapeHtml(l)}</b></p>`).join('')}</div>`;
  const next = /<div id="cg-metrics">[\s\S]*?<\/div>/.test(html)
    ? html.replace(/<div id="cg-metrics">[\s\S]*?<\/div>/, block)
    : html.replace(/(<\/h1>)/, `$1\n${block}`);
  if (next === html && !html.includes(block)) return false;
  await writeFileAtomic(page, next);
  return true;
}

export function evalResultFile(runDir: string, label: string): string {
  return path.join(runDir, `eval_${label}.json`);
}
