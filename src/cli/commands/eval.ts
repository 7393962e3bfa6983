// cyclegan eval --dataroot DIR --name NAME: PSNR and SSIM of translations against the ground truth
// (datasets that have it, such as the built-in mnist2ink). Takes the test options (the official test.py
// command line of a CycleGAN run works), plus --model FILE for a generator file instead of a run.
import * as path from 'node:path';
import {
  CycleGANError, type FlagSpec, loadNetwork, loadRunNetwork, evaluate, MODELS, TEST_OPTIONS, parseCommandArgs,
  optionsHelp, startBackend, resolveTestSetup, testLabelOf,
} from '../../index.js';
import { EVAL_METRIC_FLAGS, evalMetrics } from './eval_metrics.js';

const OWN: FlagSpec[] = [
  { name: 'json', type: 'boolean', default: false, help: 'print the result as JSON' },
  ...EVAL_METRIC_FLAGS,
];
export const FLAGS = [
  ...TEST_OPTIONS.map((d) => (d.name === 'model' ? { ...d, help: 'cycle_gan | test, or a generator .safetensors file instead of a run' } : d)),
  ...OWN,
];

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(optionsHelp('usage: cyclegan eval --dataroot DIR (--name NAME [--epoch latest] | --model G.safetensors) [--direction AtoB] [--num_test N] [--json]', FLAGS as typeof TEST_OPTIONS));
    return 0;
  }
  const args = parseCommandArgs(argv, FLAGS, 'eval');
  if (args.positional.length) throw new CycleGANError(`unexpected argument '${args.positional[0]}'`);
  const log = (l: string) => console.error(l);
  const m = args.flags.model;
  const modelFile = typeof m === 'string' && !(MODELS as readonly string[]).includes(m) ? m : undefined;
  if (modelFile) {
    args.given.delete('model');
    args.flags.model = undefined;
    if (!args.given.has('name')) args.flags.name = path.basename(modelFile);
  } else if (!args.given.has('name')) {
    throw new CycleGANError('missing required flag --name (or --model FILE)');
  }
  // eval's default preprocessing keeps the test images as they are
  if (!args.given.has('preprocess')) args.flags.preprocess = 'none';
  const setup = await resolveTestSetup(args, { log });
  await startBackend(setup.backend, log);
  const dir = setup.test.direction;
  const netName = setup.model === 'test' ? setup.single.netName : dir === 'AtoB' ? 'G_A' : 'G_B';
  const { net, file } = modelFile
    ? { net: await loadNetwork(modelFile), file: modelFile }
    : await loadRunNetwork(setup.runDir, testLabelOf(setup.test), netName, setup.specs?.[netName === 'G_B' ? 'G_B' : netName === 'G_A' ? 'G_A' : 'G']);
  try {
    const t = setup.test;
    const numTest = args.given.has('num-test') ? t.numTest : undefined;
    const metrics = await evalMetrics(args, setup, { net, file, modelFile, numTest, log });
    if (metrics.handled) return 0;
    const r = await evaluate(net, {
      dataroot: t.dataroot, direction: dir, numTest, phase: t.phase, preprocess: t.preprocess, cropSize: t.cropSize,
      loadSize: t.loadSize, eval: t.eval,
    });
    if (args.flags.json) console.log(JSON.stringify({ model: file, direction: dir, ...r }));
    else {
      console.log(`${path.basename(file)} on ${r.n} images of ${r.inputs} vs ${r.truth}:`);
      console.log(`PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim.toFixed(4)}`);
    }
  } finally {
    net.dispose();
  }
  return 0;
}
