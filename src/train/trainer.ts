// The training loop of the official train.py, plus what it lacks: exact resumption (optimizer moments,
// pools, RNG and the dataset position are in the checkpoint), atomic checkpoints, a stop hook for
// SIGINT/SIGTERM and time budgets, and a live HTML report.
//
// Official loop semantics kept here:
//  - epochs run from epoch_count to n_epochs + n_epochs_decay;
//  - the learning rate is updated at the START of each epoch (model.update_learning_rate() is the first
//    thing in the epoch loop of the current official train.py), so during epoch e the scheduler has
//    stepped e - epoch_count + 1 times;
//  - the image counter advances by the batch size; `latest` is saved whenever it crosses a multiple of
//    --save-latest-freq, and at the end of every --save-epoch-freq'th epoch both `latest` and `<epoch>`.
//
// The parts: train_start.ts (fresh / resumed / continued, what is said first, opt.json), train_log.ts (loss
// sums and log lines), train_checkpoint.ts (checkpoints); this file is the epoch loop.
import { tf } from '../core/tf.js';
import { disposeLosses, readLosses, type LossTensors } from '../core/model.js';
import { fractionalEpoch } from '../core/data/sampling.js';
import { Progress, stdoutSink, type ProgressSink, formatLosses } from './progress.js';
import type { TrainOptions } from './options.js';
import { startBackend } from '../backends/index.js';
import { setDeterministic } from '../backends/index.js';
import { runPaths, saveNetsAs, type Nets, type RunPaths } from './run_folder.js';
import { acquireRunLock } from './run_lock.js';
import { TrainingReport } from '../report/training_page.js';
import { announceRun, startRun, type RunStart } from './train_start.js';
import { TrainLog } from './train_log.js';
import { Checkpointer } from './train_checkpoint.js';

/** A batch of the unaligned dataset: real_A and real_B as NHWC in [-1, 1] (the loop disposes them). */
export interface TrainBatch {
  A: tf.Tensor4D;
  B: tf.Tensor4D;
}

/** What the loop needs from a dataset (src/train/data_source.ts adapts src/data's UnalignedDataset). */
export interface TrainDataSource {
  /** images per epoch (official: max(|A|, |B|), capped by --max-dataset-size) */
  readonly size: number;
  readonly batchSize: number;
  /**
   * The rest of the current epoch: from its start, or from where the state says it stopped. Batches are
   * in model terms (A = real_A, already swapped for --direction BtoA). Running to the end moves the
   * state to the start of the next epoch.
   */
  epoch(): AsyncIterable<TrainBatch>;
  /** JSON-serializable position (RNG at the start of the epoch + images handed out). */
  getState(): unknown;
  setState(state: unknown): void;
  close?(): Promise<void>;
}

export interface TrainHooks {
  /** Abort to stop after the current step; a checkpoint is written first. */
  signal?: AbortSignal;
  /** Stop (with a checkpoint) once this many seconds of training have passed in this call. */
  maxSeconds?: number;
  /** Stop (with a checkpoint) once the run has trained this many images in total. */
  maxIters?: number;
  /** Lines for the user (default: stderr). */
  log?: (line: string) => void;
  /** Where the progress bar / periodic lines go (default: stdout). */
  progress?: ProgressSink;
  /**
   * Called after every step (tests, demo). `losses` (the mean since the previous log line) is there only on
   * steps that wrote a --print-freq line: the loop reads losses back from the device only then.
   */
  onStep?: (info: { epoch: number; epochIter: number; totalIters: number; lr: number; losses?: Record<string, number> }) => void;
}

export interface TrainResult {
  status: 'completed' | 'interrupted' | 'budget';
  /** the next epoch to train and how many of its images are done */
  epoch: number;
  epochIter: number;
  totalIters: number;
  lr: number;
  lastEpoch: number;
  runDir: string;
  backend: string;
  seconds: number;
  itersPerSecond: number;
}

/**
 * Trains a CycleGAN as the official train.py does, writing the run folder as it goes.
 * With opts.continueTrain the run resumes from its newest checkpoint (exactly, including the position
 * inside an epoch); with opts.continueTrain and opts.epoch = N it starts from N_net_* with fresh
 * optimizers at --epoch-count, as the official --continue_train --epoch N does.
 */
export async function train(opts: TrainOptions, data: TrainDataSource, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((l: string) => console.error(l));
  const paths = runPaths(opts.checkpointsDir, opts.name);
  const lastEpoch = opts.nEpochs + opts.nEpochsDecay;
  const backend = await startBackend(opts.backend, log);
  // Before any step: the native addon chooses each conv's variant when it first builds it (native/conv.cc).
  await setDeterministic(opts.deterministic);

  // One writer per run folder, decided before anything in it is read or written.
  const lock = await acquireRunLock(paths.root, log);
  try {
    const report = new TrainingReport(paths, opts.name, { identity: opts.lambdaIdentity > 0, displayFreq: opts.displayFreq });
    const start = await startRun(opts, data, paths, lastEpoch, report, log);
    await announceRun(opts, start, paths, lastEpoch, backend, log);
    const lossLog = await TrainLog.open(paths, start.pos.totalIters);
    return await trainEpochs({ opts, data, hooks, log, paths, lastEpoch, backend, report, lossLog, ...start });
  } finally {
    await lock.release();
  }
}

/** Everything the epoch loop works with. */
interface Session extends RunStart {
  opts: TrainOptions;
  data: TrainDataSource;
  hooks: TrainHooks;
  log: (l: string) => void;
  paths: RunPaths;
  lastEpoch: number;
  backend: string;
  report: TrainingReport;
  lossLog: TrainLog;
}

/** The official epoch loop from the session's position to the last epoch, a budget, or a stop request. */
async function trainEpochs(s: Session): Promise<TrainResult> {
  const { opts, data, hooks, paths, lastEpoch, backend, report, lossLog, model, schedule, pos, acc } = s;
  const progress = new Progress(hooks.progress ?? stdoutSink(), opts.printFreq);
  const sessionStart = performance.now();
  const sessionStartIters = pos.totalIters;
  const seconds = () => (performance.now() - sessionStart) / 1000;
  const ckpt = new Checkpointer(paths, { model, schedule, pos, acc, data, seconds, log: (l) => progress.log(l) });
  let status: TrainResult['status'] = 'completed';
  let lastLosses: Record<string, number> | undefined;
  /** the last step's losses, still on the device (read at the end of an epoch) */
  let lastStep: LossTensors | undefined;
  const shouldStop = (): TrainResult['status'] | undefined => {
    if (hooks.signal?.aborted) return 'interrupted';
    if (hooks.maxIters !== undefined && pos.totalIters >= hooks.maxIters) return 'budget';
    if (hooks.maxSeconds !== undefined && seconds() >= hooks.maxSeconds) return 'budget';
    return undefined;
  };

  s.log(`training ${opts.name}: ${data.size} images per epoch, epochs ${pos.epoch}..${lastEpoch}, backend ${backend}, seed ${opts.seed}`);
  progress.start(pos.totalIters);
  const itersLeftAt = () => Math.max(0, (lastEpoch - pos.epoch + 1) * data.size - pos.epochIter);

  try {
    outer: while (pos.epoch <= lastEpoch) {
      const stop0 = shouldStop();
      if (stop0) {
        status = stop0;
        break;
      }
      const lrBefore = schedule.lr;
      const lr = schedule.startEpoch(pos.epoch);
      model.setLearningRate(lr);
      if (pos.epochIter === 0 && lr !== lrBefore) progress.log(`learning rate ${lrBefore.toFixed(7)} -> ${lr.toFixed(7)}`);
      for await (const batch of data.epoch()) {
        const realA = batch.A, realB = batch.B;
        let losses: LossTensors;
        try {
          losses = model.step(realA, realB);
        } catch (e) {
          tf.dispose([batch.A, batch.B]);
          throw e;
        }
        if (lastStep) disposeLosses(lastStep);
        lastStep = losses;
        acc.add(losses);
        const n = batch.A.shape[0];
        const prev = pos.totalIters;
        pos.epochIter += n;
        pos.totalIters += n;
        const { epoch, epochIter, totalIters } = pos;
        const crossed = (freq: number) => Math.floor(totalIters / freq) !== Math.floor(prev / freq);

        // Losses are read back only here (the mean since the previous line), never per step.
        let logged: Record<string, number> | undefined;
        if (crossed(opts.printFreq)) {
          logged = await acc.takeMean();
          lastLosses = logged;
          await lossLog.write({ epoch, epochIter, totalIters, x: fractionalEpoch(epoch, epochIter, data.size), lr, time: pos.elapsedBefore + seconds(), losses: logged }, seconds);
        }
        hooks.onStep?.({ epoch, epochIter, totalIters, lr, losses: logged });
        progress.update({ epoch, lastEpoch, epochIter, epochSize: data.size, totalIters, itersLeft: itersLeftAt(), lr, losses: lastLosses }, n);
        if (crossed(opts.displayFreq)) {
          await report.addSamples(model, realA, realB, epoch, totalIters);
          await report.write(lossLog.entries, { epoch, lastEpoch, totalIters });
        }
        tf.dispose([batch.A, batch.B]);

        if (crossed(opts.saveLatestFreq)) {
          await ckpt.save(`--save-latest-freq ${opts.saveLatestFreq}`);
          if (opts.saveByIter) await saveNetsAs(paths, model.nets as Nets, `iter_${totalIters}`);
        }
        const stop = shouldStop();
        if (stop) {
          status = stop;
          break outer;
        }
        // Let signal handlers and the prefetcher run between steps (a step is synchronous).
        await new Promise<void>((r) => setImmediate(r));
      }
      const finished = pos.epoch;
      pos.epoch++;
      pos.epochIter = 0;
      const saveEpoch = finished % opts.saveEpochFreq === 0;
      if (saveEpoch) {
        await ckpt.save(`end of epoch ${finished}`);
        await saveNetsAs(paths, model.nets as Nets, finished);
      }
      if (lastStep) lastLosses = await readLosses(lastStep);
      progress.log(`end of epoch ${finished} / ${lastEpoch}: ${formatLosses(lastLosses)}`);
      await report.write(lossLog.entries, { epoch: finished, lastEpoch, totalIters: pos.totalIters });
    }
    // Whatever ended the loop, leave a checkpoint of exactly where it stopped (unless one was just written).
    await ckpt.saveUnlessCurrent(status === 'completed' ? 'end of training' : status === 'interrupted' ? 'stop requested' : 'budget reached');
    await report.write(lossLog.entries, {
      epoch: Math.min(pos.epoch, lastEpoch), lastEpoch, totalIters: pos.totalIters, done: status === 'completed', stopped: status === 'completed' ? undefined : status,
    });
  } finally {
    progress.end();
    if (lastStep) disposeLosses(lastStep);
    acc.reset();
    await data.close?.();
  }
  const secs = seconds();
  const result: TrainResult = {
    status, epoch: pos.epoch, epochIter: pos.epochIter, totalIters: pos.totalIters, lr: schedule.lr, lastEpoch, runDir: paths.root, backend, seconds: secs,
    itersPerSecond: secs > 0 ? (pos.totalIters - sessionStartIters) / secs : 0,
  };
  model.dispose();
  return result;
}
