// The official test.py: RESULTS/NAME/<phase>_<epoch>[_iter<n>]/index.html + images/.
//  - --model cycle_gan: both generators over DATAROOT/<phase>A and <phase>B, real → fake → reconstructed for
//    each direction (<name>_real_A.png, _fake_B.png, _rec_A.png; and _real_B, _fake_A, _rec_B). Deviation:
//    the official unaligned test names the B row after the A image it was paired with; here B images keep
//    their own names.
//  - --model test: one generator <epoch>_net_G<model_suffix> over a single folder (--dataset_mode single:
//    every image under DATAROOT), writing <name>_real.png and <name>_fake.png, as models/test_model.py.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { directionFolders, scanImageFolder, describeSkipped } from '../data/dataset.js';
import { decodeImageU8, u8ToFloat, encodePngBuffer, type FloatImage } from '../data/decode.js';
import { checkSize, testTransform, translateImage, type TranslateOptions } from '../translate.js';
import sharp from 'sharp';
import type { Network, NetworkSpec } from '../core/networks/index.js';
import { writeFileAtomic } from '../atomic.js';
import { loadNets, loadRunNetwork, runPaths } from './run_folder.js';
import { renderPage, type ReportSection } from '../report/html.js';
import { testLabelOf } from './options.js';

export interface TestOptions {
  dataroot: string;
  name: string;
  checkpointsDir: string;
  resultsDir: string;
  epoch: string;
  /** official --load_iter: > 0 loads iter_<n>_net_* and names the folder <phase>_<epoch>_iter<n> */
  loadIter?: number;
  /** official --aspect_ratio of the written images (default 1) */
  aspectRatio?: number;
  /** official --display_winsize: width of the images on the results page (default 256) */
  imageWidth?: number;
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

// The checkpoint label a test loads: the option table's rule (options.ts, which resolveTrainOptions applies too).
export { testLabelOf };

/** The label of the checkpoint to load and the results folder, as test.py names them. */
export function testLabels(o: Pick<TestOptions, 'epoch' | 'loadIter' | 'phase'>): { load: string; dir: string } {
  const it = o.loadIter ?? 0;
  return { load: testLabelOf(o), dir: `${o.phase}_${o.epoch}${it > 0 ? `_iter${it}` : ''}` };
}

/** Where a test writes, as test.py: RESULTS/NAME/<phase>_<epoch>[_iter<n>]/ with index.html and images/. */
export function resultsPaths(o: Pick<TestOptions, 'resultsDir' | 'name' | 'epoch' | 'loadIter' | 'phase'>): { dir: string; images: string; page: string } {
  const dir = path.join(o.resultsDir, o.name, testLabels(o).dir);
  return { dir, images: path.join(dir, 'images'), page: path.join(dir, 'index.html') };
}

/** Writes a result image; --aspect_ratio stretches it as the official save_images does (bicubic). */
async function save(img: FloatImage, file: string, aspectRatio = 1): Promise<void> {
  let png = await encodePngBuffer(img.data, img.width, img.height, img.channels);
  if (aspectRatio !== 1) {
    const w = aspectRatio > 1 ? Math.trunc(img.width * aspectRatio) : img.width;
    const h = aspectRatio < 1 ? Math.trunc(img.height / aspectRatio) : img.height;
    png = await sharp(png).resize(w, h, { fit: 'fill', kernel: 'cubic' }).png().toBuffer();
  }
  await writeFileAtomic(file, png);
}

/** Progress on stderr: one line per image (a test at 256 px takes seconds per image on a CPU). */
function progress(log: (l: string) => void, total: number): (label: string) => void {
  let k = 0;
  const t0 = performance.now();
  return (label) => {
    k++;
    const s = (performance.now() - t0) / 1000;
    log(`  [${k}/${total}] ${label} (${s.toFixed(1)} s)`);
  };
}

/** Runs the test on already-loaded generators (G_A: A→B, G_B: B→A). */
export async function testWithNets(o: TestOptions, G_A: Network, G_B: Network): Promise<TestResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { dir, images: imgDir, page } = resultsPaths(o);
  // In model terms: the A side is DATAROOT/<phase>A, or <phase>B with --direction BtoA (official set_input).
  const folders = directionFolders(o.dataroot, o.phase, o.direction);
  const tOpts: TranslateOptions = { preprocess: o.preprocess, loadSize: o.loadSize, cropSize: o.cropSize, eval: o.eval };
  const sections: ReportSection[] = [];
  const images: TestResult['images'] = [];
  const sides: Partial<Record<'A' | 'B', TestSideResult>> = {};
  const usedNames = new Set<string>();
  const scans = {} as Record<'A' | 'B', Awaited<ReturnType<typeof scanImageFolder>>>;
  for (const side of ['A', 'B'] as const) scans[side] = await scanFolder(folders[side], o.dataroot);
  const step = progress(log, Math.min(o.numTest, scans.A.images.length) + Math.min(o.numTest, scans.B.images.length));
  for (const side of ['A', 'B'] as const) {
    const [fwd, back] = side === 'A' ? [G_A, G_B] : [G_B, G_A];
    const scan = scans[side];
    if (scan.skipped.length) log(`warning: skipped ${scan.skipped.length} unreadable file(s): ${describeSkipped(scan.skipped)}`);
    const todo = scan.images.slice(0, o.numTest);
    const other = side === 'A' ? 'B' : 'A';
    const channels = (fwd.spec.inputNc === 1 ? 1 : 3) as 1 | 3;
    for (const entry of todo) {
      const raw = await decodeImageU8(entry.path, { channels });
      const real = u8ToFloat(testTransform(raw, tOpts, entry.path));
      checkSize(fwd, real.width, real.height, entry.path);
      const fake = await translateImage(fwd, real, o.eval);
      const rec = await translateImage(back, fake, o.eval);
      let base = path.basename(entry.path, path.extname(entry.path));
      while (usedNames.has(`${side}:${base}`)) base += '_';
      usedNames.add(`${side}:${base}`);
      const files = { real: `${base}_real_${side}.png`, fake: `${base}_fake_${other}.png`, rec: `${base}_rec_${side}.png` };
      await save(real, path.join(imgDir, files.real), o.aspectRatio);
      await save(fake, path.join(imgDir, files.fake), o.aspectRatio);
      await save(rec, path.join(imgDir, files.rec), o.aspectRatio);
      step(path.relative(o.dataroot, entry.path));
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
    imageWidth: o.imageWidth,
  });
  await writeFileAtomic(page, html);
  return { page, dir, A, B, images };
}

/** A test folder, with a hint for the official habit of passing DATAROOT/testA to a CycleGAN test. */
async function scanFolder(dir: string, dataroot: string): Promise<Awaited<ReturnType<typeof scanImageFolder>>> {
  try {
    return await scanImageFolder(dir);
  } catch (e) {
    const st = await fsp.stat(dir).catch(() => null);
    if (!st && (await fsp.stat(dataroot).catch(() => null))?.isDirectory()) {
      throw new CycleGANError(`${dir} does not exist: --model cycle_gan tests DATAROOT/<phase>A and <phase>B; ` +
        `for a single folder of images (such as ${dataroot}) use --model test --model_suffix _A (or _B)`);
    }
    throw e;
  }
}

/** Loads G_A and G_B of `epoch` from the run folder and runs the test (specs: to read official .pth files). */
export async function runTest(o: TestOptions, specs?: { G_A: NetworkSpec; G_B: NetworkSpec }): Promise<TestResult> {
  if (!Number.isInteger(o.numTest) || o.numTest < 1) throw new CycleGANError(`--num-test must be a whole number ≥ 1, got ${o.numTest}`);
  const nets = await loadNets(runPaths(o.checkpointsDir, o.name), testLabels(o).load, ['G_A', 'G_B'], specs);
  try {
    return await testWithNets(o, nets.G_A!, nets.G_B!);
  } finally {
    nets.G_A?.dispose();
    nets.G_B?.dispose();
  }
}

export interface SingleTestOptions extends TestOptions {
  /** 'single': every image under DATAROOT; 'unaligned': DATAROOT/<phase>A (<phase>B with BtoA) */
  datasetMode: 'single' | 'unaligned';
  maxDatasetSize?: number;
  /** the network's name in the run folder: G + --model_suffix */
  netName: string;
}

export interface SingleTestResult {
  page: string;
  dir: string;
  folder: string;
  processed: number;
  available: number;
  images: Array<{ input: string; real: string; fake: string }>;
}

/** models/test_model.py over data/single_dataset.py: real → fake with one generator. */
export async function testSingleWithNet(o: SingleTestOptions, G: Network): Promise<SingleTestResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { dir, images: imgDir, page } = resultsPaths(o);
  const folder = o.datasetMode === 'single' ? o.dataroot : directionFolders(o.dataroot, o.phase, o.direction).A;
  const scan = await scanImageFolder(folder, { maxDatasetSize: o.maxDatasetSize });
  if (scan.skipped.length) log(`warning: skipped ${scan.skipped.length} unreadable file(s): ${describeSkipped(scan.skipped)}`);
  const todo = scan.images.slice(0, o.numTest);
  const tOpts: TranslateOptions = { preprocess: o.preprocess, loadSize: o.loadSize, cropSize: o.cropSize, eval: o.eval };
  const channels = (G.spec.inputNc === 1 ? 1 : 3) as 1 | 3;
  const sections: ReportSection[] = [];
  const images: SingleTestResult['images'] = [];
  const used = new Set<string>();
  const step = progress(log, todo.length);
  for (const entry of todo) {
    const real = u8ToFloat(testTransform(await decodeImageU8(entry.path, { channels }), tOpts, entry.path));
    checkSize(G, real.width, real.height, entry.path);
    const fake = await translateImage(G, real, o.eval);
    let base = path.basename(entry.path, path.extname(entry.path));
    while (used.has(base)) base += '_';
    used.add(base);
    const files = { real: `${base}_real.png`, fake: `${base}_fake.png` };
    await save(real, path.join(imgDir, files.real), o.aspectRatio);
    await save(fake, path.join(imgDir, files.fake), o.aspectRatio);
    images.push({ input: entry.path, real: path.join(imgDir, files.real), fake: path.join(imgDir, files.fake) });
    sections.push({
      heading: base,
      rows: [{ images: [{ src: `images/${files.real}`, label: 'real' }, { src: `images/${files.fake}`, label: 'fake' }] }],
    });
    step(path.relative(folder, entry.path) || path.basename(entry.path));
  }
  const html = renderPage({
    title: `Experiment = ${o.name}, Phase = ${o.phase}, Epoch = ${o.epoch}`,
    info: [
      `${todo.length} of ${scan.images.length} images from ${folder} through ${testLabels(o).load}_net_${o.netName} (--model test).`,
      `Preprocess ${o.preprocess}, load size ${o.loadSize}, crop size ${o.cropSize}${o.eval ? ', eval mode' : ''}.`,
    ],
    sections,
    imageWidth: o.imageWidth,
  });
  await writeFileAtomic(page, html);
  return { page, dir, folder, processed: todo.length, available: scan.images.length, images };
}

/** Loads <epoch>_net_G<suffix> (ours, or an official .pth with `spec`) and runs the one-generator test. */
export async function runSingleTest(o: SingleTestOptions, spec?: NetworkSpec): Promise<SingleTestResult & { converted: boolean }> {
  if (!Number.isInteger(o.numTest) || o.numTest < 1) throw new CycleGANError(`--num-test must be a whole number ≥ 1, got ${o.numTest}`);
  const { net, converted } = await loadRunNetwork(runPaths(o.checkpointsDir, o.name).root, testLabels(o).load, o.netName, spec);
  try {
    if (net.spec.role !== 'generator') throw new CycleGANError(`${o.netName} of ${o.name} is not a generator`);
    return { ...(await testSingleWithNet(o, net)), converted };
  } finally {
    net.dispose();
  }
}
