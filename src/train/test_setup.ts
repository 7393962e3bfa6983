// From the parsed test options (src/train/options.ts TEST_OPTIONS) to what test.py would run: the model
// (cycle_gan, or test = one generator), the dataset mode, the checkpoint, the architecture of official .pth
// files (from the flags, with the official defaults) and the data options (the run's own by default).
// Model flags given on the command line are checked against the run's saved options: a mismatch is a
// one-line error instead of a failure deep inside loading.
import { existsSync } from 'node:fs';
import type { ParsedArgs } from '../flags.js';
import { GENERATOR_NAMES, NORM_TYPES, type GeneratorSpec } from '../core/networks/index.js';
import { PREPROCESS_MODES } from '../core/data/transforms.js';
import {
  ARCH_FLAGS, DATASET_MODES, DIRECTIONS, MODELS, aliasValue, applySuffix, backendFor, checkEpoch, checkFolderName, choice, fail, TEST_OPTIONS,
} from './options.js';
import { pthFile, runPaths, netFile, readRunOptions } from './run_folder.js';
import { testLabelOf, type SingleTestOptions, type TestOptions } from './test_run.js';

/** Flags that test.py overrides (num_threads, batch_size, serial_batches, no_flip) or that only shape training. */
const NO_EFFECT: Record<string, string> = {
  'batch-size': 'test.py fixes it to 1',
  'serial-batches': 'test.py takes the images in order',
  'no-flip': 'test.py never flips',
  'num-threads': 'test.py loads on the main thread',
  'init-type': 'the weights come from the checkpoint',
  'init-gain': 'the weights come from the checkpoint',
};

export interface TestSetup {
  model: 'cycle_gan' | 'test';
  backend: string;
  test: TestOptions;
  single: SingleTestOptions;
  /** architectures for official .pth files (ours carry theirs) */
  specs?: { G?: GeneratorSpec; G_A?: GeneratorSpec; G_B?: GeneratorSpec };
  /** the architecture flags in words, for notes */
  archText: string;
  runDir: string;
  saved?: Record<string, unknown>;
}

const officialName = (flag: string) => TEST_OPTIONS.find((d) => d.name === flag)?.official ?? flag;

function hasNet(root: string, label: string, net: string): boolean {
  return existsSync(netFile(root, label, net as 'G_A')) || existsSync(pthFile(root, label, net));
}

/** A whole-number option value of at least `min` (one line naming the flag otherwise). */
function whole(flag: string, raw: unknown, min: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) fail(`--${flag} must be a whole number ≥ ${min}, got ${String(raw)}`);
  return v;
}

/**
 * Resolves test/eval options. `requireData` false for commands that bring their own inputs (translate).
 */
export async function resolveTestSetup(args: ParsedArgs, io: { log?: (line: string) => void; requireData?: boolean } = {}): Promise<TestSetup> {
  const log = io.log ?? ((l: string) => console.error(l));
  // Options a command does not offer (translate has no --num-test) take the table's defaults; so every f[flag]
  // below has a value (the given one or the table's default) and restates no default.
  const f: ParsedArgs['flags'] = {};
  for (const d of TEST_OPTIONS) f[d.name] = d.default;
  for (const [k, v] of Object.entries(args.flags)) if (v !== undefined || !(k in f)) f[k] = v;
  const given = args.given;
  const notes = [...args.notes];
  const str = (flag: string): string => {
    const v = f[flag];
    if (typeof v !== 'string' || v === '') fail(`missing required flag --${flag}`);
    return v;
  };
  const dataroot = io.requireData === false ? String(f['dataroot'] ?? '') : str('dataroot');
  const values: Record<string, unknown> = {};
  for (const d of TEST_OPTIONS) values[d.official ?? d.name] = f[d.name];
  const name = applySuffix(str('name'), String(f['suffix']), values);
  checkFolderName('name', name);
  const checkpointsDir = str('checkpoints-dir');
  const run = runPaths(checkpointsDir, name);
  const runDir = run.root;
  const saved = await readRunOptions(run);
  const loadIter = whole('load-iter', f['load-iter'], 0);
  const epoch = checkEpoch(str('epoch'));
  const label = testLabelOf({ epoch, loadIter });
  const suffix = String(f['model-suffix']);

  // --model: given, or what the folder holds (official test.py defaults to test; our runs have G_A and G_B).
  let model: 'cycle_gan' | 'test';
  if (given.has('model')) {
    const m = String(f['model']);
    if (!(MODELS as readonly string[]).includes(m)) fail(`--model ${m} is not available: this is CycleGAN only (cycle_gan, or test for one generator)`);
    model = m as 'cycle_gan' | 'test';
  } else {
    model = !hasNet(runDir, label, 'G_A') && hasNet(runDir, label, `G${suffix}`) ? 'test' : 'cycle_gan';
    if (model === 'test') notes.push(`${runDir} holds one generator (${label}_net_G${suffix}): testing it as --model test`);
  }
  const datasetMode = choice('dataset-mode', given.has('dataset-mode') ? String(f['dataset-mode']) : model === 'test' ? 'single' : 'unaligned', DATASET_MODES);
  if (model === 'cycle_gan' && datasetMode === 'single') fail('--dataset-mode single needs --model test (one generator); --model cycle_gan tests both domains');
  if (given.has('model-suffix') && model !== 'test') notes.push('--model-suffix only applies to --model test');

  // The architecture: given flags, else the run's opt.json, else the official defaults (for .pth files).
  const pick = (flag: string): unknown => {
    if (given.has(flag)) return aliasValue(flag, f[flag], notes);
    const k = officialName(flag);
    if (saved && k in saved) return saved[k];
    if (flag === 'no-dropout') return model === 'cycle_gan'; // the CycleGAN model sets it; the test model does not
    return f[flag];
  };
  for (const flag of ARCH_FLAGS) { // given at test time, they must agree with the run's opt.json
    if (!given.has(flag) || !saved) continue;
    const k = officialName(flag);
    const v = aliasValue(flag, f[flag]);
    if (k in saved && saved[k] !== v) {
      fail(`--${k} ${String(v)} does not match the run's ${String(saved[k])} (${run.opt}); the saved networks fix it: drop the flag`);
    }
  }
  const netG = choice('netG', String(pick('netG')), GENERATOR_NAMES);
  const norm = choice('norm', String(pick('norm')), NORM_TYPES);
  const ngf = whole('ngf', pick('ngf'), 1);
  const inputNc = whole('input-nc', pick('input-nc'), 1), outputNc = whole('output-nc', pick('output-nc'), 1);
  const noDropout = Boolean(pick('no-dropout'));
  const gen = (i: number, o: number): GeneratorSpec => ({
    role: 'generator', netG, inputNc: i, outputNc: o, ngf, norm, useDropout: !noDropout,
  });
  const archText = `--netG ${netG} --ngf ${ngf} --norm ${norm}${noDropout ? ' --no_dropout' : ''} (input_nc ${inputNc}, output_nc ${outputNc})`;

  // Data options: given, else the run's, else the defaults (load size = crop size, as test_options.py).
  const dataOpt = (flag: string): unknown => (given.has(flag) ? f[flag] : saved?.[officialName(flag)] ?? f[flag]);
  const direction = choice('direction', String(dataOpt('direction')), DIRECTIONS);
  const preprocess = choice('preprocess', String(dataOpt('preprocess')), PREPROCESS_MODES);
  const cropSize = Number(dataOpt('crop-size'));
  const loadSize = given.has('load-size') ? Number(f['load-size']) : cropSize;
  const numTest = Number(f['num-test']);
  const imageWidth = Number(f['display-winsize']);
  for (const [flag, v] of [['crop-size', cropSize], ['load-size', loadSize], ['num-test', numTest], ['display-winsize', imageWidth]] as const) {
    whole(flag, v, 1);
  }
  const aspectRatio = Number(f['aspect-ratio']);
  if (!(aspectRatio > 0 && Number.isFinite(aspectRatio))) fail(`--aspect-ratio must be a positive number, got ${String(f['aspect-ratio'])}`);
  const phase = String(f['phase']);
  checkFolderName('phase', phase);
  const mds = Number(f['max-dataset-size']);
  for (const flag of Object.keys(NO_EFFECT)) if (given.has(flag)) notes.push(`--${officialName(flag)} has no effect at test time (${NO_EFFECT[flag]})`);
  for (const n of notes) log(`cyclegan: ${n}`);

  const test: TestOptions = {
    dataroot, name, checkpointsDir, resultsDir: String(f['results-dir']), epoch, loadIter, aspectRatio, numTest, phase,
    imageWidth,
    direction, preprocess, loadSize, cropSize, eval: Boolean(f['eval']), log,
  };
  const single: SingleTestOptions = { ...test, datasetMode, maxDatasetSize: mds, netName: `G${suffix}` };
  const backend = backendFor(String(f['backend']), f['gpu-ids'] === undefined ? undefined : String(f['gpu-ids']), given.has('backend'));
  return {
    model, backend, test, single, archText, runDir, saved,
    specs: { G: gen(inputNc, outputNc), G_A: gen(inputNc, outputNc), G_B: gen(outputNc, inputNc) },
  };
}
