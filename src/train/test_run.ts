// The official test.py for a CycleGAN run: both generators of a checkpoint over DATAROOT/testA and testB,
// real → fake → reconstructed for each direction, written as RESULTS/NAME/test_<epoch>/index.html + images/.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANError } from '../errors.js';
import { scanImageFolder, describeSkipped } from '../data/dataset.js';
import { decodeImageU8, u8ToFloat, encodePngBuffer, type FloatImage } from '../data/decode.js';
import { testTransform, translateImage, type TranslateOptions } from '../translate.js';
import type { Network } from '../networks/index.js';
import { writeFileAtomic } from '../atomic.js';
import { loadNets, runPaths } from './run_folder.js';
import { renderPage, type ReportSection } from '../report/html.js';

export interface TestOptions {
  dataroot: string;
  name: string;
  checkpointsDir: string;
  resultsDir: string;
  epoch: string;
  numTest: number;
  phase: string;
  direction: 'AtoB' | 'BtoA';
  preprocess: NonNullable<TranslateOptions['preprocess']>;
  loadSize: number;
  cropSize: number;
  /** official --eval (batch norm running stats, no dropout) */
  eval: boolean;
  log?: (line: string) => void;
}

export interface TestSideResult {
  folder: string;
  processed: number;
  available: number;
  skipped: number;
}

export interface TestResult {
  page: string;
  dir: string;
  A: TestSideResult;
  B: TestSideResult;
  /** per image: input path and the written files */
  images: Array<{ side: 'A' | 'B'; input: string; real: string; fake: string; rec: string }>;
}

async function save(img: FloatImage, file: string): Promise<void> {
  await writeFileAtomic(file, await encodePngBuffer(img.data, img.width, img.height, img.channels));
}

/** Runs the test on already-loaded generators (G_A: A→B, G_B: B→A). */
export async function testWithNets(o: TestOptions, G_A: Network, G_B: Network): Promise<TestResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const dir = path.join(o.resultsDir, o.name, `test_${o.epoch}`);
  const imgDir = path.join(dir, 'images');
  const swap = o.direction === 'BtoA';
  // In model terms: the A side is DATAROOT/<phase>A, or <phase>B with --direction BtoA (official set_input).
  const folders = { A: path.join(o.dataroot, `${o.phase}${swap ? 'B' : 'A'}`), B: path.join(o.dataroot, `${o.phase}${swap ? 'A' : 'B'}`) };
  const tOpts: TranslateOptions = { preprocess: o.preprocess, loadSize: o.loadSize, cropSize: o.cropSize, eval: o.eval };
  const sections: ReportSection[] = [];
  const images: TestResult['images'] = [];
  const sides: Partial<Record<'A' | 'B', TestSideResult>> = {};
  const usedNames = new Set<string>();
  for (const side of ['A', 'B'] as const) {
    const [fwd, back] = side === 'A' ? [G_A, G_B] : [G_B, G_A];
    const scan = await scanImageFolder(folders[side]);
    if (scan.skipped.length) log(`warning: skipped ${scan.skipped.length} unreadable file(s): ${describeSkipped(scan.skipped)}`);
    const todo = scan.images.slice(0, o.numTest);
    const other = side === 'A' ? 'B' : 'A';
    const channels = (fwd.spec.inputNc === 1 ? 1 : 3) as 1 | 3;
    for (const entry of todo) {
      const raw = await decodeImageU8(entry.path, { channels });
      const real = u8ToFloat(testTransform(raw, tOpts, entry.path));
      const fake = await translateImage(fwd, real, o.eval);
      const rec = await translateImage(back, fake, o.eval);
      let base = path.basename(entry.path, path.extname(entry.path));
      while (usedNames.has(`${side}:${base}`)) base += '_';
      usedNames.add(`${side}:${base}`);
      const files = { real: `${base}_real_${side}.png`, fake: `${base}_fake_${other}.png`, rec: `${base}_rec_${side}.png` };
      await save(real, path.join(imgDir, files.real));
      await save(fake, path.join(imgDir, files.fake));
      await save(rec, path.join(imgDir, files.rec));
      images.push({ side, input: entry.path, real: path.join(imgDir, files.real), fake: path.join(imgDir, files.fake), rec: path.join(imgDir, files.rec) });
      sections.push({
        heading: `${path.relative(o.dataroot, entry.path)} (${side} → ${other} → ${side})`,
        rows: [{ images: [
          { src: `images/${files.real}`, label: `real_${side}` },
          { src: `images/${files.fake}`, label: `fake_${other}` },
          { src: `images/${files.rec}`, label: `rec_${side}` },
        ] }],
      });
    }
    sides[side] = { folder: folders[side], processed: todo.length, available: scan.images.length, skipped: scan.skipped.length };
  }
  const A = sides.A!, B = sides.B!;
  const html = renderPage({
    title: `Experiment = ${o.name}, Phase = ${o.phase}, Epoch = ${o.epoch}`,
    info: [
      `${A.processed} of ${A.available} images from ${A.folder} (A → B → A), ${B.processed} of ${B.available} from ${B.folder} (B → A → B).`,
      `Preprocess ${o.preprocess}, load size ${o.loadSize}, crop size ${o.cropSize}${o.eval ? ', eval mode' : ''}.`,
    ],
    sections,
  });
  const page = path.join(dir, 'index.html');
  await writeFileAtomic(page, html);
  return { page, dir, A, B, images };
}

/** Loads G_A and G_B of `epoch` from the run folder and runs the test. */
export async function runTest(o: TestOptions): Promise<TestResult> {
  if (!Number.isInteger(o.numTest) || o.numTest < 1) throw new CycleGANError(`--num-test must be a whole number ≥ 1, got ${o.numTest}`);
  const nets = await loadNets(runPaths(o.checkpointsDir, o.name), o.epoch, ['G_A', 'G_B']);
  try {
    return await testWithNets(o, nets.G_A!, nets.G_B!);
  } finally {
    nets.G_A?.dispose();
    nets.G_B?.dispose();
  }
}

/** Reads a run's opt.json (official snake_case names), or undefined when there is none. */
export async function readRunOptions(checkpointsDir: string, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await fsp.readFile(runPaths(checkpointsDir, name).opt, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
