// cyclegan train --dataroot DIR --name NAME [official options]: a shell over the option table
// (src/train/options.ts) and the trainer.
import { existsSync } from 'node:fs';
import {
  ARCH_FLAGS, CycleGANError, TRAIN_OPTIONS, defaultOf, resumeCommand, testLabelOf, parseCommandArgs, resolveTrainOptions, jsonToRawFlags, trainHelp, applySuffix,
  type TrainOptions, runPaths, pthFile, readRunOptions, openTrainData, train, installStopSignals,
} from '../../index.js';

/**
 * Options for a run: explicit flags, over (with --continue) the run's saved opt.json, over the official
 * defaults. So `cyclegan train --dataroot D --name N --continue` needs no other flag repeated. A run folder
 * of the official code (.pth files, no opt.json) is continued with the architecture from the flags.
 */
export async function resolveRunOptions(argv: string[], log: (line: string) => void = (l) => console.error(l)): Promise<TrainOptions> {
  const specs = TRAIN_OPTIONS.map((s) => ({ ...s, default: undefined }));
  const explicit = parseCommandArgs(argv, specs, 'train');
  if (explicit.positional.length) throw new CycleGANError(`unexpected argument '${explicit.positional[0]}' (flags start with --)`);
  const notes = [...explicit.notes];
  const given: Record<string, unknown> = {};
  for (const k of explicit.given) given[k] = explicit.flags[k];
  const cont = Boolean(given['continue-train']);
  const done = (o: TrainOptions): TrainOptions => {
    for (const n of notes) log(`cyclegan: ${n}`);
    return o;
  };
  if (!cont) return done(resolveTrainOptions(given, { notes }));
  if (typeof given['name'] !== 'string') throw new CycleGANError('missing required flag --name');
  let name = given['name'];
  if (typeof given['suffix'] === 'string' && given['suffix']) {
    try {
      name = resolveTrainOptions(given, { requireData: false }).name;
    } catch {
      name = applySuffix(name, given['suffix'], {});
    }
  }
  const paths = runPaths(String(given['checkpoints-dir'] ?? defaultOf(TRAIN_OPTIONS, 'checkpoints-dir')), name);
  // Official semantics when asked for: --epoch-count, --epoch N or --load-iter give the networks to load.
  const official = 'epoch-count' in given || ('epoch' in given && given['epoch'] !== 'latest') || Number(given['load-iter'] ?? 0) > 0;
  const saved = await readRunOptions(paths);
  if (!saved) {
    const label = testLabelOf({ epoch: String(given['epoch'] ?? defaultOf(TRAIN_OPTIONS, 'epoch')), loadIter: Number(given['load-iter'] ?? defaultOf(TRAIN_OPTIONS, 'load-iter')) });
    if (existsSync(pthFile(paths.root, label, 'G_A'))) {
      // An official run folder: the .pth files hold weights only; the flags give the architecture.
      const o = resolveTrainOptions(given, { notes });
      o.continueFrom = 'nets';
      return done(o);
    }
    throw new CycleGANError(`--continue: no run to continue at ${paths.root} (no opt.json, no ${label}_net_G_A.pth); check --name and --checkpoints-dir`);
  }
  const savedRaw = jsonToRawFlags(saved);
  for (const f of ARCH_FLAGS) {
    if (f in given && savedRaw[f] !== undefined && given[f] !== savedRaw[f]) {
      throw new CycleGANError(`--${f} ${String(given[f])} differs from the run's ${String(savedRaw[f])}; the saved networks fix it`);
    }
  }
  // The schedule and position come from the checkpoint; epoch_count in opt.json is the run's first epoch,
  // so it is a default only for the official way of continuing.
  const merged: Record<string, unknown> = { ...savedRaw, ...given };
  if (!official) {
    delete merged['epoch-count'];
    merged['epoch'] = 'latest';
    merged['load-iter'] = 0;
  }
  delete merged['suffix']; // the saved name already has it
  merged['name'] = name;
  if (!('backend' in given) && 'gpu-ids' in given) delete merged['backend'];
  const o = resolveTrainOptions(merged, { notes });
  if (official) o.continueFrom = 'nets';
  return done(o);
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
      console.error(`stopped at epoch ${r.epoch}, image ${r.epochIter}; resume with: ${resumeCommand(opts)}`);
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
