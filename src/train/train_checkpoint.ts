// Checkpoints of a training run: the networks, and everything else that exact resumption needs (optimizer
// moments, pools, RNG, the dataset position, the scheduler, the loss sums since the last log line, the time
// trained), written atomically by run_folder.ts.
import type { CycleGANModel } from '../core/model.js';
import type { LrSchedule } from '../core/schedule.js';
import type { RawTensor } from '../core/weights/safetensors.js';
import { prepareSyncReads } from '../backends/index.js';
import { saveCheckpoint, type Nets, type RunPaths, type TrainStateJson } from './run_folder.js';
import type { TrainDataSource } from './trainer.js';
import type { RunPosition } from './train_start.js';
import type { LossMeter } from './train_log.js';

function toRaw(tensors: Map<string, { shape: number[]; data: Float32Array }>): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [k, v] of tensors) out.set(k, { shape: [...v.shape], data: v.data });
  return out;
}

export class Checkpointer {
  /** the position of the last checkpoint written ('' before the first) */
  private savedAt = '';

  constructor(private readonly paths: RunPaths, private readonly run: {
    model: CycleGANModel; schedule: LrSchedule; pos: RunPosition; acc: LossMeter; data: TrainDataSource;
    /** seconds trained in this session */
    seconds: () => number;
    log: (line: string) => void;
  }) {}

  /** Writes a checkpoint of the current position; `why` is said in the log line. */
  async save(why: string): Promise<void> {
    const { model, schedule, pos, acc, data } = this.run;
    this.savedAt = `${pos.epoch}:${pos.epochIter}`;
    // webgpu: the networks are written with dataSync, which needs a CPU copy of exactly their tensors; the
    // optimizer moments and pools are read asynchronously (not every live tensor, as before).
    await prepareSyncReads(Object.values(model.nets).flatMap((n) => [...n.params.values(), ...n.buffers.values()]));
    const ms = await model.getTrainingStateAsync();
    const lossAcc = await acc.read();
    const json: TrainStateJson = {
      version: 1, epoch: pos.epoch, epochIter: pos.epochIter, totalIters: pos.totalIters, epochCount: pos.epochCount,
      model: ms.json,
      data: data.getState(),
      scheduler: schedule.getState(),
      lossAcc,
      elapsed: pos.elapsedBefore + this.run.seconds(),
      savedAt: new Date().toISOString(),
    };
    await saveCheckpoint(this.paths, model.nets as Nets, { json, tensors: toRaw(ms.tensors as Map<string, { shape: number[]; data: Float32Array }>) });
    this.run.log(`saved checkpoint (${why}): epoch ${pos.epoch}, image ${pos.epochIter}/${data.size}, ${pos.totalIters} images in all`);
  }

  /** A checkpoint of where the run stopped, unless the last one was written exactly there. */
  async saveUnlessCurrent(why: string): Promise<void> {
    const { pos } = this.run;
    if (this.savedAt !== `${pos.epoch}:${pos.epochIter}`) await this.save(why);
  }
}
