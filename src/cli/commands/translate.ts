// `cyclegan translate`: images (files or folders) through one generator, from a model file or a training run.
import { printNotes, requireString, UsageError } from '../args.js';
import {
  CycleGANError, loadNetwork, loadRunNetwork, netFile, pthFile, checkPreprocess, PREPROCESS_MODES, collectInputs,
  translateFiles, MODELS, TEST_OPTIONS, parseCommandArgs, pickOptions, optionsHelp, type OptionDef, startBackend, backendFor,
  resolveTestSetup, testLabelOf, checkFlagValue,
} from '../../index.js';
import { existsSync } from 'node:fs';

/** The test options that shape a translation; the others of test.py are accepted with a note (see NOT_HERE). */
const USED = ['checkpoints-dir', 'name', 'suffix', 'epoch', 'load-iter', 'direction', 'model-suffix', 'preprocess', 'load-size', 'crop-size',
  'eval', 'netG', 'ngf', 'norm', 'no-dropout', 'input-nc', 'output-nc', 'backend', 'gpu-ids'];
export const FLAGS: OptionDef[] = [
  { name: 'model', type: 'string', help: 'generator file (.safetensors) from train or import-torch; or the official cycle_gan | test with --name', key: 'model' },
  ...pickOptions(TEST_OPTIONS, USED, { preprocess: 'none', 'load-size': 256, 'crop-size': 256 })
    .map((d) => (d.name === 'preprocess' ? { ...d, help: `${PREPROCESS_MODES.join(' | ')}; none keeps the size, rounded to a multiple of 4` } : d)),
  { name: 'out', type: 'string', help: 'output folder: OUT/<input name>.png', key: 'out' },
  // every other option of the official test.py, so its command lines parse (without effect here; noted)
  ...TEST_OPTIONS.filter((d) => !USED.includes(d.name) && d.name !== 'model').map((d) => ({ ...d, help: undefined, default: undefined })),
];
const NOT_HERE = new Set(TEST_OPTIONS.filter((d) => !USED.includes(d.name) && d.name !== 'model' && !d.ignored).map((d) => d.name));

function usage(): string {
  return optionsHelp([
    'usage: cyclegan translate --model MODEL.safetensors --out DIR IMAGE_OR_FOLDER...',
    '       cyclegan translate --name NAME [--checkpoints-dir DIR] [--epoch latest] [--direction AtoB|BtoA] --out DIR IMAGE_OR_FOLDER...',
    '',
    'Writes DIR/<input file name without extension>.png for every input image, pixels as the official test',
    'pipeline makes them (x/127.5 - 1 in, tensor2im out). A run folder of official .pth checkpoints works with',
    '--name; its architecture comes from --netG, --ngf, --norm (official defaults resnet_9blocks, 64, instance).',
  ].join('\n'), FLAGS);
}

/** The generator of a run for a direction (G_A for AtoB, G_B for BtoA), or its single G<suffix>. */
export function runGeneratorName(runDir: string, label: string, direction: string, model: string | undefined, suffix: string): string {
  checkFlagValue('direction', direction);
  const byDir = direction === 'AtoB' ? 'G_A' : 'G_B';
  if (model === 'test') return `G${suffix}`;
  if (model === undefined && !existsSync(netFile(runDir, label, byDir)) && !existsSync(pthFile(runDir, label, byDir))) {
    const single = `G${suffix}`;
    if (existsSync(pthFile(runDir, label, single)) || existsSync(netFile(runDir, label, single as 'G_A'))) return single;
  }
  return byDir;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const args = parseCommandArgs(argv, FLAGS, 'translate');
  const log = (l: string) => console.error(l);
  for (const f of NOT_HERE) {
    if (args.given.has(f)) {
      args.notes.push(`--${TEST_OPTIONS.find((d) => d.name === f)?.official ?? f} has no effect in translate (it writes OUT/<name>.png for the images it is given)`);
      args.given.delete(f);
    }
  }
  const out = requireString(args, 'out');
  if (args.positional.length === 0) throw new UsageError('translate needs at least one image or folder (see --help)');
  const preprocess = checkPreprocess(String(args.flags.preprocess));
  const loadSize = Number(args.flags['load-size']);
  const cropSize = Number(args.flags['crop-size']);
  if (!(Number.isInteger(loadSize) && loadSize > 0)) throw new UsageError('--load-size must be a positive integer');
  if (!(Number.isInteger(cropSize) && cropSize > 0)) throw new UsageError('--crop-size must be a positive integer');
  const m = args.flags.model as string | undefined;
  const official = m !== undefined && (MODELS as readonly string[]).includes(m) ? m : undefined;
  const model = official ? undefined : m;
  const name = args.flags.name as string | undefined;
  if (model && name) throw new UsageError('give either --model FILE or --name NAME, not both');
  if (!model && !name) throw new UsageError('translate needs --model MODEL.safetensors or --name NAME of a training run');
  const inputs = await collectInputs(args.positional);
  let net;
  let source: string;
  let backend: string;
  if (model) {
    printNotes(args, log);
    const gpuIds = args.flags['gpu-ids'] as string | undefined;
    backend = await startBackend(backendFor(String(args.flags.backend), gpuIds, args.given.has('backend')), log);
    net = await loadNetwork(model);
    source = model;
  } else {
    if (official) args.given.add('model');
    const setup = await resolveTestSetup(args, { log, requireData: false });
    backend = await startBackend(setup.backend, log);
    const label = testLabelOf(setup.test);
    const netName = runGeneratorName(setup.runDir, label, String(args.flags.direction), official, String(args.flags['model-suffix'] ?? ''));
    const spec = netName === 'G_B' ? setup.specs?.G_B : netName === 'G_A' ? setup.specs?.G_A : setup.specs?.G;
    const r = await loadRunNetwork(setup.runDir, label, netName, spec);
    if (r.converted) log(`cyclegan: converted ${r.file} with ${setup.archText}`);
    net = r.net;
    source = r.file;
  }
  try {
    if (net.spec.role !== 'generator') throw new CycleGANError(`${source} is a discriminator, not a generator`);
    const t0 = Date.now();
    await translateFiles(net, inputs, out, { preprocess, loadSize, cropSize, eval: Boolean(args.flags.eval) }, (r, i, n) => {
      console.log(`[${i + 1}/${n}] ${r.input} (${r.inputSize.join('x')}) → ${r.output} (${r.size.join('x')})`);
    });
    console.log(`translated ${inputs.length} image${inputs.length === 1 ? '' : 's'} with ${source} on ${backend} in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${out}`);
  } finally {
    net.dispose();
  }
  return 0;
}
