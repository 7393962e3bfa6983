// `cyclegan import-torch`: an official PyTorch generator (.pth in either torch.save format, or a .safetensors
// state dict) → a self-describing network file that translate/test/export load directly.
import { parseCommand, commonFlags, formatFlags, requireString, UsageError, type FlagSpec } from '../args.js';
import {
  BASE_OPTIONS, pickOptions, CycleGANError, initBackend,
  validateSpec, type GeneratorSpec, type GeneratorName, type NormType, networkFromStateDict, saveNetwork,
  readTorchStateDict,
} from '../../index.js';

// The architecture flags are the option table's (official names and spellings); the official pretrained
// CycleGAN models were trained with --no_dropout, and dropout has no weights either way.
const FLAGS: FlagSpec[] = [
  ...pickOptions(BASE_OPTIONS, ['netG', 'ngf', 'norm', 'input-nc', 'output-nc', 'no-dropout', 'backend'], { backend: 'cpu', 'no-dropout': true }),
  { name: 'out', type: 'string', help: 'output model file (.safetensors)' },
  ...commonFlags('help'),
];

function usage(): string {
  return [
    'usage: cyclegan import-torch FILE.pth --netG NAME --ngf N [--norm instance] [--input-nc 3] [--output-nc 3] --out MODEL.safetensors',
    '',
    'FILE: a generator state dict saved by torch.save (zip format of torch >= 1.6, or the legacy format of the',
    'official pretrained models, e.g. latest_net_G_A.pth / horse2zebra.pth) or a .safetensors state dict.',
    'The flags must describe the architecture the weights were trained with (official defaults: resnet_9blocks, 64).',
    '',
    formatFlags(FLAGS),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'import-torch', usage);
  if (!args) return 0;
  if (args.positional.length === 0) throw new UsageError('import-torch needs the .pth file to import (see --help)');
  if (args.positional.length > 1) throw new UsageError(`import-torch takes one file, got ${args.positional.length}`);
  const file = args.positional[0];
  const out = requireString(args, 'out');
  const spec: GeneratorSpec = {
    role: 'generator',
    netG: String(args.flags.netG) as GeneratorName,
    inputNc: Number(args.flags['input-nc']),
    outputNc: Number(args.flags['output-nc']),
    ngf: Number(args.flags.ngf),
    norm: String(args.flags.norm) as NormType,
    useDropout: !args.flags['no-dropout'],
  };
  const problem = validateSpec(spec);
  if (problem) throw new UsageError(problem.replace(/^unknown (netG|norm)/, 'unknown --$1').replace(/^(\w+)_nc/, '--$1-nc').replace(/^ngf/, '--ngf'));
  if (!/\.safetensors$/i.test(out)) throw new UsageError(`--out should name a .safetensors file, got '${out}'`);
  await initBackend(String(args.flags.backend));
  const stateDict = await readTorchStateDict(file);
  const net = networkFromStateDict(spec, stateDict, '--netG and --ngf (and --norm, --input-nc, --output-nc)', file);
  try {
    const used = net.params.size + net.buffers.size;
    const dropped = stateDict.size - used;
    await saveNetwork(net, out);
    console.log(`imported ${file}: ${spec.netG}, ngf ${spec.ngf}, norm ${spec.norm}, ${used} tensors` +
      (dropped > 0 ? ` (${dropped} stale InstanceNorm statistics dropped, as the official loader does)` : '') + ` → ${out}`);
  } catch (e) {
    if (e instanceof CycleGANError) throw e;
    throw new CycleGANError(`cannot write ${out}: ${(e as Error).message}`);
  } finally {
    net.dispose();
  }
  return 0;
}
