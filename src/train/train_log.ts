// The training loop's logging: the losses summed on the device between --print-freq lines (LossMeter), and
// the lines themselves, written to loss_log.jsonl and the official loss_log.txt and kept in memory for the
// report (the log is read once when training starts, never again).
import { tf } from '../core/tf.js';
import { LOSS_NAMES, lossesOfVector, stackLosses, type LossTensors } from '../core/model.js';
import { appendLossLog, appendOfficialLossLine, readLossLog, startOfficialLossLog, type LossLogEntry, type RunPaths } from './run_folder.js';

/** Accumulated losses between log lines, as checkpoints store them (the log holds the mean over each --print-freq interval). */
export interface LossAccumulator {
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
    const step = tf.tidy(() => (this.sums ? tf.add(this.sums, stackLosses(losses)) : stackLosses(losses)));
    this.sums?.dispose();
    this.sums = tf.keep(step as tf.Tensor1D);
    this.n++;
  }

  /** The sums as plain numbers (for checkpoints). */
  async read(): Promise<LossAccumulator> {
    const sums: Record<string, number> = this.sums ? lossesOfVector(await this.sums.data()) : {};
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

/** The run's loss log: the lines so far (for the report) and the writer of new ones. */
export class TrainLog {
  private printedAt: { t: number; iters: number };

  private constructor(private readonly paths: RunPaths, readonly entries: LossLogEntry[], totalIters: number) {
    this.printedAt = { t: 0, iters: totalIters };
  }

  /** Opens the official text log with its session header and reads the JSON log once. */
  static async open(paths: RunPaths, totalIters: number): Promise<TrainLog> {
    await startOfficialLossLog(paths);
    return new TrainLog(paths, await readLossLog(paths), totalIters);
  }

  /** One --print-freq line in both logs; `seconds` is the session clock (the official line's time per image). */
  async write(entry: LossLogEntry, seconds: () => number): Promise<void> {
    await appendLossLog(this.paths, [entry]);
    this.entries.push(entry);
    const now = seconds();
    await appendOfficialLossLine(this.paths, entry.epoch, entry.epochIter,
      (now - this.printedAt.t) / Math.max(1, entry.totalIters - this.printedAt.iters), entry.losses);
    this.printedAt = { t: now, iters: entry.totalIters };
  }
}
