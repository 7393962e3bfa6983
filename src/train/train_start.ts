// How a training run starts: fresh, resumed exactly from its newest checkpoint, or continued from saved
// networks as the official --continue_train does; then what it says before the first step and the option
// files it writes. The epoch loop (trainer.ts) takes over from the position returned here.
import { promises as fsp } from 'node:fs';
import { CycleGANError } from '../core/errors.js';
import { CycleGANModel, discriminatorSpecs, generatorSpecs, modelOptions } from '../core/model.js';
import { LrSchedule } from '../core/schedule.js';
import { type TrainOptions, optionsToJson, officialOptionsText } from './options.js';
import { checkpointLabels, hasCheckpoint, loadCheckpoint, loadNets, truncateLossLog, type Nets, type RunPaths } from './run_folder.js';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.js';
import type { TrainingReport } from '../report/training_page.js';
import type { TrainDataSource } from './trainer.js';
import { LossMeter, type LossAccumulator } from './train_log.js';

/** Where the run stands: the loop advances it and checkpoints store it. */
export interface RunPosition {
  /** the epoch to train next and how many of its images are done */
  epoch: number;
  epochIter: number;
  totalIters: number;
  /** the run's first epoch (--epoch-count when it started) */
  epochCount: number;
  /** training seconds of the sessions before this one */
  elapsedBefore: number;
}

export interface RunStart {
  model: CycleGANModel;
  schedule: LrSchedule;
  pos: RunPosition;
  /** the losses summed since the last log line (restored on an exact resume) */
  acc: LossMeter;
}

/**
 * Builds the model and the position to train from. With opts.continueTrain the run resumes from its newest
 * checkpoint (exactly, including the position inside an epoch); with opts.continueTrain and opts.epoch = N it
 * starts from N_net_* with fresh optimizers at --epoch-count, as the official --continue_train --epoch N does.
 */
export async function startRun(opts: TrainOptions, data: TrainDataSource, paths: RunPaths, lastEpoch: number,
                               report: TrainingReport, log: (l: string) => void): Promise<RunStart> {
  if (!opts.continueTrain && (await hasCheckpoint(paths))) {
    throw new CycleGANError(`${paths.root} already holds a run; pass --continue to resume it, or choose another --name`);
  }
  if (opts.continueTrain && opts.epoch === 'latest' && !(await hasCheckpoint(paths)) && (await checkpointLabels(paths.root)).length === 0) {
    throw new CycleGANError(`nothing to continue yet in ${paths.root}: the run stopped before its first checkpoint; run without --continue`);
  }
  const pos: RunPosition = { epoch: opts.epochCount, epochIter: 0, totalIters: 0, epochCount: opts.epochCount, elapsedBefore: 0 };

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
    const model = CycleGANModel.fromNetworks(modelOptions(opts), ck.nets);
    model.setTrainingState({ tensors: ck.state.tensors, json: st.model } as Parameters<CycleGANModel['setTrainingState']>[0]);
    Object.assign(pos, { epochCount: st.epochCount, epoch: st.epoch, epochIter: st.epochIter, totalIters: st.totalIters, elapsedBefore: st.elapsed });
    data.setState(st.data);
    const schedule = new LrSchedule(opts, pos.epochCount);
    schedule.setState(st.scheduler);
    const acc = new LossMeter(st.lossAcc as LossAccumulator | undefined);
    await truncateLossLog(paths, pos.totalIters);
    await report.load();
    log(`resuming ${opts.name} at epoch ${pos.epoch}, image ${pos.epochIter} of ${data.size} (${pos.totalIters} images trained)`);
    return { model, schedule, pos, acc };
  }
  if (opts.continueTrain) {
    // Official --continue_train: networks from <epoch>_net_*, fresh optimizers, epochs from --epoch-count.
    const label = opts.epoch;
    const mo = modelOptions(opts);
    const loaded = await loadNets(paths, label, undefined, { ...generatorSpecs(mo), ...discriminatorSpecs(mo) });
    const { converted, ...nets } = loaded;
    const model = CycleGANModel.fromNetworks(mo, nets as Nets);
    await report.load();
    log(`continuing ${opts.name} from ${label}_net_*${converted ? ' (official .pth checkpoints, converted with the architecture from the flags)' : ''} ` +
      `at epoch ${pos.epoch}; the optimizers start fresh, as the official --continue_train does`);
    return { model, schedule: new LrSchedule(opts, pos.epochCount), pos, acc: new LossMeter() };
  }
  const model = CycleGANModel.create(modelOptions(opts));
  await fsp.rm(paths.lossLog, { force: true });
  return { model, schedule: new LrSchedule(opts, pos.epochCount), pos, acc: new LossMeter() };
}

/**
 * What is said before the first step (--verbose: the official print_networks and options; a schedule that
 * would train nothing) and the option files written: opt.json, and the official train_opt.txt for scripts
 * written for its layout.
 */
export async function announceRun(opts: TrainOptions, start: RunStart, paths: RunPaths, lastEpoch: number, backend: string,
                                  log: (l: string) => void): Promise<void> {
  const { model, pos } = start;
  if (opts.verbose) {
    // official BaseModel.print_networks (without the module listing: the flags describe the networks)
    for (const [n, net] of Object.entries(model.nets)) {
      log(`[Network ${n}] Total number of parameters : ${(net.numParameters() / 1e6).toFixed(3)} M`);
    }
    log(officialOptionsText(opts).trimEnd());
  }
  if (opts.lrPolicy !== 'plateau' && pos.epoch <= lastEpoch) {
    const probe = new LrSchedule(opts, pos.epochCount);
    let allZero = true;
    for (let e = pos.epoch; e <= lastEpoch && allZero; e++) allZero = probe.startEpoch(e) === 0;
    if (allZero) {
      log(`warning: every epoch left (${pos.epoch}..${lastEpoch}) trains at learning rate 0, so the networks will not change ` +
        `(the official schedule does the same: the lr decays to 0 over --n-epochs-decay ${opts.nEpochsDecay} + 1 epochs after --n-epochs ${opts.nEpochs}); ` +
        'raise --n-epochs or --n-epochs-decay');
    }
  }
  await writeJsonAtomic(paths.opt, { ...optionsToJson(opts), epoch_count: pos.epochCount, backend_used: backend });
  await writeFileAtomic(paths.officialOpt, officialOptionsText(opts));
}
