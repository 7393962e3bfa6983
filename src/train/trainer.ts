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
import { promises as fsp } from 'node:fs';
import { tf } from '../core/tf.js';
import { CycleGANError } from '../core/errors.js';
import { CycleGANModel, LOSS_NAMES, discriminatorSpecs, disposeLosses, generatorSpecs, readLosses, type CycleGANOptions, type LossTensors } from '../core/model.js';
import { LrSchedule } from '../core/schedule.js';
import type { RawTensor } from '../core/weights/safetensors.js';
import { Progress, stdoutSink, type ProgressSink, formatLosses } from './progress.js';
import { type TrainOptions, optionsToJson, startBackend, officialOptionsText } from './options.js';
import { prepareSyncReads, setDeterministic } from '../backends/index.js';
import {
  runPaths, saveCheckpoint, loadCheckpoint, saveNetsAs, loadNets, appendLossLog, truncateLossLog, readLossLog,
  startOfficialLossLog, appendOfficialLossLine,
  hasCheckpoint, checkpointLabels, type Nets, type TrainStateJson, type LossLogEntry,
} from './run_folder.js';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.js';
import { acquireRunLock } from './run_lock.js';
import { TrainingReport } from '../report/training_page.js';

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

export function modelOptions(o: TrainOptions): CycleGANOptions {
  return {
    inputNc: o.inputNc, outputNc: o.outputNc, ngf: o.ngf, ndf: o.ndf, netG: o.netG, netD: o.netD,
    nLayersD: o.nLayersD, norm: o.norm, initType: o.initType, initGain: o.initGain, noDropout: o.noDropout,
    ganMode: o.ganMode, lambdaA: o.lambdaA, lambdaB: o.lambdaB, lambdaIdentity: o.lambdaIdentity,
    poolSize: o.poolSize, lr: o.lr, beta1: o.beta1, seed: o.seed,
  };
}

function toRaw(tensors: Map<string, { shape: number[]; data: Float32Array }>): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [k, v] of tensors) out.set(k, { shape: [...v.shape], data: v.data });
  return out;
}

/** Accumulated losses between log lines, as checkpoints store them (the log holds the mean over each --print-freq interval). */
interface LossAccumulator {
  n: number;
  sums: Record<string, number>;
}

/**
 * The running sums of the losses since the last log line, kept on the device: one small add per step and
 * no read-back, so a step never waits for the backend; the sums are read (asynchronously) only when a
 * line is written or a checkpoint saved.
 */
export class LossMeter {
  private n = 0;
  private sums: tf.Tensor1D | null = null;

  constructor(from?: LossAccumulator) {
    if (from && from.n > 0) {
      this.n = from.n;
      this.sums = tf.keep(tf.tensor1d(LOSS_NAMES.map((k) => from.sums[k] ?? 0)));
    }
  }

  add(losses: LossTensors): void {
    const step = tf.tidy(() => (this.sums ? tf.add(this.sums, tf.stack(LOSS_NAMES.map((k) => losses[k]))) : tf.stack(LOSS_NAMES.map((k) => losses[k]))));
    this.sums?.dispose();
    this.sums = tf.keep(step as tf.Tensor1D);
    this.n++;
  }

  /** The sums as plain numbers (for checkpoints). */
  async read(): Promise<LossAccumulator> {
    const sums: Record<string, number> = {};
    if (this.sums) {
      const v = await this.sums.data();
      LOSS_NAMES.forEach((k, i) => { sums[k] = v[i]; });
    }
    return { n: this.n, sums };
  }

  /** The mean since the last reset, then starts over. */
  async takeMean(): Promise<Record<string, number>> {
    const { n, sums } = await this.read();
    const mean: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) mean[k] = v / n;
    this.reset();
    return mean;
  }

  reset(): void {
    this.sums?.dispose();
    this.sums = null;
    this.n = 0;
  }
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
    return await trainLocked(opts, data, hooks, log, paths, lastEpoch, backend);
  } finally {
    await lock.release();
  }
}

async function trainLocked(opts: TrainOptions, data: TrainDataSource, hooks: TrainHooks, log: (l: string) => void,
                           paths: ReturnType<typeof runPaths>, lastEpoch: number, backend: string): Promise<TrainResult> {
  if (!opts.continueTrain && (await hasCheckpoint(paths))) {
    throw new CycleGANError(`${paths.root} already holds a run; pass --continue to resume it, or choose another --name`);
  }
  if (opts.continueTrain && opts.epoch === 'latest' && !(await hasCheckpoint(paths)) && (await checkpointLabels(paths.root)).length === 0) {
    throw new CycleGANError(`nothing to continue yet in ${paths.root}: the run stopped before its first checkpoint; run without --continue`);
  }

  let model: CycleGANModel;
  let epoch = opts.epochCount;
  let epochIter = 0;
  let totalIters = 0;
  let epochCount = opts.epochCount;
  let elapsedBefore = 0;
  let acc = new LossMeter();
  let schedule: LrSchedule;
  const report = new TrainingReport(paths, opts.name, { identity: opts.lambdaIdentity > 0, displayFreq: opts.displayFreq });

  // --continue alone resumes exactly from the newest checkpoint; with --epoch-count or --epoch N (or when
  // only networks exist, e.g. an official .pth run folder) it continues as the official code does.
  const exact = opts.continueTrain && opts.continueFrom !== 'nets' && opts.epoch === 'latest' && (await hasCheckpoint(paths));
  if (exact) {
    const ck = (await loadCheckpoint(paths))!;
    const st = ck.state.json;
    if (st.epoch > lastEpoch) {
      for (const n of Object.values(ck.nets)) n.dispose();
      throw new CycleGANError(`${opts.name} has finished: it trained epochs ${st.epochCount}..${st.epoch - 1} and --n-epochs ${opts.nEpochs} + ` +
        `--n-epochs-decay ${opts.nEpochsDecay} ends at ${lastEpoch}; raise --n-epochs-decay (or --n-epochs) to train more`);
    }
    model = CycleGANModel.fromNetworks(modelOptions(opts), ck.nets);
    model.setTrainingState({ tensors: ck.state.tensors, json: st.model } as Parameters<CycleGANModel['setTrainingState']>[0]);
    epochCount = st.epochCount;
    epoch = st.epoch;
    epochIter = st.epochIter;
    totalIters = st.totalIters;
    elapsedBefore = st.elapsed;
    data.setState(st.data);
    schedule = new LrSchedule(opts, epochCount);
    schedule.setState(st.scheduler);
    acc = new LossMeter(st.lossAcc as LossAccumulator | undefined);
    await truncateLossLog(paths, totalIters);
    await report.load();
    log(`resuming ${opts.name} at epoch ${epoch}, image ${epochIter} of ${data.size} (${totalIters} images trained)`);
  } else if (opts.continueTrain) {
    // Official --continue_train: networks from <epoch>_net_*, fresh optimizers, epochs from --epoch-count.
    const label = opts.epoch;
    const mo = modelOptions(opts);
    const loaded = await loadNets(paths, label, undefined, { ...generatorSpecs(mo), ...discriminatorSpecs(mo) });
    const { converted, ...nets } = loaded;
    model = CycleGANModel.fromNetworks(mo, nets as Nets);
    schedule = new LrSchedule(opts, epochCount);
    await report.load();
    log(`continuing ${opts.name} from ${label}_net_*${converted ? ' (official .pth checkpoints, converted with the architecture from the flags)' : ''} ` +
      `at epoch ${epoch}; the optimizers start fresh, as the official --continue_train does`);
  } else {
    model = CycleGANModel.create(modelOptions(opts));
    schedule = new LrSchedule(opts, epochCount);
    await fsp.rm(paths.lossLog, { force: true });
  }
  if (opts.verbose) {
    // official BaseModel.print_networks (without the module listing: the flags describe the networks)
    for (const [n, net] of Object.entries(model.nets)) {
      log(`[Network ${n}] Total number of parameters : ${(net.numParameters() / 1e6).toFixed(3)} M`);
    }
    log(officialOptionsText(opts).trimEnd());
  }
  if (opts.lrPolicy !== 'plateau' && epoch <= lastEpoch) {
    const probe = new LrSchedule(opts, epochCount);
    let allZero = true;
    for (let e = epoch; e <= lastEpoch && allZero; e++) allZero = probe.startEpoch(e) === 0;
    if (allZero) {
      log(`warning: every epoch left (${epoch}..${lastEpoch}) trains at learning rate 0, so the networks will not change ` +
        `(the official schedule does the same: the lr decays to 0 over --n-epochs-decay ${opts.nEpochsDecay} + 1 epochs after --n-epochs ${opts.nEpochs}); ` +
        'raise --n-epochs or --n-epochs-decay');
    }
  }
  await writeJsonAtomic(paths.opt, { ...optionsToJson(opts), epoch_count: epochCount, backend_used: backend });
  // the official code's text files too, for scripts written for its layout
  await writeFileAtomic(paths.officialOpt, officialOptionsText(opts));
  await startOfficialLossLog(paths);
  let printedAt = { t: 0, iters: totalIters };
  // The loss log is read once here and kept in memory for the report (appended lines are added to both).
  const lossLog = await readLossLog(paths);

  const progress = new Progress(hooks.progress ?? stdoutSink(), opts.printFreq);
  const sessionStart = performance.now();
  const sessionStartIters = totalIters;
  const seconds = () => (performance.now() - sessionStart) / 1000;
  let status: TrainResult['status'] = 'completed';
  let lastLosses: Record<string, number> | undefined;
  /** the last step's losses, still on the device (read at the end of an epoch) */
  let lastStep: LossTensors | undefined;

  const snapshot = async (ms: ReturnType<CycleGANModel['getTrainingState']>): Promise<TrainStateJson> => {
    const lossAcc = await acc.read();
    return {
      version: 1, epoch, epochIter, totalIters, epochCount,
      model: ms.json,
      data: data.getState(),
      scheduler: schedule.getState(),
      lossAcc,
      elapsed: elapsedBefore + seconds(),
      savedAt: new Date().toISOString(),
    };
  };
  let checkpointedAt = '';
  const checkpoint = async (why: string): Promise<void> => {
    checkpointedAt = `${epoch}:${epochIter}`;
    await prepareSyncReads(); // webgpu: the state below is read with dataSync
    const ms = model.getTrainingState();
    const json = await snapshot(ms);
    await saveCheckpoint(paths, model.nets as Nets, { json, tensors: toRaw(ms.tensors as Map<string, { shape: number[]; data: Float32Array }>) });
    progress.log(`saved checkpoint (${why}): epoch ${epoch}, image ${epochIter}/${data.size}, ${totalIters} images in all`);
  };
  const shouldStop = (): TrainResult['status'] | undefined => {
    if (hooks.signal?.aborted) return 'interrupted';
    if (hooks.maxIters !== undefined && totalIters >= hooks.maxIters) return 'budget';
    if (hooks.maxSeconds !== undefined && seconds() >= hooks.maxSeconds) return 'budget';
    return undefined;
  };

  log(`training ${opts.name}: ${data.size} images per epoch, epochs ${epoch}..${lastEpoch}, backend ${backend}, seed ${opts.seed}`);
  progress.start(totalIters);
  const itersLeftAt = () => Math.max(0, (lastEpoch - epoch + 1) * data.size - epochIter);

  try {
    outer: while (epoch <= lastEpoch) {
      const stop0 = shouldStop();
      if (stop0) {
        status = stop0;
        break;
      }
      const lrBefore = schedule.lr;
      const lr = schedule.startEpoch(epoch);
      model.setLearningRate(lr);
      if (epochIter === 0 && lr !== lrBefore) progress.log(`learning rate ${lrBefore.toFixed(7)} -> ${lr.toFixed(7)}`);
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
        const prev = totalIters;
        epochIter += n;
        totalIters += n;
        const crossed = (freq: number) => Math.floor(totalIters / freq) !== Math.floor(prev / freq);

        // Losses are read back only here (the mean since the previous line), never per step.
        let logged: Record<string, number> | undefined;
        if (crossed(opts.printFreq)) {
          logged = await acc.takeMean();
          lastLosses = logged;
          const entry: LossLogEntry = { epoch, epochIter, totalIters, x: epoch - 1 + epochIter / data.size, lr, time: elapsedBefore + seconds(), losses: logged };
          await appendLossLog(paths, [entry]);
          lossLog.push(entry);
          const now = seconds();
          await appendOfficialLossLine(paths, epoch, epochIter, (now - printedAt.t) / Math.max(1, totalIters - printedAt.iters), logged);
          printedAt = { t: now, iters: totalIters };
        }
        hooks.onStep?.({ epoch, epochIter, totalIters, lr, losses: logged });
        progress.update({ epoch, lastEpoch, epochIter, epochSize: data.size, totalIters, itersLeft: itersLeftAt(), lr, losses: lastLosses }, n);
        if (crossed(opts.displayFreq)) {
          await report.addSamples(model, realA, realB, epoch, totalIters);
          await report.write(lossLog, { epoch, lastEpoch, totalIters });
        }
        tf.dispose([batch.A, batch.B]);

        if (crossed(opts.saveLatestFreq)) {
          await checkpoint(`--save-latest-freq ${opts.saveLatestFreq}`);
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
      const finished = epoch;
      epoch++;
      epochIter = 0;
      const saveEpoch = finished % opts.saveEpochFreq === 0;
      if (saveEpoch) {
        await checkpoint(`end of epoch ${finished}`);
        await saveNetsAs(paths, model.nets as Nets, finished);
      }
      if (lastStep) lastLosses = await readLosses(lastStep);
      progress.log(`end of epoch ${finished} / ${lastEpoch}: ${formatLosses(lastLosses)}`);
      await report.write(lossLog, { epoch: finished, lastEpoch, totalIters });
    }
    // Whatever ended the loop, leave a checkpoint of exactly where it stopped (unless one was just written).
    if (checkpointedAt !== `${epoch}:${epochIter}`) await checkpoint(status === 'completed' ? 'end of training' : status === 'interrupted' ? 'stop requested' : 'budget reached');
    await report.write(lossLog, {
      epoch: Math.min(epoch, lastEpoch), lastEpoch, totalIters, done: status === 'completed', stopped: status === 'completed' ? undefined : status,
    });
  } finally {
    progress.end();
    if (lastStep) disposeLosses(lastStep);
    acc.reset();
    await data.close?.();
  }
  const secs = seconds();
  const result: TrainResult = {
    status, epoch, epochIter, totalIters, lr: schedule.lr, lastEpoch, runDir: paths.root, backend, seconds: secs,
    itersPerSecond: secs > 0 ? (totalIters - sessionStartIters) / secs : 0,
  };
  model.dispose();
  return result;
}
