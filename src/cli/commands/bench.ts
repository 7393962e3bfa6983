// cyclegan bench --size S --ngf N --n-blocks B --iters I --warmup W [--backend X] [--no-iter] [--json]
import { parseCommand, commonFlags, type FlagSpec, formatFlags } from '../args.js';
import { BASE_OPTIONS, pickOptions, CycleGANError, runBench } from '../../index.js';

const FLAGS: FlagSpec[] = [
  { name: 'size', type: 'number', default: 128, help: 'square image size in pixels' },
  ...pickOptions(BASE_OPTIONS, ['ngf'], { ngf: 32 }),
  { name: 'n-blocks', type: 'number', default: 6, help: 'residual blocks: 6 or 9' },
  { name: 'iters', type: 'number', default: 5, help: 'timed repetitions' },
  { name: 'warmup', type: 'number', default: 2, help: 'untimed repetitions first' },
  ...pickOptions(BASE_OPTIONS, ['backend']),
  { name: 'no-iter', type: 'boolean', default: false, help: 'skip the full training step' },
  { name: 'json', type: 'boolean', default: false, help: 'print one JSON line' },
  ...commonFlags('help'),
];

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'bench', () => 'usage: cyclegan bench [flags]\n' + formatFlags(FLAGS));
  if (!args) return 0;
  if (args.positional.length) throw new CycleGANError(`unexpected argument '${args.positional[0]}'`);
  const f = args.flags;
  const result = await runBench({
    size: f.size as number, ngf: f.ngf as number, nBlocks: f['n-blocks'] as number, iters: f.iters as number,
    warmup: f.warmup as number, backend: f.backend as string, skipIter: f['no-iter'] as boolean,
  });
  if (f.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`backend ${result.backend} (${result.threads ?? '?'} threads), ${result.size}px ngf ${result.ngf} ` +
      `${result.n_blocks} blocks: G forward ${result.g_fwd_ms} ms, G forward+backward ${result.g_fwd_bwd_ms} ms, ` +
      `training step ${result.iter_ms ?? '-'} ms, peak RSS ${result.peak_rss_mb} MB` +
      (result.adapter ? `, GPU ${result.adapter}, peak GPU buffers ${result.peak_gpu_mb} MB` : ''));
  }
  return 0;
}
