// The official CycleGAN datasets and pretrained generators, from the server that the official scripts
// (datasets/download_cyclegan_dataset.sh, scripts/download_cyclegan_model.sh) download from, or from a mirror
// (--mirror URL_OR_FOLDER, or $CYCLEGAN_MIRROR) with the same layout: <base>/datasets/NAME.zip and
// <base>/pretrained_models/NAME.pth (a local folder may also hold NAME.zip / NAME.pth directly).
// Downloads resume (HTTP Range, through a .part file, also across runs; src/data/http_download.ts); a dataset
// archive is checked entry by entry (CRC-32, safe names, a trainA/trainB-style layout) and a model by loading
// it into the architecture of the official pretrained generators; only then is anything installed, by renaming
// a finished temporary folder / file into the cache. A corrupt download is deleted and named in one line.
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { CycleGANError } from '../core/errors.js';
import { writeFileAtomic } from '../atomic.js';
import { readFileBounded } from '../read_file.js';
import { maxDatasetZipBytes, ZIP_LIMIT_HINT } from '../core/limits.js';
import { ZipReader, ZipError } from '../weights/zip.js';
import { readTorchStateDict } from '../weights/torch_pth.js';
import { networkFromStateDict, readModelBytes, saveNetwork } from '../weights/network_file.js';
import type { GeneratorSpec } from '../core/networks/index.js';
import { downloadFile } from './http_download.js';
import { listImageFiles } from './image_files.js';
import { netFile } from '../train/run_folder.js';
import { DEFAULT_TRANSFORM } from '../core/data/transforms.js';
import { defaultCacheDir, readDatasetInfo, type DatasetInfo, type ProgressEvent } from './builtin.js';

/** The server of the official download scripts. */
export const OFFICIAL_BASE = 'http://efrosgans.eecs.berkeley.edu/cyclegan';

/** datasets/download_cyclegan_dataset.sh's names (cityscapes is not served: see CITYSCAPES). */
export const OFFICIAL_DATASETS = ['apple2orange', 'summer2winter_yosemite', 'horse2zebra', 'monet2photo', 'cezanne2photo', 'ukiyoe2photo',
  'vangogh2photo', 'maps', 'cityscapes', 'facades', 'iphone2dslr_flower', 'ae_photos', 'mini', 'mini_pix2pix', 'mini_colorization', 'grumpifycat'] as const;

const CITYSCAPES = 'the official server does not provide cityscapes (license): download it from https://www.cityscapes-dataset.com ' +
  'and convert it with the official datasets/prepare_cityscapes_dataset.py';

/** scripts/download_cyclegan_model.sh's names. */
export const OFFICIAL_PRETRAINED = ['apple2orange', 'orange2apple', 'summer2winter_yosemite', 'winter2summer_yosemite', 'horse2zebra', 'zebra2horse',
  'monet2photo', 'style_monet', 'style_cezanne', 'style_ukiyoe', 'style_vangogh', 'sat2map', 'map2sat', 'cityscapes_photo2label',
  'cityscapes_label2photo', 'facades_photo2label', 'facades_label2photo', 'iphone2dslr_flower'] as const;

/** The official pretrained CycleGAN generators: resnet_9blocks, ngf 64, instance norm, no dropout. */
export const PRETRAINED_SPEC: GeneratorSpec = { role: 'generator', netG: 'resnet_9blocks', inputNc: 3, outputNc: 3, ngf: 64, norm: 'instance', useDropout: false };

export interface OfficialGetOptions {
  cacheDir?: string;
  /** base URL (http/https) or local folder with the official layout; default $CYCLEGAN_MIRROR, else the official server */
  mirror?: string;
  force?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  retries?: number;
}

export function isOfficialDataset(name: string): boolean {
  return (OFFICIAL_DATASETS as readonly string[]).includes(name);
}

function base(mirror?: string): string {
  return (mirror ?? process.env.CYCLEGAN_MIRROR ?? OFFICIAL_BASE).replace(/\/+$/, '');
}

function suggest(name: string, names: readonly string[]): string {
  const near = names.filter((n) => n.includes(name) || name.includes(n.split('2')[0]));
  return near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : '';
}

/** Fetches <base>/<sub>/<file> (or <folder>/<file> for a local mirror) into `dest`, resumably; returns the source. */
async function fetchTo(sub: string, file: string, dest: string, o: OfficialGetOptions): Promise<string> {
  const b = base(o.mirror);
  const progress = (done: number, total: number | undefined) => o.onProgress?.({ stage: `downloading ${file}`, done, total, unit: 'bytes' });
  if (/^https?:\/\//i.test(b)) {
    const url = `${b}/${sub}/${file}`;
    await downloadFile(url, dest, { hashPrefix: null, onProgress: progress, retries: o.retries });
    return url;
  }
  const folder = b.startsWith('file://') ? new URL(b).pathname : b;
  for (const src of [path.join(folder, sub, file), path.join(folder, file)]) {
    const st = await fsp.stat(src).catch(() => null);
    if (!st?.isFile()) continue;
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    const part = `${dest}.part`;
    let done = 0;
    const out = await fsp.open(part, 'w');
    try {
      for await (const chunk of createReadStream(src)) {
        await out.write(chunk as Buffer);
        done += (chunk as Buffer).length;
        progress(done, st.size);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await fsp.rename(part, dest);
    return src;
  }
  throw new CycleGANError(`mirror ${folder} has neither ${path.join(sub, file)} nor ${file}`);
}

function safeEntryName(name: string): boolean {
  return !name.startsWith('/') && !/^[A-Za-z]:/.test(name) && !name.split(/[\\/]/).includes('..') && !name.includes('\0');
}

/** Extracts a checked archive into `dir` (every entry's CRC verified); returns the number of files. */
async function extractZip(zip: ZipReader, dir: string, onProgress?: (e: ProgressEvent) => void): Promise<number> {
  const entries = [...zip.entries.values()].filter((e) => !e.name.startsWith('__MACOSX/') && !path.basename(e.name).startsWith('._'));
  let n = 0;
  for (const e of entries) {
    if (!safeEntryName(e.name)) throw new ZipError(`unsafe entry name '${e.name}'`);
    const target = path.join(dir, e.name);
    if (e.name.endsWith('/')) {
      await fsp.mkdir(target, { recursive: true });
      continue;
    }
    const data = zip.read(e.name);
    if ((crc32(data) >>> 0) !== e.crc) throw new ZipError(`entry ${e.name} fails its CRC-32 check`);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(target, data);
    n++;
    if (n % 50 === 0 || n === entries.length) onProgress?.({ stage: 'extracting', done: n, total: entries.length, unit: 'files' });
  }
  return n;
}

/**
 * An official dataset in the cache (CACHE/datasets/NAME, with dataset.json), downloaded and checked if needed;
 * `out` also places a copy there. Returns its folder and info.
 */
export async function getOfficialDataset(name: string, o: OfficialGetOptions & { out?: string } = {}): Promise<{ path: string; info: DatasetInfo; source?: string }> {
  if (!isOfficialDataset(name)) throw new CycleGANError(`unknown official dataset '${name}'${suggest(name, OFFICIAL_DATASETS)}; official: ${OFFICIAL_DATASETS.join(', ')}`);
  if (name === 'cityscapes') throw new CycleGANError(CITYSCAPES);
  const cacheDir = path.resolve(o.cacheDir ?? defaultCacheDir());
  const finalDir = path.join(cacheDir, 'datasets', name);
  let info = o.force ? null : await readDatasetInfo(finalDir);
  let source: string | undefined;
  if (!info) {
    const zipFile = path.join(cacheDir, 'downloads', `${name}.zip`);
    source = await fetchTo('datasets', `${name}.zip`, zipFile, o);
    const tmp = await fsp.mkdtemp(path.join(cacheDir, 'datasets', `.tmp-${name}-`)).catch(async () => {
      await fsp.mkdir(path.join(cacheDir, 'datasets'), { recursive: true });
      return fsp.mkdtemp(path.join(cacheDir, 'datasets', `.tmp-${name}-`));
    });
    try {
      let zip: ZipReader;
      try {
        zip = new ZipReader(new Uint8Array(await readFileBounded(zipFile, { what: 'dataset archive', maxBytes: maxDatasetZipBytes(), limitHint: ZIP_LIMIT_HINT })));
        await extractZip(zip, tmp, o.onProgress);
      } catch (e) {
        if (!(e instanceof ZipError)) throw e;
        await fsp.rm(zipFile, { force: true });
        throw new CycleGANError(`${source}: corrupt archive (${e.message}); deleted it, nothing was installed: run again to download it anew`);
      }
      // The archives hold one folder NAME/ with trainA, trainB, testA, testB (some only test or train).
      const root = (await fsp.stat(path.join(tmp, name)).catch(() => null))?.isDirectory() ? path.join(tmp, name) : tmp;
      const subdirs = (await fsp.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      if (!subdirs.some((d) => /A$/.test(d)) && !['mini_pix2pix', 'mini_colorization', 'facades'].includes(name)) {
        await fsp.rm(zipFile, { force: true });
        throw new CycleGANError(`${source}: the archive has no <phase>A folder (found: ${subdirs.join(', ') || 'nothing'}); deleted it, nothing was installed`);
      }
      const counts: Record<string, number> = {};
      for (const d of subdirs.sort()) counts[d] = (await listImageFiles(path.join(root, d))).files.length;
      const full: DatasetInfo = {
        name, version: 1, description: `official CycleGAN dataset ${name}`, source: source, license: 'see the official CycleGAN repository',
        counts, recommended: { preprocess: DEFAULT_TRANSFORM.preprocess, loadSize: DEFAULT_TRANSFORM.loadSize, cropSize: DEFAULT_TRANSFORM.cropSize, inputNc: 3, outputNc: 3 }, builtAt: new Date().toISOString(),
      };
      await writeFileAtomic(path.join(root, 'dataset.json'), JSON.stringify(full, null, 2) + '\n');
      await fsp.rm(finalDir, { recursive: true, force: true });
      await fsp.rename(root, finalDir);
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
    await fsp.rm(zipFile, { force: true }); // as the official script: the archive goes once unpacked
    info = (await readDatasetInfo(finalDir))!;
  }
  if (o.out) {
    const out = path.resolve(o.out);
    if ((await fsp.readdir(out).catch(() => [])).length > 0 && (await readDatasetInfo(out))?.name !== name) {
      throw new CycleGANError(`--out ${out} exists and is not the ${name} dataset; choose another folder`);
    }
    o.onProgress?.({ stage: `copying to ${out}` });
    const tmp = `${out}.tmp-${process.pid}`;
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.cp(finalDir, tmp, { recursive: true });
    await fsp.rm(out, { recursive: true, force: true });
    await fsp.rename(tmp, out);
    return { path: out, info, source };
  }
  return { path: finalDir, info, source };
}

export interface PretrainedResult {
  /** the converted generator (CACHE/pretrained/NAME.safetensors) */
  model: string;
  /** CHECKPOINTS/NAME_pretrained/latest_net_G.safetensors, as the official script's layout */
  runFile?: string;
  source?: string;
}

/**
 * An official pretrained generator as a ready model file: downloaded (resumably), converted with the
 * architecture of the official pretrained models (or `spec`), then installed atomically; with
 * `checkpointsDir`, also as CHECKPOINTS/NAME_pretrained/latest_net_G.safetensors for `cyclegan test --model test`.
 */
export async function getPretrained(name: string, o: OfficialGetOptions & { checkpointsDir?: string; spec?: GeneratorSpec } = {}): Promise<PretrainedResult> {
  if (!(OFFICIAL_PRETRAINED as readonly string[]).includes(name)) {
    throw new CycleGANError(`unknown official pretrained model '${name}'${suggest(name, OFFICIAL_PRETRAINED)}; official: ${OFFICIAL_PRETRAINED.join(', ')}`);
  }
  const cacheDir = path.resolve(o.cacheDir ?? defaultCacheDir());
  const model = path.join(cacheDir, 'pretrained', `${name}.safetensors`);
  let source: string | undefined;
  if (o.force || !(await fsp.stat(model).catch(() => null))) {
    const pth = path.join(cacheDir, 'downloads', 'pretrained', `${name}.pth`);
    source = await fetchTo('pretrained_models', `${name}.pth`, pth, o);
    o.onProgress?.({ stage: `converting ${name}.pth` });
    let net;
    try {
      const sd = await readTorchStateDict(pth, { source }); // bounded as any .pth; messages name the download's source
      net = networkFromStateDict(o.spec ?? PRETRAINED_SPEC, sd, '--netG, --ngf, --norm (official pretrained models: resnet_9blocks, 64, instance)', source);
    } catch (e) {
      await fsp.rm(pth, { force: true });
      if (e instanceof CycleGANError) throw new CycleGANError(`${e.message}; the download was deleted, nothing was installed`);
      throw e;
    }
    try {
      await fsp.mkdir(path.dirname(model), { recursive: true });
      await saveNetwork(net, model);
    } finally {
      net.dispose();
    }
    await fsp.rm(pth, { force: true });
  }
  let runFile: string | undefined;
  if (o.checkpointsDir) {
    runFile = netFile(path.join(o.checkpointsDir, `${name}_pretrained`), 'latest', 'G');
    await fsp.mkdir(path.dirname(runFile), { recursive: true });
    await writeFileAtomic(runFile, await readModelBytes(model));
  }
  return { model, runFile, source };
}
