// `cyclegan datasets list` and `cyclegan datasets get NAME [--out DIR]`.
import { parseCommand, commonFlags, UsageError, type FlagSpec } from '../args.js';
import {
  datasetNames, defaultCacheDir, getDataset, listDatasets, type ProgressEvent, getOfficialDataset,
  isOfficialDataset, OFFICIAL_BASE, OFFICIAL_DATASETS,
} from '../../index.js';

const FLAGS: FlagSpec[] = [
  { name: 'out', type: 'string', help: 'also place the dataset in this folder' },
  ...commonFlags('cache-dir'),
  { name: 'force', type: 'boolean', default: false, help: 'rebuild even if cached' },
  ...commonFlags('mirror'),
  { name: 'keep-downloads', type: 'boolean', default: false, help: 'keep the 1.3 GB FlightGear package after building' },
  { name: 'train-size', type: 'number', help: 'mnist2ink: training images per domain (default 2000; needs --out)' },
  { name: 'test-size', type: 'number', help: 'mnist2ink: test images per domain (default 200; needs --out)' },
  ...commonFlags('help'),
];

const USAGE = `usage: cyclegan datasets list
       cyclegan datasets get NAME [--out DIR] [--cache-dir DIR] [--force] [--keep-downloads] [--mirror URL|DIR]

NAME: a built-in dataset (see list), or an official CycleGAN dataset as datasets/download_cyclegan_dataset.sh
names them, downloaded from the official server (resumable, checked, installed atomically):
  ${OFFICIAL_DATASETS.join(', ')}`;

function fmtBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

/** Progress on stderr: one rewritten line on a terminal, occasional plain lines otherwise. */
export function progressPrinter(): { onProgress: (e: ProgressEvent) => void; end: () => void } {
  const tty = process.stderr.isTTY;
  let lastStage = '', lastPct = -1, open = false;
  return {
    onProgress(e) {
      let line = e.stage;
      let pct = -1;
      if (e.done !== undefined) {
        const done = e.unit === 'bytes' ? fmtBytes(e.done) : String(e.done);
        if (e.total) {
          pct = Math.floor((100 * e.done) / e.total);
          line += `: ${done} / ${e.unit === 'bytes' ? fmtBytes(e.total) : e.total} (${pct}%)`;
        } else line += `: ${done}`;
      }
      if (tty) {
        process.stderr.write(`\r\x1b[K${line}`);
        open = true;
      } else if (e.stage !== lastStage || (pct >= 0 && Math.floor(pct / 10) !== Math.floor(lastPct / 10))) {
        process.stderr.write(`${line}\n`);
      }
      lastStage = e.stage;
      lastPct = pct;
    },
    end() {
      if (tty && open) process.stderr.write('\n');
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'datasets', () => USAGE);
  if (!args) return 0;
  const [sub, name, ...extra] = args.positional;
  if (!sub) {
    console.log(USAGE);
    return 1;
  }
  const cacheDir = (args.flags['cache-dir'] as string | undefined) ?? defaultCacheDir();
  if (sub === 'list') {
    const rows = await listDatasets(cacheDir);
    for (const r of rows) {
      console.log(`${r.name}\n  ${r.description}\n  source: ${r.source} (${r.license}); download: ${r.download}\n  ${r.cachedAt ? `cached: ${r.cachedAt}` : 'not fetched yet'}`);
    }
    console.log(`official CycleGAN datasets (cyclegan datasets get NAME; from ${OFFICIAL_BASE}, or --mirror / $CYCLEGAN_MIRROR):\n  ${OFFICIAL_DATASETS.join(', ')}`);
    console.log(`cache: ${cacheDir}`);
    return 0;
  }
  if (sub === 'get') {
    if (!name) throw new UsageError('datasets get needs a NAME (see: cyclegan datasets list)');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const p = progressPrinter();
    const t0 = Date.now();
    try {
      if (isOfficialDataset(name)) {
        const { path, info, source } = await getOfficialDataset(name, {
          cacheDir, out: args.flags.out as string | undefined, force: args.flags.force as boolean, mirror: args.flags.mirror as string | undefined,
          onProgress: p.onProgress,
        });
        p.end();
        const counts = Object.entries(info.counts).map(([k, v]) => `${k} ${v}`).join(', ');
        console.log(`${name}: ${path} (${counts})${source ? ` from ${source}` : ' (cached)'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return 0;
      }
      if (!datasetNames().includes(name)) {
        throw new UsageError(`unknown dataset '${name}': built-in ${datasetNames().join(', ')}; official ${OFFICIAL_DATASETS.join(', ')}`);
      }
      const { path, info } = await getDataset(name, {
        cacheDir,
        out: args.flags.out as string | undefined,
        force: args.flags.force as boolean,
        keepDownloads: args.flags['keep-downloads'] as boolean,
        trainSize: args.flags['train-size'] as number | undefined,
        testSize: args.flags['test-size'] as number | undefined,
        onProgress: p.onProgress,
      });
      const counts = Object.entries(info.counts).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`${name}: ${path} (${counts}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return 0;
    } finally {
      p.end();
    }
  }
  throw new UsageError(`unknown datasets subcommand '${sub}' (list or get)`);
}
