// `cyclegan export`: a saved network (.safetensors) as an ONNX model or a TF.js graph model.
import * as path from 'node:path';
import { parseCommand, commonFlags, requireString, UsageError, type FlagSpec } from '../args.js';
import {
  loadNetwork, networkToStateDict, encodeTorchStateDict, writeFileAtomic, writeOnnx, writeTfjsGraphModel,
  ONNX_OPSET,
} from '../../index.js';

const FLAGS: FlagSpec[] = [
  { name: 'model', type: 'string', help: 'network file (.safetensors) written by train/import-torch' },
  { name: 'format', type: 'string', default: 'onnx', help: 'onnx | tfjs | pth' },
  { name: 'out', type: 'string', help: 'onnx: output FILE.onnx; tfjs: output folder (model.json + weights); pth: output FILE.pth' },
  ...commonFlags('help'),
];

function usage(): string {
  return [
    'usage: cyclegan export --model MODEL.safetensors --format onnx --out FILE.onnx',
    '       cyclegan export --model MODEL.safetensors --format tfjs --out DIR',
    '       cyclegan export --model MODEL.safetensors --format pth --out latest_net_G_A.pth',
    '',
    `onnx: opset ${ONNX_OPSET}, input "input" [N,C,H,W] float32 RGB in [-1,1], output "output" (same layout).`,
    'tfjs: graph model for tf.loadGraphModel; input "input" [N,H,W,C] float32 in [-1,1], output "output".',
    'pth: the state dict as torch.save writes it (zip format, official key names): torch.load and the official',
    '     load_networks read it; import-torch reads it back bit-exactly.',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'export', usage);
  if (!args) return 0;
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const modelPath = requireString(args, 'model');
  const out = requireString(args, 'out');
  const format = String(args.flags.format).toLowerCase();
  if (format !== 'onnx' && format !== 'tfjs' && format !== 'pth') throw new UsageError(`--format must be onnx, tfjs or pth, got '${format}'`);
  const net = await loadNetwork(modelPath);
  try {
    if (format === 'pth') {
      const bytes = encodeTorchStateDict(networkToStateDict(net), path.basename(out).replace(/\.[^.]*$/, ''));
      await writeFileAtomic(out, bytes);
      const s = net.spec;
      const arch = s.role === 'generator' ? `--netG ${s.netG} --ngf ${s.ngf} --norm ${s.norm}${s.useDropout ? '' : ' --no_dropout'}` : `--netD ${s.netD} --ndf ${s.ndf} --norm ${s.norm}`;
      console.log(`wrote ${out} (${(bytes.length / 1e6).toFixed(2)} MB, PyTorch state dict; the official code loads it with ${arch})`);
    } else if (format === 'onnx') {
      const n = await writeOnnx(net, out, { producerVersion: await packageVersion() });
      console.log(`wrote ${out} (${(n / 1e6).toFixed(2)} MB, ONNX opset ${ONNX_OPSET})`);
    } else {
      // --out DIR, or DIR/model.json
      const dir = path.basename(out) === 'model.json' ? path.dirname(out) : out;
      const json = await writeTfjsGraphModel(net, dir, { producerVersion: await packageVersion() });
      console.log(`wrote ${json} and its weights (TF.js graph model)`);
    }
  } finally {
    net.dispose();
  }
  return 0;
}

async function packageVersion(): Promise<string> {
  try {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0';
  } catch {
    return '0';
  }
}
