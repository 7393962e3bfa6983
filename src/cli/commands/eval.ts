// cyclegan eval --dataroot DIR --name NAME: PSNR and SSIM of translations against the ground truth
// (datasets that have it, such as the built-in mnist2ink).
import * as path from 'node:path';
import { parseArgs, requireString } from '../args.js';
import { CycleGANError } from '../../errors.js';
import { initBackend } from '../../backends/index.js';
import { loadNetwork } from '../../weights/network_file.js';
import { netFile, runPaths } from '../../train/run_folder.js';
import { readRunOptions } from '../../train/test_run.js';
import { evaluate } from '../../train/evaluate.js';
import { PREPROCESS } from '../../train/options.js';

export const summary = 'PSNR and SSIM of a run\'s translations against a dataset\'s ground truth (e.g. mnist2ink)';

const FLAGS = [
  { name: 'dataroot', type: 'string' as const },
  { name: 'name', type: 'string' as const },
  { name: 'model', type: 'string' as const, help: 'a generator .safetensors file instead of a run' },
  { name: 'checkpoints-dir', type: 'string' as const, default: './checkpoints' },
  { name: 'epoch', type: 'string' as const, default: 'latest' },
  { name: 'direction', type: 'string' as const, help: 'AtoB (G_A, default: the run\'s) or BtoA (G_B)' },
  { name: 'num-test', type: 'number' as const, help: 'at most this many test images (default all)' },
  { name: 'preprocess', type: 'string' as const, default: 'none' },
  { name: 'load-size', type: 'number' as const },
  { name: 'crop-size', type: 'number' as const },
  { name: 'eval', type: 'boolean' as const, default: false },
  { name: 'json', type: 'boolean' as const, default: false, help: 'print the result as JSON' },
  { name: 'backend', type: 'string' as const, default: 'auto' },
  { name: 'help', type: 'boolean' as const, default: false },
];

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    console.log('usage: cyclegan eval --dataroot DIR (--name NAME [--epoch latest] | --model G.safetensors) [--direction AtoB] [--num-test N]');
    return 0;
  }
  if (args.positional.length) throw new CycleGANError(`unexpected argument '${args.positional[0]}'`);
  const dataroot = requireString(args, 'dataroot');
  const model = args.flags.model as string | undefined;
  const name = args.flags.name as string | undefined;
  if (!model && !name) throw new CycleGANError('missing required flag --name (or --model FILE)');
  const saved = name ? (await readRunOptions(String(args.flags['checkpoints-dir']), name)) ?? {} : {};
  const direction = String(args.flags.direction ?? saved['direction'] ?? 'AtoB');
  if (direction !== 'AtoB' && direction !== 'BtoA') throw new CycleGANError(`--direction must be AtoB or BtoA, got '${direction}'`);
  const preprocess = String(args.flags.preprocess);
  if (!(PREPROCESS as readonly string[]).includes(preprocess)) throw new CycleGANError(`--preprocess must be one of ${PREPROCESS.join(', ')}; got '${preprocess}'`);
  const numTest = args.flags['num-test'] as number | undefined;
  if (numTest !== undefined && (!Number.isInteger(numTest) || numTest < 1)) throw new CycleGANError(`--num-test must be a whole number ≥ 1, got ${numTest}`);
  await initBackend(String(args.flags.backend));
  const file = model ?? netFile(runPaths(String(args.flags['checkpoints-dir']), name!).root, String(args.flags.epoch), direction === 'AtoB' ? 'G_A' : 'G_B');
  const net = await loadNetwork(file);
  try {
    const cropSize = (args.flags['crop-size'] as number | undefined) ?? (saved['crop_size'] as number | undefined) ?? 256;
    const r = await evaluate(net, {
      dataroot, direction, numTest, preprocess: preprocess as 'none', cropSize,
      loadSize: (args.flags['load-size'] as number | undefined) ?? cropSize, eval: Boolean(args.flags.eval),
    });
    if (args.flags.json) console.log(JSON.stringify({ model: file, direction, ...r }));
    else {
      console.log(`${path.basename(file)} on ${r.n} images of ${r.inputs} vs ${r.truth}:`);
      console.log(`PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim.toFixed(4)}`);
    }
  } finally {
    net.dispose();
  }
  return 0;
}
