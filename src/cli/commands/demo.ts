// cyclegan demo: fetch the default built-in dataset, train a small CycleGAN within a time budget, then
// write the training report, the test page with translated test images, and (with ground truth) PSNR/SSIM
// against an untrained model of the same seed.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { formatFlags, type FlagSpec } from '../args.js';
import { tf } from '../../core/tf.js';
import { CycleGANError } from '../../core/errors.js';
import { initBackend } from '../../backends/index.js';
import { getDataset, type ProgressEvent } from '../../data/builtin.js';
import { CycleGANModel, disposeLosses, modelOptions, readLosses, type LossTensors } from '../../core/model.js';
import { resolveTrainOptions, parseCommandArgs, pickOptions, TRAIN_OPTIONS, TEST_OPTIONS, type TrainOptions } from '../../train/options.js';
import { openTrainData } from '../../train/data_source.js';
import { train } from '../../train/trainer.js';
import { installStopSignals } from '../../train/signals.js';
import { loadNets, netFile, runPaths } from '../../train/run_folder.js';
import { runTest } from '../../train/test_run.js';
import { evaluate } from '../../train/evaluate.js';

export const DEMO_DEFAULTS = { dataset: 'mnist2ink', minutes: 7, ngf: 16, seed: 1 };

const FLAGS: FlagSpec[] = [
  { name: 'dataset', type: 'string', default: DEMO_DEFAULTS.dataset, help: 'built-in dataset (cyclegan datasets list)' },
  { name: 'out', type: 'string', default: './cyclegan-demo', help: 'folder for the run and the results' },
  { name: 'minutes', type: 'number', default: DEMO_DEFAULTS.minutes, help: 'training time budget' },
  ...pickOptions(TRAIN_OPTIONS, ['ngf', 'seed', 'backend'], { ngf: DEMO_DEFAULTS.ngf, seed: DEMO_DEFAULTS.seed })
    .map((d) => (d.name === 'ngf' ? { ...d, help: 'generator (and discriminator) width' } : d.name === 'backend' ? { ...d, help: 'auto: the faster of native and wasm on this machine' } : d)),
  { name: 'cache-dir', type: 'string', help: 'dataset cache (default $CYCLEGAN_CACHE or ~/.cache/cyclegan)' },
  ...pickOptions(TEST_OPTIONS, ['num-test'], { 'num-test': 24 }),
  { name: 'help', type: 'boolean', default: false },
];

/** Images per second of one training step on `backend` (after a warm-up step), or 0 if it cannot run. */
async function measure(backend: string, opts: TrainOptions, size: number, log: (l: string) => void): Promise<number> {
  try {
    await initBackend(backend, () => {});
  } catch (e) {
    log(`  ${backend}: not available (${(e as Error).message.split('\n')[0]})`);
    return 0;
  }
  const model = CycleGANModel.create(modelOptions(opts));
  const nc = (n: number) => tf.randomUniform([1, size, size, n], -1, 1) as tf.Tensor4D;
  const a = nc(opts.inputNc), b = nc(opts.outputNc);
  try {
    // Steps are queued as the trainer queues them; reading the last losses waits for the device (GPU).
    const run = async (n: number) => {
      let last: LossTensors | undefined;
      for (let i = 0; i < n; i++) {
        if (last) disposeLosses(last);
        last = model.step(a, b);
      }
      if (last) {
        await readLosses(last);
        disposeLosses(last);
      }
    };
    // The first steps compile kernels and allocate; time the ones after.
    await run(3);
    const steps = 5;
    const t0 = performance.now();
    await run(steps);
    const rate = steps / ((performance.now() - t0) / 1000);
    log(`  ${backend}: ${rate.toFixed(2)} steps/s`);
    return rate;
  } catch (e) {
    log(`  ${backend}: failed (${(e as Error).message.split('\n')[0]})`);
    return 0;
  } finally {
    tf.dispose([a, b]);
    model.dispose();
  }
}

function progressLine(e: ProgressEvent): string {
  const pct = e.done !== undefined && e.total ? ` ${Math.floor((100 * e.done) / e.total)}%` : '';
  return `  ${e.stage}${pct}`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, FLAGS, 'demo');
  for (const n of args.notes) console.error(`cyclegan: ${n}`);
  if (args.flags.help) {
    console.log('usage: cyclegan demo [--dataset mnist2ink] [--out ./cyclegan-demo] [--minutes 7] [--backend auto]\n' +
      formatFlags(FLAGS));
    return 0;
  }
  const log = (l: string) => console.log(l);
  const minutes = args.flags.minutes as number;
  if (!(minutes > 0)) throw new CycleGANError(`--minutes must be greater than 0, got ${minutes}`);
  const ngf = args.flags.ngf as number;
  if (!Number.isInteger(ngf) || ngf < 1) throw new CycleGANError(`--ngf must be a whole number ≥ 1, got ${ngf}`);
  const out = path.resolve(String(args.flags.out));
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  log(`1/4 dataset ${args.flags.dataset}`);
  let lastStage = '';
  const ds = await getDataset(String(args.flags.dataset), {
    cacheDir: args.flags['cache-dir'] as string | undefined,
    onProgress: (e) => {
      if (e.stage !== lastStage || (e.done !== undefined && e.total && e.done === e.total)) log(progressLine(e));
      lastStage = e.stage;
    },
  });
  const rec = ds.info.recommended;
  log(`  ${ds.path} (${Object.entries(ds.info.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);

  const name = `demo_${ds.info.name}`;
  const checkpointsDir = path.join(out, 'checkpoints');
  const size = rec.cropSize;
  const base: Record<string, unknown> = {
    dataroot: ds.path, name, 'checkpoints-dir': checkpointsDir, seed: args.flags.seed,
    // A small ResNet generator suits small images; --no-dropout as the official CycleGAN scripts pass it.
    netG: 'resnet_6blocks', ngf, ndf: ngf, 'no-dropout': true,
    preprocess: rec.preprocess, 'load-size': rec.loadSize, 'crop-size': rec.cropSize, 'no-flip': rec.noFlip ?? false,
    'input-nc': rec.inputNc, 'output-nc': rec.outputNc,
  };
  const probe = resolveTrainOptions({ ...base, 'n-epochs': 1, 'n-epochs-decay': 0 });

  log('2/4 backend');
  let backend = String(args.flags.backend);
  let rate: number;
  if (backend === 'auto') {
    const rates: Record<string, number> = {};
    for (const b of ['native', 'wasm']) rates[b] = await measure(b, probe, size, log);
    backend = rates.native > rates.wasm ? 'native' : 'wasm';
    rate = rates[backend];
    if (!(rate > 0)) {
      backend = 'cpu';
      rate = await measure('cpu', probe, size, log);
    }
  } else {
    rate = await measure(backend, probe, size, log);
    if (!(rate > 0)) throw new CycleGANError(`--backend ${backend} cannot train here`);
  }
  // Plan the run to fit the budget: ~12 epochs (half at the full learning rate, half decaying linearly,
  // as the official schedule), each of as many images as the budget allows.
  const budget = Math.max(10, minutes * 60 - elapsed());
  // The short calibration underestimated the steady rate by 1.3–3× on a busy 2-core machine: plan half as
  // much again; if that is too much, maxSeconds stops the run at the budget (late in the lr decay).
  const images = Math.max(24, Math.floor(rate * budget * 1.5));
  const datasetSize = Math.max(ds.info.counts.trainA ?? 0, ds.info.counts.trainB ?? 0) || Infinity;
  let epochs = Math.min(12, Math.max(2, Math.floor(images / 20)));
  let perEpoch = Math.max(1, Math.floor(images / epochs));
  if (perEpoch > datasetSize) {
    // A fast backend: whole-dataset epochs, more of them.
    perEpoch = datasetSize;
    epochs = Math.max(2, Math.floor(images / datasetSize));
  }
  const opts = resolveTrainOptions({
    ...base, backend, 'max-dataset-size': String(perEpoch),
    'n-epochs': Math.ceil(epochs / 2), 'n-epochs-decay': Math.floor(epochs / 2),
    'save-epoch-freq': epochs, 'save-latest-freq': Math.max(100, perEpoch),
    // about 40 points on the loss curves and a sample row per epoch, whatever the machine's speed
    'print-freq': Math.max(1, Math.min(100, Math.floor(images / 40))), 'display-freq': Math.max(1, Math.min(400, perEpoch)),
  });
  log(`  using ${backend}: ${rate.toFixed(2)} steps/s → ${epochs} epochs of ${perEpoch} images in about ${Math.round(budget / 60)} min`);

  log(`3/4 training (report: ${path.join(runPaths(checkpointsDir, name).web, 'index.html')})`);
  await fsp.rm(runPaths(checkpointsDir, name).root, { recursive: true, force: true }); // the demo always starts afresh
  const stop = installStopSignals();
  let result;
  try {
    result = await train(opts, await openTrainData(opts, { log }), { signal: stop.signal, maxSeconds: budget, log });
  } finally {
    stop.dispose();
  }
  if (result.status === 'interrupted') {
    log(`stopped; the run so far is in ${result.runDir}`);
    return stop.exitCode() || 130;
  }
  if (result.status === 'budget') log(`  time budget reached at epoch ${result.epoch}, image ${result.epochIter}`);
  log(`  ${result.totalIters} images in ${(result.seconds / 60).toFixed(1)} min (${result.itersPerSecond.toFixed(2)} it/s on ${result.backend})`);

  log('4/4 results');
  const resultsDir = path.join(out, 'results');
  const test = await runTest({
    dataroot: ds.path, name, checkpointsDir, resultsDir, epoch: 'latest', numTest: args.flags['num-test'] as number,
    phase: 'test', direction: 'AtoB', preprocess: opts.preprocess, loadSize: opts.cropSize, cropSize: opts.cropSize, eval: false, log,
  });
  if (ds.info.truth) {
    const untrained = CycleGANModel.create(modelOptions(opts));
    const nets = await loadNets(runPaths(checkpointsDir, name), 'latest', ['G_A']);
    try {
      const e0 = await evaluate(untrained.nets.G_A, { dataroot: ds.path, direction: 'AtoB', preprocess: opts.preprocess, cropSize: opts.cropSize, loadSize: opts.cropSize });
      const e1 = await evaluate(nets.G_A!, { dataroot: ds.path, direction: 'AtoB', preprocess: opts.preprocess, cropSize: opts.cropSize, loadSize: opts.cropSize });
      log(`  A→B against the ground truth (${e1.n} test images): PSNR ${e0.psnr.toFixed(2)} → ${e1.psnr.toFixed(2)} dB, SSIM ${e0.ssim.toFixed(3)} → ${e1.ssim.toFixed(3)} (untrained → trained)`);
    } finally {
      untrained.dispose();
      nets.G_A?.dispose();
    }
  }
  log('');
  log(`done in ${(elapsed() / 60).toFixed(1)} min. Look at:`);
  log(`  ${test.page}   translated test images (real → fake → reconstructed, both directions)`);
  const run = runPaths(path.dirname(result.runDir), path.basename(result.runDir));
  log(`  ${run.webIndex}   training report: loss curves and samples per epoch`);
  log(`  ${result.runDir}   checkpoints (latest_net_G_A.safetensors translates A → B: cyclegan translate --model ${netFile(run.root, 'latest', 'G_A')} IMAGES --out DIR)`);
  return 0;
}
