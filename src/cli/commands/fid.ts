// cyclegan fid PATH1 PATH2: FID (and KID) between two folders of images or .npz statistics files, computed
// as `python -m pytorch_fid PATH1 PATH2` computes it (src/metrics/).
import { parseCommand, commonFlags, UsageError, formatFlags, type FlagSpec } from '../args.js';
import {
  BASE_OPTIONS, checkFidDims, computeFid, FID_BATCH_SIZE, FID_DEFAULT_DIMS, FID_DIMS, initBackend, KID_DEFAULTS, pickOptions,
} from '../../index.js';
import { progressPrinter } from './datasets.js';
import { METRIC_FLAGS } from './eval_metrics.js';

// pytorch-fid's flags (--dims, --batch-size, --save-stats), the FID/KID flags shared with eval --metrics, ours
const FLAGS: FlagSpec[] = [
  { name: 'dims', type: 'number', default: FID_DEFAULT_DIMS, help: `Inception features: ${FID_DIMS.join(', ')}` },
  { name: 'batch-size', type: 'number', default: FID_BATCH_SIZE, help: 'images per Inception forward pass' },
  { name: 'kid', type: 'boolean', default: false, help: 'also KID (two image folders): mean and std over random subsets' },
  ...METRIC_FLAGS,
  { name: 'seed', type: 'number', default: KID_DEFAULTS.seed, help: 'KID: seed of the subset draws' },
  { name: 'save-stats', type: 'string', help: 'write PATH1\'s statistics (mu, sigma) to this .npz, as pytorch-fid does' },
  ...commonFlags('cache-dir'),
  { name: 'json', type: 'boolean', default: false, help: 'print {"fid", "n1", "n2"[, "kid_mean", "kid_std"]} as JSON' },
  ...pickOptions(BASE_OPTIONS, ['backend']),
  ...commonFlags('help'),
];

const USAGE = `usage: cyclegan fid PATH1 PATH2 [--dims ${FID_DEFAULT_DIMS}] [--batch-size ${FID_BATCH_SIZE}] [--kid] [--save-stats FILE] [--json]\n` +
  '  each PATH is a folder of images or an .npz statistics file (pytorch-fid\'s mu/sigma layout)';

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'fid', () => `${USAGE}\n\nflags:\n${formatFlags(FLAGS)}`);
  if (!args) return 0;
  if (args.positional.length !== 2) {
    throw new UsageError(`fid needs exactly two paths (folders of images or .npz files), got ${args.positional.length}`);
  }
  const [p1, p2] = args.positional;
  const dims = checkFidDims(args.flags.dims as number);
  const json = Boolean(args.flags.json);
  const progress = progressPrinter();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    await initBackend(String(args.flags.backend));
    const r = await computeFid(p1, p2, {
      dims,
      batchSize: args.flags['batch-size'] as number,
      file: args.flags['inception-weights'] as string | undefined,
      cacheDir: args.flags['cache-dir'] as string | undefined,
      kid: Boolean(args.flags.kid),
      kidSubsets: args.flags['kid-subsets'] as number,
      kidSubsetSize: args.flags['kid-subset-size'] as number,
      seed: args.flags.seed as number,
      saveStats: args.flags['save-stats'] as string | undefined,
      log,
      onDownload: (done, total) => progress.onProgress({ stage: 'downloading Inception weights', done, total, unit: 'bytes' }),
      onImages: (which, done, total) => progress.onProgress({ stage: `Inception features of ${which === 0 ? p1 : p2}`, done, total, unit: 'files' }),
      onKid: (done, total) => progress.onProgress({ stage: 'KID subsets', done, total, unit: 'files' }),
    });
    progress.end();
    if (json) {
      const out: Record<string, number | undefined> = { fid: r.fid, n1: r.n1, n2: r.n2 };
      if (r.kid_mean !== undefined) Object.assign(out, { kid_mean: r.kid_mean, kid_std: r.kid_std });
      console.log(JSON.stringify(out));
    } else {
      console.log(`FID: ${r.fid}`);
      if (r.kid_mean !== undefined) console.log(`KID: ${r.kid_mean} ± ${r.kid_std} (${r.kid_subsets} subsets of ${r.kid_subset_size})`);
    }
    if (args.flags['save-stats']) log(`statistics of ${p1} written to ${args.flags['save-stats']}`);
    return 0;
  } finally {
    progress.end();
  }
}
