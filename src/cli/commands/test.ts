// cyclegan test --dataroot DIR --name NAME [--epoch latest] [--results-dir ./results] [--num-test 50]
import { parseArgs, requireString, formatFlags } from '../args.js';
import { CycleGANError } from '../../errors.js';
import { initBackend } from '../../backends/index.js';
import { PREPROCESS } from '../../train/options.js';
import { readRunOptions, runTest } from '../../train/test_run.js';

export const summary = 'run a trained model over DATAROOT/testA and testB and write an HTML page of the results';

const FLAGS = [
  { name: 'dataroot', type: 'string' as const, help: 'folder with testA and testB' },
  { name: 'name', type: 'string' as const, help: 'the run to test' },
  { name: 'checkpoints-dir', type: 'string' as const, default: './checkpoints' },
  { name: 'results-dir', type: 'string' as const, default: './results' },
  { name: 'epoch', type: 'string' as const, default: 'latest', help: 'which checkpoint: latest, an epoch number or iter_<n>' },
  { name: 'num-test', type: 'number' as const, default: 50, help: 'images per domain' },
  { name: 'phase', type: 'string' as const, default: 'test' },
  { name: 'direction', type: 'string' as const, help: 'default: the run\'s' },
  { name: 'preprocess', type: 'string' as const, help: 'default: the run\'s' },
  { name: 'load-size', type: 'number' as const, help: 'default: the crop size (official test default)' },
  { name: 'crop-size', type: 'number' as const, help: 'default: the run\'s' },
  { name: 'eval', type: 'boolean' as const, default: false, help: 'batch norm running stats, no dropout (official --eval)' },
  { name: 'backend', type: 'string' as const, default: 'auto' },
  { name: 'help', type: 'boolean' as const, default: false },
];

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    console.log('usage: cyclegan test --dataroot DIR --name NAME [--epoch latest] [--results-dir ./results] [--num-test 50]\n' +
      formatFlags(FLAGS));
    return 0;
  }
  if (args.positional.length) throw new CycleGANError(`unexpected argument '${args.positional[0]}'`);
  const dataroot = requireString(args, 'dataroot');
  const name = requireString(args, 'name');
  const checkpointsDir = String(args.flags['checkpoints-dir']);
  const saved = (await readRunOptions(checkpointsDir, name)) ?? {};
  const pick = <T>(flag: string, official: string, def: T): T => (args.flags[flag] ?? saved[official] ?? def) as T;
  const direction = pick<string>('direction', 'direction', 'AtoB');
  if (direction !== 'AtoB' && direction !== 'BtoA') throw new CycleGANError(`--direction must be AtoB or BtoA, got '${direction}'`);
  const preprocess = pick<string>('preprocess', 'preprocess', 'resize_and_crop');
  if (!(PREPROCESS as readonly string[]).includes(preprocess)) throw new CycleGANError(`--preprocess must be one of ${PREPROCESS.join(', ')}; got '${preprocess}'`);
  const cropSize = pick<number>('crop-size', 'crop_size', 256);
  const loadSize = (args.flags['load-size'] as number | undefined) ?? cropSize;
  for (const [f, v] of [['crop-size', cropSize], ['load-size', loadSize], ['num-test', args.flags['num-test']]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new CycleGANError(`--${f} must be a whole number ≥ 1, got ${String(v)}`);
  }
  const backend = await initBackend(String(args.flags.backend));
  const t0 = performance.now();
  const r = await runTest({
    dataroot, name, checkpointsDir, resultsDir: String(args.flags['results-dir']), epoch: String(args.flags.epoch),
    numTest: args.flags['num-test'] as number, phase: String(args.flags.phase), direction,
    preprocess: preprocess as 'none', loadSize, cropSize, eval: Boolean(args.flags.eval),
  });
  console.log(`processed ${r.A.processed} of ${r.A.available} images in ${r.A.folder} and ${r.B.processed} of ${r.B.available} in ${r.B.folder} ` +
    `(${((performance.now() - t0) / 1000).toFixed(1)} s on ${backend})`);
  console.log(`results: ${r.page}`);
  return 0;
}
