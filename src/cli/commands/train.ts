// cyclegan train --dataroot DIR --name NAME [official options]
import { promises as fsp } from 'node:fs';
import { parseArgs, type FlagSpec } from '../args.js';
import { CycleGANError } from '../../errors.js';
import { trainFlagSpecs, resolveTrainOptions, jsonToRawFlags, trainHelp, TRAIN_OPTIONS } from '../../train/options.js';
import { runPaths } from '../../train/run_folder.js';
import { openTrainData } from '../../train/data_source.js';
import { train } from '../../train/trainer.js';
import { installStopSignals } from '../../train/signals.js';

export const summary = 'train a CycleGAN on DATAROOT/trainA and trainB (official options)';

/** Flags that fix the networks' shapes: on --continue they come from the run and may not change. */
const ARCH_FLAGS = ['netG', 'netD', 'n-layers-D', 'ngf', 'ndf', 'norm', 'input-nc', 'output-nc', 'no-dropout'];

/**
 * Options for a run: explicit flags, over (with --continue) the run's saved opt.json, over the official
 * defaults. So `cyclegan train --dataroot D --name N --continue` needs no other flag repeated.
 */
export async function resolveRunOptions(argv: string[]): Promise<ReturnType<typeof resolveTrainOptions>> {
  const specs: FlagSpec[] = trainFlagSpecs().map((s) => ({ ...s, default: undefined }));
  const explicit = parseArgs(argv, specs);
  if (explicit.positional.length) throw new CycleGANError(`unexpected argument '${explicit.positional[0]}' (flags start with --)`);
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(explicit.flags)) if (v !== undefined) given[k] = v;
  const cont = Boolean(given['continue'] || given['continue-train']);
  if (!cont) return resolveTrainOptions(given);
  if (typeof given['name'] !== 'string') throw new CycleGANError('missing required flag --name');
  const paths = runPaths(typeof given['checkpoints-dir'] === 'string' ? given['checkpoints-dir'] : './checkpoints', given['name']);
  let saved: Record<string, unknown> | undefined;
  try {
    saved = JSON.parse(await fsp.readFile(paths.opt, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new CycleGANError(`--continue: no run to continue at ${paths.root} (no opt.json); check --name and --checkpoints-dir`);
  }
  const savedRaw = jsonToRawFlags(saved);
  for (const f of ARCH_FLAGS) {
    if (f in given && savedRaw[f] !== undefined && given[f] !== savedRaw[f]) {
      throw new CycleGANError(`--${f} ${String(given[f])} differs from the run's ${String(savedRaw[f])}; the saved networks fix it`);
    }
  }
  // The schedule and position come from the checkpoint; epoch_count in opt.json is the run's first epoch.
  return resolveTrainOptions({ ...savedRaw, ...given });
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(trainHelp());
    return 0;
  }
  const opts = await resolveRunOptions(argv);
  const data = await openTrainData(opts, { log: (l) => console.error(l) });
  const stop = installStopSignals();
  try {
    const r = await train(opts, data, { signal: stop.signal });
    const where = `${r.runDir}/web/index.html`;
    if (r.status === 'interrupted') {
      console.error(`stopped at epoch ${r.epoch}, image ${r.epochIter}; resume with: cyclegan train --dataroot ${opts.dataroot} --name ${opts.name}${opts.checkpointsDir !== './checkpoints' ? ` --checkpoints-dir ${opts.checkpointsDir}` : ''} --continue`);
      console.error(`report: ${where}`);
      return stop.exitCode() || 130;
    }
    console.log(`done: ${r.totalIters} images trained (${r.itersPerSecond.toFixed(2)} it/s on ${r.backend}); checkpoints in ${r.runDir}, report ${where}`);
    return 0;
  } finally {
    stop.dispose();
  }
}

export { TRAIN_OPTIONS };
