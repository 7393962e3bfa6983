// Adam exactly as PyTorch's (torch.optim.Adam, no weight decay), with its state exposed for checkpoints.
import { tf } from './tf.js';
import { backendHasKernel, runCGKernel } from './ops/kernels.js';
import { CGAdam, CGAdamInPlace } from './ops/kernel_names.js';

/**
 * A parameter's gradient: one tensor, or the parts from several passes (summed in order). Parts stay
 * separate only where the backend sums them inside its Adam step (`Adam.takesGradientParts`).
 */
export type GradientParts = tf.Tensor | tf.Tensor[];
/** How many gradient parts CGAdamInPlace sums itself. */
const MAX_PARTS = 3;

export interface AdamState {
  step: number;
  lr: number;
  m: Map<string, { shape: number[]; data: Float32Array }>;
  v: Map<string, { shape: number[]; data: Float32Array }>;
}

function unshared(t: tf.Tensor): boolean {
  return tf.backend().refCount(t.dataId) === 1;
}

/** ((g0 + g1) + g2)…: the order in which separate passes' gradients were always added. */
function sumInOrder(parts: tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0].clone();
  let acc = tf.add(parts[0], parts[1]);
  for (let i = 2; i < parts.length; i++) {
    const next = tf.add(acc, parts[i]);
    acc.dispose();
    acc = next;
  }
  return acc;
}

export class Adam {
  step = 0;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();

  /** `params` maps a stable name (e.g. 'G_A.model.1.weight') to its variable. */
  constructor(readonly params: Map<string, tf.Variable>, public lr = 2e-4, readonly beta1 = 0.5,
              readonly beta2 = 0.999, readonly eps = 1e-8) {
    const zerosVariable = (p: tf.Variable) => {
      const zeros = tf.zerosLike(p);
      const v = tf.variable(zeros, false);
      zeros.dispose(); // the variable holds its own reference to the data
      return v;
    };
    for (const [name, p] of params) {
      this.m.set(name, zerosVariable(p));
      this.v.set(name, zerosVariable(p));
    }
  }

  /** Whether the active backend updates in place and sums gradient parts itself (webgpu). */
  static takesGradientParts(): boolean {
    return backendHasKernel(CGAdamInPlace);
  }

  /**
   * One update from gradients keyed by the same names (missing gradients are treated as zero, as torch skips
   * None). Gradient parts are summed in order: inside the update where the backend can, else here.
   */
  apply(grads: Map<string, GradientParts>): void {
    this.step++;
    const t = this.step;
    const inPlace = Adam.takesGradientParts();
    const fused = backendHasKernel(CGAdam);
    const attrs = this.attrs();
    for (const [name, p] of this.params) {
      const parts = grads.get(name);
      if (!parts || (Array.isArray(parts) && parts.length === 0)) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      if (inPlace && unshared(p) && unshared(m) && unshared(v)) {
        // Parameters and moments keep their buffers (in place: only where no other tensor shares their data,
        // e.g. a variable made from a tensor that is still alive).
        const list = Array.isArray(parts) ? parts : [parts];
        const head = list.length > MAX_PARTS ? tf.addN(list.slice(0, list.length - MAX_PARTS + 1)) : null;
        const gs = head ? [head, ...list.slice(list.length - MAX_PARTS + 1)] : list;
        runCGKernel(CGAdamInPlace, { param: p, m, v, grad: gs[0], ...(gs[1] ? { grad1: gs[1] } : {}), ...(gs[2] ? { grad2: gs[2] } : {}) }, attrs);
        head?.dispose();
        continue;
      }
      const g = Array.isArray(parts) ? sumInOrder(parts) : parts;
      if (fused) {
        const [np, nm, nv] = runCGKernel(CGAdam, { param: p, grad: g, m, v }, attrs);
        p.assign(np); m.assign(nm); v.assign(nv);
        tf.dispose([np, nm, nv]);
        if (g !== parts) g.dispose();
        continue;
      }
      tf.tidy(() => {
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const bc1 = 1 - this.beta1 ** t;
        const bc2 = 1 - this.beta2 ** t;
        // torch: denom = sqrt(v)/sqrt(bc2) + eps; p -= (lr/bc1) * m/denom
        const denom = tf.add(tf.div(tf.sqrt(newV), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(newM, denom), this.lr / bc1)));
        m.assign(newM);
        v.assign(newV);
      });
      if (g !== parts) g.dispose();
    }
  }

  /** The update's attributes at the current step (the CGAdam kernels' attrs). */
  attrs(): { lr: number; beta1: number; beta2: number; eps: number; step: number } {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, step: this.step };
  }

  /**
   * Counts one update that a backend ran by replaying a captured `apply` (src/core/phases.ts): the step
   * advances exactly as apply's does; the caller then runs the update with attrs().
   */
  countReplayedStep(): void {
    this.step++;
  }

  /** The moment variables (m then v, in params order): the tensors besides the parameters an update writes. */
  momentTensors(): tf.Variable[] {
    return [...this.params.keys()].flatMap((k) => [this.m.get(k)!, this.v.get(k)!]);
  }

  /** The moments and step, read asynchronously (webgpu: no synchronous reads in a worker or in Node). */
  async getStateAsync(): Promise<AdamState> {
    const dump = async (src: Map<string, tf.Variable>) => new Map(await Promise.all([...src].map(async ([k, t]) =>
      [k, { shape: t.shape.slice(), data: Float32Array.from(await t.data() as Float32Array) }] as const)));
    return { step: this.step, lr: this.lr, m: await dump(this.m), v: await dump(this.v) };
  }

  setState(state: AdamState): void {
    this.step = state.step;
    this.lr = state.lr;
    for (const [which, target] of [[state.m, this.m], [state.v, this.v]] as const) {
      for (const [k, val] of which) {
        const dst = target.get(k);
        if (!dst) throw new Error(`optimizer state has unknown parameter ${k}`);
        tf.tidy(() => dst.assign(tf.tensor(val.data, val.shape)));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
