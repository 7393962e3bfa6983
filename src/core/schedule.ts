// Learning-rate policies, as the official get_scheduler builds them. Each gives the factor applied to the
// initial lr after `epoch` epochs have been completed (epoch = 0 at the start of training).

export type LrPolicy = 'linear' | 'step' | 'plateau' | 'cosine';
export const LR_POLICIES: readonly LrPolicy[] = ['linear', 'step', 'plateau', 'cosine'];

export interface ScheduleOptions {
  nEpochs: number;
  nEpochsDecay: number;
  epochCount: number;
  lrDecayIters: number;
}

/** Constant for nEpochs, then linear decay to zero over nEpochsDecay (LambdaLR in the official code). */
export function linearDecay(epoch: number, o: Pick<ScheduleOptions, 'nEpochs' | 'nEpochsDecay' | 'epochCount'>): number {
  return 1 - Math.max(0, epoch + o.epochCount - o.nEpochs) / (o.nEpochsDecay + 1);
}

/** StepLR(step_size = lr_decay_iters, gamma = 0.1). */
export function stepDecay(epoch: number, o: Pick<ScheduleOptions, 'lrDecayIters'>): number {
  return 0.1 ** Math.floor(epoch / o.lrDecayIters);
}

/** CosineAnnealingLR(T_max = n_epochs, eta_min = 0), closed form. */
export function cosineDecay(epoch: number, o: Pick<ScheduleOptions, 'nEpochs'>): number {
  return (1 + Math.cos((Math.PI * epoch) / o.nEpochs)) / 2;
}

/** ReduceLROnPlateau(mode='min', factor=0.2, threshold=0.01 (relative), patience=5), stateful. */
export class PlateauScheduler {
  best = Infinity;
  badEpochs = 0;
  factor = 1;

  step(metric: number): number {
    if (metric < this.best * (1 - 0.01)) {
      this.best = metric;
      this.badEpochs = 0;
    } else if (++this.badEpochs > 5) {
      this.factor *= 0.2;
      this.badEpochs = 0;
    }
    return this.factor;
  }

  getState(): { best: number; badEpochs: number; factor: number } {
    return { best: this.best, badEpochs: this.badEpochs, factor: this.factor };
  }

  setState(s: { best: number; badEpochs: number; factor: number }): void {
    Object.assign(this, s);
  }
}

/** The lr factor of a stateless policy after `epoch` completed epochs. */
export function lrFactor(policy: Exclude<LrPolicy, 'plateau'>, epoch: number, o: ScheduleOptions): number {
  if (policy === 'linear') return linearDecay(epoch, o);
  if (policy === 'step') return stepDecay(epoch, o);
  return cosineDecay(epoch, o);
}

/** The options the epoch schedule reads (the train options' names). */
export interface EpochScheduleOptions {
  lr: number;
  lrPolicy: LrPolicy;
  nEpochs: number;
  nEpochsDecay: number;
  lrDecayIters: number;
}

/**
 * The learning-rate schedule as the official schedulers step it (once at the start of each epoch): the Node
 * trainer and the in-browser engine both follow it, and its state is part of their checkpoints.
 */
export class LrSchedule {
  readonly plateau = new PlateauScheduler();
  /** the epoch whose start-of-epoch step has been applied */
  appliedEpoch = 0;
  lr: number;

  constructor(private readonly o: EpochScheduleOptions, private readonly epochCount: number) {
    this.lr = o.lr * this.factorAt(0);
  }

  private factorAt(steps: number): number {
    const so = { nEpochs: this.o.nEpochs, nEpochsDecay: this.o.nEpochsDecay, epochCount: this.epochCount, lrDecayIters: this.o.lrDecayIters };
    // The official code never sets a plateau metric for CycleGAN (BaseModel.metric stays 0).
    if (this.o.lrPolicy === 'plateau') return steps === 0 ? 1 : this.plateau.step(0);
    return lrFactor(this.o.lrPolicy, steps, so);
  }

  /** The start-of-epoch update for `epoch` (idempotent, so a mid-epoch resume does not step twice). */
  startEpoch(epoch: number): number {
    if (this.appliedEpoch !== epoch) {
      this.lr = this.o.lr * this.factorAt(epoch - this.epochCount + 1);
      this.appliedEpoch = epoch;
    }
    return this.lr;
  }

  getState(): unknown {
    return { appliedEpoch: this.appliedEpoch, lr: this.lr, plateau: this.plateau.getState() };
  }

  setState(s: unknown): void {
    const st = s as { appliedEpoch: number; lr: number; plateau: ReturnType<PlateauScheduler['getState']> };
    this.appliedEpoch = st.appliedEpoch;
    this.lr = st.lr;
    this.plateau.setState(st.plateau);
  }
}
