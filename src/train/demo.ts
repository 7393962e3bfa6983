// `cyclegan demo` as a workflow: fetch a built-in dataset, train a small CycleGAN within a time budget (the
// plan: demo_plan.ts), then write the training report, the test page with translated test images, and (with
// ground truth) PSNR/SSIM against an untrained model of the same seed. The CLI (src/cli/commands/demo.ts)
// parses the flags.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANModel, modelOptions } from '../core/model.js';
import { getDataset, type ProgressEvent } from '../data/builtin.js';
import { resolveTrainOptions } from './options.js';
import { openTrainData } from './data_source.js';
import { train, type TrainResult } from './trainer.js';
import { loadNets, netFile, runPaths } from './run_folder.js';
import { runTest } from './test_run.js';
import { evaluate } from './evaluate.js';
import { installStopSignals } from './signals.js';
import { chooseDemoBackend, planDemo } from './demo_plan.js';

export interface DemoOptions {
  dataset: string;
  /** folder for the run and the results */
  out: string;
  minutes: number;
  ngf: number;
  seed: number;
  /** 'auto' or a backend name */
  backend: string;
  cacheDir?: string;
  numTest: number;
  log: (line: string) => void;
}

function progressLine(e: ProgressEvent): string {
  const pct = e.done !== undefined && e.total ? ` ${Math.floor((100 * e.done) / e.total)}%` : '';
  return `  ${e.stage}${pct}`;
}

/**
 * Runs the demo's four steps, saying each; returns how training ended and the exit status (SIGINT/SIGTERM
 * during training stop it with a checkpoint: 128 + the signal's number, as shells report it).
 */
export async function runDemo(o: DemoOptions): Promise<{ result: TrainResult; exitCode: number }> {
  const { log } = o;
  const out = path.resolve(o.out);
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  log(`1/4 dataset ${o.dataset}`);
  let lastStage = '';
  const ds = await getDataset(o.dataset, {
    cacheDir: o.cacheDir,
    onProgress: (e) => {
      if (e.stage !== lastStage || (e.done !== undefined && e.total && e.done === e.total)) log(progressLine(e));
      lastStage = e.stage;
    },
  });
  const rec = ds.info.recommended;
  log(`  ${ds.path} (${Object.entries(ds.info.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);

  const name = `demo_${ds.info.name}`;
  const checkpointsDir = path.join(out, 'checkpoints');
  const base: Record<string, unknown> = {
    dataroot: ds.path, name, 'checkpoints-dir': checkpointsDir, seed: o.seed,
    // A small ResNet generator suits small images; --no-dropout as the official CycleGAN scripts pass it.
    netG: 'resnet_6blocks', ngf: o.ngf, ndf: o.ngf, 'no-dropout': true,
    preprocess: rec.preprocess, 'load-size': rec.loadSize, 'crop-size': rec.cropSize, 'no-flip': rec.noFlip ?? false,
    'input-nc': rec.inputNc, 'output-nc': rec.outputNc,
  };
  const probe = resolveTrainOptions({ ...base, 'n-epochs': 1, 'n-epochs-decay': 0 });

  log('2/4 backend');
  const { backend, rate } = await chooseDemoBackend(o.backend, probe, rec.cropSize, log);
  const budget = Math.max(10, o.minutes * 60 - elapsed());
  const datasetSize = Math.max(ds.info.counts.trainA ?? 0, ds.info.counts.trainB ?? 0) || Infinity;
  const plan = planDemo(rate, budget, datasetSize);
  const opts = resolveTrainOptions({ ...base, backend, ...plan.trainFlags });
  log(`  using ${backend}: ${rate.toFixed(2)} steps/s → ${plan.epochs} epochs of ${plan.perEpoch} images in about ${Math.round(budget / 60)} min`);

  const paths = runPaths(checkpointsDir, name);
  log(`3/4 training (report: ${paths.webIndex})`);
  await fsp.rm(paths.root, { recursive: true, force: true }); // the demo always starts afresh
  const stop = installStopSignals();
  let result: TrainResult;
  try {
    result = await train(opts, await openTrainData(opts, { log }), { signal: stop.signal, maxSeconds: budget, log });
  } finally {
    stop.dispose();
  }
  if (result.status === 'interrupted') {
    log(`stopped; the run so far is in ${result.runDir}`);
    return { result, exitCode: stop.exitCode() || 130 };
  }
  if (result.status === 'budget') log(`  time budget reached at epoch ${result.epoch}, image ${result.epochIter}`);
  log(`  ${result.totalIters} images in ${(result.seconds / 60).toFixed(1)} min (${result.itersPerSecond.toFixed(2)} it/s on ${result.backend})`);

  log('4/4 results');
  const resultsDir = path.join(out, 'results');
  const test = await runTest({
    dataroot: ds.path, name, checkpointsDir, resultsDir, epoch: 'latest', numTest: o.numTest,
    phase: 'test', direction: 'AtoB', preprocess: opts.preprocess, loadSize: opts.cropSize, cropSize: opts.cropSize, eval: false, log,
  });
  if (ds.info.truth) {
    const untrained = CycleGANModel.create(modelOptions(opts));
    const nets = await loadNets(paths, 'latest', ['G_A']);
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
  log(`  ${paths.webIndex}   training report: loss curves and samples per epoch`);
  log(`  ${result.runDir}   checkpoints (latest_net_G_A.safetensors translates A → B: cyclegan translate --model ${netFile(paths.root, 'latest', 'G_A')} IMAGES --out DIR)`);
  return { result, exitCode: 0 };
}
