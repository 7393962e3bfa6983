// The CycleGAN model: two generators, two discriminators, their optimizers and image pools, and one
// training step in the official order (models/cycle_gan_model.py, optimize_parameters).
import { tf } from './tf.js';
import { Rng, type RngState } from './rng.js';
import { createNetwork, type DiscriminatorSpec, type GeneratorSpec, type Network, type NormType } from './networks/index.js';
import type { InitType } from './networks/init.js';
import { ganLossAndGrad, l1LossAndGrad, type GanMode } from './losses.js';
import { backward, forwardTrace, type ParamGrads } from './networks/backward.js';
import { ImagePool, type PoolState } from './pool.js';
import { Adam, type AdamState, type GradientParts } from './optim.js';
// loss_names / visual_names / model_names are declared once, in a module free of TF.js (the page imports it).
import { LOSS_NAMES, type LossName, type VisualName } from './model_names.js';
import { releasePhases, runPhase } from './phases.js';
import { trainingReplayable } from './networks/inference.js';

export interface CycleGANOptions {
  inputNc: number;
  outputNc: number;
  ngf: number;
  ndf: number;
  netG: GeneratorSpec['netG'];
  netD: DiscriminatorSpec['netD'];
  nLayersD: number;
  norm: NormType;
  initType: InitType;
  initGain: number;
  noDropout: boolean;
  ganMode: GanMode;
  lambdaA: number;
  lambdaB: number;
  lambdaIdentity: number;
  poolSize: number;
  lr: number;
  beta1: number;
  seed: number;
}

/** The official defaults for CycleGAN (train_options + cycle_gan_model's overrides: no_dropout, lsgan). */
export function defaultCycleGANOptions(): CycleGANOptions {
  return {
    inputNc: 3, outputNc: 3, ngf: 64, ndf: 64, netG: 'resnet_9blocks', netD: 'basic', nLayersD: 3, norm: 'instance',
    initType: 'normal', initGain: 0.02, noDropout: true, ganMode: 'lsgan', lambdaA: 10, lambdaB: 10, lambdaIdentity: 0.5,
    poolSize: 50, lr: 0.0002, beta1: 0.5, seed: 0,
  };
}

/**
 * The model's options picked out of a larger option set (the trainer's, the page engine's): exactly the keys
 * defaultCycleGANOptions() declares, so that list has one owner.
 */
export function modelOptions(o: CycleGANOptions): CycleGANOptions {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(defaultCycleGANOptions()) as Array<keyof CycleGANOptions>) out[k] = o[k];
  return out as unknown as CycleGANOptions;
}

export { LOSS_NAMES, VISUAL_NAMES, MODEL_NAMES, visualNames, type LossName, type VisualName, type ModelName } from './model_names.js';
export type Losses = Record<LossName, number>;
/** The losses of one step as scalar tensors (kept; the caller disposes them). Read them with readLosses. */
export type LossTensors = Record<LossName, tf.Scalar>;

/**
 * Reads loss tensors without blocking the device queue (webgpu cannot dataSync in Node), stacked into one 8-value
 * tensor so that a GPU backend does one copy and one map (stacking copies the values exactly). The stack is made
 * before this returns, so the caller may dispose `t` at once; `t` itself is not disposed.
 */
export function readLosses(t: LossTensors): Promise<Losses> {
  const all = tf.tidy(() => stackLosses(t));
  return all.data().then(lossesOfVector).finally(() => all.dispose());
}

/** The losses as one vector in LOSS_NAMES order (readLosses; the trainer's LossMeter sums these on the device). */
export function stackLosses(t: LossTensors): tf.Tensor1D {
  return tf.stack(LOSS_NAMES.map((n) => t[n])) as tf.Tensor1D;
}

/** The values of a stackLosses vector by loss name. */
export function lossesOfVector(v: ArrayLike<number>): Losses {
  const out = {} as Losses;
  LOSS_NAMES.forEach((n, i) => { out[n] = v[i]; });
  return out;
}

export function disposeLosses(t: LossTensors): void {
  tf.dispose(LOSS_NAMES.map((n) => t[n]));
}

/**
 * `n` training steps on one batch, queued back to back as the trainer queues them, then a wait for the last
 * (a read of one of its losses: a no-op wait on the CPU backends, the queue drain on a GPU). For timing.
 */
export async function runQueuedSteps(model: CycleGANModel, realA: tf.Tensor4D, realB: tf.Tensor4D, n: number): Promise<void> {
  let last: LossTensors | undefined;
  for (let i = 0; i < n; i++) {
    if (last) disposeLosses(last);
    last = model.step(realA, realB);
  }
  if (last) {
    await last.D_B.data();
    disposeLosses(last);
  }
}

export interface CycleGANNetworks {
  G_A: Network;
  G_B: Network;
  D_A: Network;
  D_B: Network;
}

export interface TrainingState {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  json: { optimizerG: { step: number; lr: number }; optimizerD: { step: number; lr: number }; poolA: PoolMeta; poolB: PoolMeta; rng: RngState };
}
type PoolMeta = { count: number; rng: RngState };

export function generatorSpecs(o: CycleGANOptions): { G_A: GeneratorSpec; G_B: GeneratorSpec } {
  const g = (inputNc: number, outputNc: number): GeneratorSpec =>
    ({ role: 'generator', netG: o.netG, inputNc, outputNc, ngf: o.ngf, norm: o.norm, useDropout: !o.noDropout });
  return { G_A: g(o.inputNc, o.outputNc), G_B: g(o.outputNc, o.inputNc) };
}

export function discriminatorSpecs(o: CycleGANOptions): { D_A: DiscriminatorSpec; D_B: DiscriminatorSpec } {
  const d = (inputNc: number): DiscriminatorSpec =>
    ({ role: 'discriminator', netD: o.netD, inputNc, ndf: o.ndf, nLayersD: o.nLayersD, norm: o.norm });
  return { D_A: d(o.outputNc), D_B: d(o.inputNc) };
}

const isIdentityLoss = (n: LossName) => n.startsWith('idt_');

/**
 * The generators' losses, the G phase's outputs after the fakes (CycleGANModel.generatorPhase pushes them in
 * this order): LOSS_NAMES without the discriminators', and without the identity terms unless they are on.
 */
function generatorLossNames(identity: boolean): LossName[] {
  return LOSS_NAMES.filter((n) => !n.startsWith('D_') && (identity || !isIdentityLoss(n)));
}

export class CycleGANModel {
  readonly optimizerG: Adam;
  readonly optimizerD: Adam;
  /** fake_A history feeds D_B; fake_B history feeds D_A. */
  readonly poolA: ImagePool;
  readonly poolB: ImagePool;
  private readonly rng: Rng;

  private constructor(readonly opts: CycleGANOptions, readonly nets: CycleGANNetworks) {
    const master = new Rng(opts.seed ^ 0x5eed);
    this.poolA = new ImagePool(opts.poolSize, master.fork());
    this.poolB = new ImagePool(opts.poolSize, master.fork());
    this.rng = master.fork();
    this.optimizerG = new Adam(this.namedParams(['G_A', 'G_B']), opts.lr, opts.beta1);
    this.optimizerD = new Adam(this.namedParams(['D_A', 'D_B']), opts.lr, opts.beta1);
  }

  static create(opts: CycleGANOptions): CycleGANModel {
    const init = (seed: number) => ({ type: opts.initType, gain: opts.initGain, seed });
    const g = generatorSpecs(opts);
    const d = discriminatorSpecs(opts);
    const base = opts.seed * 4;
    return new CycleGANModel(opts, {
      G_A: createNetwork(g.G_A, init(base)), G_B: createNetwork(g.G_B, init(base + 1)),
      D_A: createNetwork(d.D_A, init(base + 2)), D_B: createNetwork(d.D_B, init(base + 3)),
    });
  }

  static fromNetworks(opts: CycleGANOptions, nets: CycleGANNetworks): CycleGANModel {
    return new CycleGANModel(opts, nets);
  }

  private namedParams(which: (keyof CycleGANNetworks)[]): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const n of which) for (const [k, v] of this.nets[n].params) out.set(`${n}.${k}`, v);
    return out;
  }

  /** A network's parameter gradients under the optimizer's names ('G_A.model.1.weight'). */
  private static named(prefix: string, grads: Map<string, GradientParts>, into: Map<string, GradientParts>): void {
    for (const [k, g] of grads) into.set(`${prefix}.${k}`, g);
  }

  /**
   * One training step that returns at once with the losses still on the device (kept scalars the caller
   * disposes): nothing here waits for the backend, so a GPU queue stays full between steps.
   */
  step(realA: tf.Tensor4D, realB: tf.Tensor4D): LossTensors {
    return this.stepReverse(realA, realB);
  }

  /** Synchronous convenience for tests and scripts: step() then read the losses (blocks on the device). */
  trainStep(realA: tf.Tensor4D, realB: tf.Tensor4D): Losses {
    const t = this.step(realA, realB);
    const out = {} as Losses;
    for (const name of LOSS_NAMES) out[name] = t[name].dataSync()[0];
    disposeLosses(t);
    return out;
  }

  /**
   * One optimize_parameters step (G_A and G_B with the discriminators fixed, then D_A and D_B), differentiated
   * by our own reverse pass (src/core/networks/backward.ts): each network's forward keeps only what its backward
   * needs, and everything is freed as soon as its gradient is through, so peak memory is about two
   * generators' saved activations (a generator while the network after it is differentiated).
   *
   * Order per cycle (A→B→A, then B→A→B; the two share no tensor): fake = G(real); D(fake) with D frozen →
   * d fake; rec = F(fake) → d fake and F's gradients; then G's backward; then G's identity term on its own.
   * The gradients add up to the official single backward pass of loss_G; the forward passes draw dropout
   * masks in the same order as before. The loss gradients are written out by hand (src/core/losses.ts).
   */
  private stepReverse(realA: tf.Tensor4D, realB: tf.Tensor4D): LossTensors {
    const o = this.opts;
    const losses = {} as LossTensors;
    // (the phases depend only on their inputs and the networks' and optimizers' tensors: no dropout, no batch norm)
    const replayable = Object.values(this.nets).every(trainingReplayable);
    // The generators' phase: both cycles, the identity terms, optimizerG's update. Its outputs are the fakes
    // and the G losses in gLossNames order.
    const idt = o.lambdaIdentity > 0;
    const gLossNames = generatorLossNames(idt);
    const [fakeA, fakeB, ...gLosses] = runPhase(this, {
      name: 'G', inputs: [realA, realB], optimizer: this.optimizerG, replayable,
      // (the discriminators' parameters too: the GAN terms read them)
      longLived: () => [...this.optimizerG.params.values(), ...this.optimizerD.params.values(), ...this.optimizerG.momentTensors()],
    }, ([a, b]) => this.generatorPhase(a as tf.Tensor4D, b as tf.Tensor4D)) as [tf.Tensor4D, tf.Tensor4D, ...tf.Scalar[]];
    // (kept here, not in the phases: a replay's outputs are new tensors, and a capture keeps its own)
    gLossNames.forEach((n, i) => { losses[n] = tf.keep(gLosses[i]); });
    // (a constant made outside the phases: an upload per step would keep the phase from being replayed)
    if (!idt) for (const n of LOSS_NAMES.filter(isIdentityLoss)) losses[n] = tf.keep(tf.scalar(0));

    // The image pools are host decisions (their RNG, the images they keep) between the two phases.
    const pooledB = this.poolB.query(fakeB);
    const pooledA = this.poolA.query(fakeA);
    tf.dispose([fakeA, fakeB]);
    const [dA, dB] = runPhase(this, {
      name: 'D', inputs: [realA, realB, pooledA, pooledB], optimizer: this.optimizerD, replayable,
      longLived: () => [...this.optimizerD.params.values(), ...this.optimizerD.momentTensors()],
    }, ([a, b, pa, pb]) => this.discriminatorPhase(a as tf.Tensor4D, b as tf.Tensor4D, pa as tf.Tensor4D, pb as tf.Tensor4D));
    losses.D_A = tf.keep(dA as tf.Scalar);
    losses.D_B = tf.keep(dB as tf.Scalar);
    tf.dispose([pooledA, pooledB]);
    return losses;
  }

  /**
   * Collects each network's parameter gradients over several backward passes. Where the optimizer sums a
   * parameter's gradients from several passes itself (webgpu), each pass's gradient is kept as a part instead
   * of being added at once (one dispatch fewer per part).
   */
  private static gradientSink() {
    const gradsOf = { G_A: new Map(), G_B: new Map(), D_A: new Map(), D_B: new Map() } as Record<keyof CycleGANNetworks, Map<string, GradientParts>>;
    const keepParts = Adam.takesGradientParts();
    const backwardInto = (trace: Parameters<typeof backward>[0], dy: tf.Tensor4D, net: keyof CycleGANNetworks, needDx: boolean) => {
      if (!keepParts) return backward(trace, dy, { grads: gradsOf[net] as ParamGrads, needDx });
      const own: ParamGrads = new Map();
      const dx = backward(trace, dy, { grads: own, needDx });
      const into = gradsOf[net];
      for (const [k, g] of own) {
        const prev = into.get(k);
        if (prev === undefined) into.set(k, [g]);
        else (prev as tf.Tensor[]).push(g);
      }
      return dx;
    };
    /** The gradients of `nets` under the optimizer's names, for its apply. */
    const named = (nets: (keyof CycleGANNetworks)[]) => {
      const out = new Map<string, GradientParts>();
      for (const n of nets) CycleGANModel.named(n, gradsOf[n], out);
      return out;
    };
    return { backwardInto, named };
  }

  /**
   * G_A and G_B with the discriminators fixed, then optimizerG's update. Returns [fakeA, fakeB, then the G
   * losses in generatorLossNames order: G_A, cycle_A, (idt_A,) G_B, cycle_B, (idt_B)].
   */
  private generatorPhase(realA: tf.Tensor4D, realB: tf.Tensor4D): tf.Tensor[] {
    const o = this.opts;
    const run = { training: true, rng: this.rng };
    const { backwardInto, named } = CycleGANModel.gradientSink();
    const losses: tf.Scalar[] = [];
    const cycle = (gName: 'G_A' | 'G_B', fName: 'G_A' | 'G_B', dName: 'D_A' | 'D_B', real: tf.Tensor4D, other: tf.Tensor4D,
                   lambda: number, lambdaOther: number) => {
      const G = this.nets[gName], F = this.nets[fName], D = this.nets[dName];
      const g = forwardTrace(G, real, run);
      const fake = g.y;
      // GAN term through the frozen discriminator: only d fake is wanted.
      const d = forwardTrace(D, fake, run);
      const [ganValue, dPred] = ganLossAndGrad(d.y, true, o.ganMode);
      losses.push(ganValue);
      d.y.dispose();
      const dFakeD = backward(d.trace, dPred as tf.Tensor4D, { needDx: true })!;
      // Cycle term: F's parameter gradients, and d fake.
      const f = forwardTrace(F, fake, run);
      const [cycleValue, dRec] = l1LossAndGrad(f.y, real, lambda);
      losses.push(cycleValue);
      f.y.dispose();
      const dFakeF = backwardInto(f.trace, dRec as tf.Tensor4D, fName, true)!;
      const dFake = tf.add(dFakeD, dFakeF) as tf.Tensor4D;
      tf.dispose([dFakeD, dFakeF]);
      backwardInto(g.trace, dFake, gName, false);
      if (o.lambdaIdentity > 0) {
        const scale = lambdaOther * o.lambdaIdentity;
        const i = forwardTrace(G, other, run);
        const [idtValue, dIdt] = l1LossAndGrad(i.y, other, scale);
        losses.push(idtValue);
        i.y.dispose();
        backwardInto(i.trace, dIdt as tf.Tensor4D, gName, false);
      }
      return fake;
    };
    const fakeB = cycle('G_A', 'G_B', 'D_A', realA, realB, o.lambdaA, o.lambdaB);
    const fakeA = cycle('G_B', 'G_A', 'D_B', realB, realA, o.lambdaB, o.lambdaA);
    const gGrads = named(['G_A', 'G_B']);
    this.optimizerG.apply(gGrads);
    tf.dispose([...gGrads.values()]);
    return [fakeA, fakeB, ...losses];
  }

  /**
   * D_A on (realB, pooledB) and D_B on (realA, pooledA), then optimizerD's update. D_A and D_B have separate
   * weights; loss_D = ½(D(real) → 1 + D(fake) → 0), each image's pass on its own. Returns [D_A, D_B].
   */
  private discriminatorPhase(realA: tf.Tensor4D, realB: tf.Tensor4D, pooledA: tf.Tensor4D, pooledB: tf.Tensor4D): tf.Tensor[] {
    const o = this.opts;
    const run = { training: true, rng: this.rng };
    const { backwardInto, named } = CycleGANModel.gradientSink();
    const discriminator = (dName: 'D_A' | 'D_B', real: tf.Tensor4D, fake: tf.Tensor4D) => {
      const D = this.nets[dName];
      const parts: tf.Scalar[] = [];
      for (const [x, isReal] of [[real, true], [fake, false]] as const) {
        const p = forwardTrace(D, x, run);
        const [value, dPred] = ganLossAndGrad(p.y, isReal, o.ganMode, 0.5);
        parts.push(value);
        p.y.dispose();
        backwardInto(p.trace, dPred as tf.Tensor4D, dName, false);
      }
      // ½(a + b) as the mean of the two (halving is exact): no scalar operand to upload per step.
      const loss = tf.tidy(() => tf.mean(tf.stack(parts)) as tf.Scalar);
      tf.dispose(parts);
      return loss;
    };
    const out = [discriminator('D_A', realB, pooledB), discriminator('D_B', realA, pooledA)];
    const dGrads = named(['D_A', 'D_B']);
    this.optimizerD.apply(dGrads);
    tf.dispose([...dGrads.values()]);
    return out;
  }

  /** The images of one forward pass, for reports (no gradients, training-mode layers as the official test). */
  visuals(realA: tf.Tensor4D, realB: tf.Tensor4D): Record<VisualName, tf.Tensor4D> {
    const { G_A, G_B } = this.nets;
    const fakeB = G_A.apply(realA);
    const fakeA = G_B.apply(realB);
    return {
      real_A: realA.clone(), fake_B: fakeB, rec_A: G_B.apply(fakeB), idt_B: G_B.apply(realA),
      real_B: realB.clone(), fake_A: fakeA, rec_B: G_A.apply(fakeA), idt_A: G_A.apply(realB),
    };
  }

  setLearningRate(lr: number): void {
    this.optimizerG.lr = lr;
    this.optimizerD.lr = lr;
  }

  get learningRate(): number {
    return this.optimizerG.lr;
  }

  /** Adam moments and step, image pools (read asynchronously: webgpu has no synchronous reads in a worker or in Node). */
  async getTrainingStateAsync(): Promise<TrainingState> {
    const [g, d, a, b] = await Promise.all([this.optimizerG.getStateAsync(), this.optimizerD.getStateAsync(), this.poolA.getStateAsync(), this.poolB.getStateAsync()]);
    return this.trainingState(g, d, a, b);
  }

  private trainingState(g: AdamState, d: AdamState, a: PoolState, b: PoolState): TrainingState {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    const opt = (prefix: string, s: AdamState) => {
      for (const [k, t] of s.m) tensors.set(`${prefix}.m.${k}`, t);
      for (const [k, t] of s.v) tensors.set(`${prefix}.v.${k}`, t);
      return { step: s.step, lr: s.lr };
    };
    const pool = (prefix: string, s: PoolState): PoolMeta => {
      s.images.forEach((img, i) => tensors.set(`${prefix}.${i}`, img));
      return { count: s.images.length, rng: s.rng };
    };
    return {
      tensors,
      json: { optimizerG: opt('optimizerG', g), optimizerD: opt('optimizerD', d), poolA: pool('poolA', a), poolB: pool('poolB', b), rng: this.rng.getState() },
    };
  }

  setTrainingState(state: TrainingState): void {
    const opt = (prefix: string, meta: { step: number; lr: number }, o: Adam) => {
      const pick = (kind: 'm' | 'v') => {
        const out = new Map<string, { shape: number[]; data: Float32Array }>();
        for (const name of o.params.keys()) {
          const t = state.tensors.get(`${prefix}.${kind}.${name}`);
          if (!t) throw new Error(`training state lacks ${prefix}.${kind}.${name}`);
          out.set(name, t);
        }
        return out;
      };
      o.setState({ step: meta.step, lr: meta.lr, m: pick('m'), v: pick('v') });
    };
    opt('optimizerG', state.json.optimizerG, this.optimizerG);
    opt('optimizerD', state.json.optimizerD, this.optimizerD);
    const pool = (prefix: string, meta: PoolMeta, p: ImagePool) => {
      const images = Array.from({ length: meta.count }, (_, i) => {
        const t = state.tensors.get(`${prefix}.${i}`);
        if (!t) throw new Error(`training state lacks ${prefix}.${i}`);
        return t;
      });
      p.setState({ images, rng: meta.rng });
    };
    pool('poolA', state.json.poolA, this.poolA);
    pool('poolB', state.json.poolB, this.poolB);
    this.rng.setState(state.json.rng);
  }

  dispose(): void {
    releasePhases(this);
    for (const n of Object.values(this.nets)) n.dispose();
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.poolA.clear();
    this.poolB.clear();
  }
}
