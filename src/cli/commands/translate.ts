// `cyclegan translate`: images (files or folders) through one generator, from a model file or a training run.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, requireString, UsageError, type FlagSpec } from '../args.js';
import { CycleGANError } from '../../errors.js';
import { initBackend } from '../../backends/index.js';
import { loadNetwork } from '../../weights/network_file.js';
import { netFile } from '../../train/run_folder.js';
import { checkPreprocess, PREPROCESS_MODES } from '../../data/transforms.js';
import { collectInputs, translateFiles } from '../../translate.js';

export const summary = 'translate images with a generator (a model file, or --checkpoints-dir/--name/--direction of a run)';

const FLAGS: FlagSpec[] = [
  { name: 'model', type: 'string', help: 'generator file (.safetensors) from train or import-torch' },
  { name: 'checkpoints-dir', type: 'string', default: './checkpoints', help: 'folder of training runs' },
  { name: 'name', type: 'string', help: 'run name: uses CHECKPOINTS/NAME/<epoch>_net_G_A (AtoB) or _G_B (BtoA)' },
  { name: 'epoch', type: 'string', default: 'latest', help: 'which checkpoint of the run' },
  { name: 'direction', type: 'string', default: 'AtoB', help: 'AtoB | BtoA (with --name)' },
  { name: 'preprocess', type: 'string', default: 'none', help: `${PREPROCESS_MODES.join(' | ')}; none keeps the size, rounded to a multiple of 4` },
  { name: 'load-size', type: 'number', default: 256, help: 'resize target for resize_* and scale_width*' },
  { name: 'crop-size', type: 'number', default: 256, help: 'crop size for *crop (centred)' },
  { name: 'eval', type: 'boolean', default: false, help: 'batch norm with running statistics, no dropout (official --eval); off: as official test.py' },
  { name: 'backend', type: 'string', default: 'auto', help: 'auto | native | wasm | cpu' },
  { name: 'out', type: 'string', help: 'output folder: OUT/<input name>.png' },
  { name: 'help', type: 'boolean', default: false },
];

function usage(): string {
  return [
    'usage: cyclegan translate --model MODEL.safetensors --out DIR IMAGE_OR_FOLDER...',
    '       cyclegan translate --name NAME [--checkpoints-dir DIR] [--epoch latest] [--direction AtoB|BtoA] --out DIR IMAGE_OR_FOLDER...',
    '',
    'Writes DIR/<input file name without extension>.png for every input image, pixels as the official test',
    'pipeline makes them (x/127.5 - 1 in, tensor2im out).',
    '',
    ...FLAGS.filter((f) => f.help).map((f) => `  --${f.name.padEnd(16)} ${f.help}${f.default !== undefined ? ` (default ${String(f.default)})` : ''}`),
  ].join('\n');
}

/** The generator file of a run for a direction, with a clear error naming what exists instead. */
export async function runGeneratorPath(checkpointsDir: string, name: string, epoch: string, direction: string): Promise<string> {
  if (direction !== 'AtoB' && direction !== 'BtoA') throw new UsageError(`--direction must be AtoB or BtoA, got '${direction}'`);
  const runDir = join(checkpointsDir, name);
  if (!existsSync(runDir)) throw new CycleGANError(`no run folder ${runDir} (check --checkpoints-dir and --name)`);
  const file = netFile(runDir, epoch, direction === 'AtoB' ? 'G_A' : 'G_B');
  if (!existsSync(file)) {
    const epochs = (await readdir(runDir)).map((f) => /^(.+)_net_G_[AB]\.safetensors$/.exec(f)?.[1]).filter((e): e is string => !!e);
    const have = [...new Set(epochs)].sort();
    throw new CycleGANError(`no generator ${file}${have.length ? ` (epochs saved: ${have.join(', ')}; check --epoch)` : ' (the run has no generator checkpoints yet)'}`);
  }
  return file;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    console.log(usage());
    return 0;
  }
  const out = requireString(args, 'out');
  if (args.positional.length === 0) throw new UsageError('translate needs at least one image or folder (see --help)');
  const preprocess = checkPreprocess(String(args.flags.preprocess));
  const loadSize = Number(args.flags['load-size']);
  const cropSize = Number(args.flags['crop-size']);
  if (!(Number.isInteger(loadSize) && loadSize > 0)) throw new UsageError('--load-size must be a positive integer');
  if (!(Number.isInteger(cropSize) && cropSize > 0)) throw new UsageError('--crop-size must be a positive integer');
  const model = args.flags.model as string | undefined;
  const name = args.flags.name as string | undefined;
  if (model && name) throw new UsageError('give either --model or --name, not both');
  if (!model && !name) throw new UsageError('translate needs --model MODEL.safetensors or --name NAME of a training run');
  const modelPath = model ?? await runGeneratorPath(String(args.flags['checkpoints-dir']), name!, String(args.flags.epoch), String(args.flags.direction));
  const inputs = await collectInputs(args.positional);
  const backend = await initBackend(String(args.flags.backend));
  const net = await loadNetwork(modelPath);
  try {
    if (net.spec.role !== 'generator') throw new CycleGANError(`${modelPath} is a discriminator, not a generator`);
    const t0 = Date.now();
    await translateFiles(net, inputs, out, { preprocess, loadSize, cropSize, eval: Boolean(args.flags.eval) }, (r, i, n) => {
      console.log(`[${i + 1}/${n}] ${r.input} (${r.inputSize.join('x')}) → ${r.output} (${r.size.join('x')})`);
    });
    console.log(`translated ${inputs.length} image${inputs.length === 1 ? '' : 's'} with ${modelPath} on ${backend} in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${out}`);
  } finally {
    net.dispose();
  }
  return 0;
}
