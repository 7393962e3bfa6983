// cyclegan demo: the flags; the workflow is src/train/demo.ts, its plan src/train/demo_plan.ts.
import { parseCommand, commonFlags, formatFlags, type FlagSpec } from '../args.js';
import {
  CycleGANError, pickOptions, TRAIN_OPTIONS, TEST_OPTIONS, runDemo, DEMO_DEFAULTS,
} from '../../index.js';

const FLAGS: FlagSpec[] = [
  { name: 'dataset', type: 'string', default: DEMO_DEFAULTS.dataset, help: 'built-in dataset (cyclegan datasets list)' },
  { name: 'out', type: 'string', default: './cyclegan-demo', help: 'folder for the run and the results' },
  { name: 'minutes', type: 'number', default: DEMO_DEFAULTS.minutes, help: 'training time budget' },
  ...pickOptions(TRAIN_OPTIONS, ['ngf', 'seed', 'backend'], { ngf: DEMO_DEFAULTS.ngf, seed: DEMO_DEFAULTS.seed })
    .map((d) => (d.name === 'ngf' ? { ...d, help: 'generator (and discriminator) width' } : d.name === 'backend' ? { ...d, help: 'auto: the faster of native and wasm on this machine' } : d)),
  ...commonFlags('cache-dir'),
  ...pickOptions(TEST_OPTIONS, ['num-test'], { 'num-test': 24 }),
  ...commonFlags('help'),
];

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'demo', () => 'usage: cyclegan demo [--dataset mnist2ink] [--out ./cyclegan-demo] [--minutes 7] [--backend auto]\n' +
    formatFlags(FLAGS));
  if (!args) return 0;
  const log = (l: string) => console.log(l);
  const minutes = args.flags.minutes as number;
  if (!(minutes > 0)) throw new CycleGANError(`--minutes must be greater than 0, got ${minutes}`);
  const ngf = args.flags.ngf as number;
  if (!Number.isInteger(ngf) || ngf < 1) throw new CycleGANError(`--ngf must be a whole number ≥ 1, got ${ngf}`);
  const { exitCode } = await runDemo({
    dataset: String(args.flags.dataset), out: String(args.flags.out), minutes, ngf, seed: args.flags.seed as number,
    backend: String(args.flags.backend), cacheDir: args.flags['cache-dir'] as string | undefined,
    numTest: args.flags['num-test'] as number, log,
  });
  return exitCode;
}
