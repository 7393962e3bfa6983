// Adam exactly as PyTorch's (torch.optim.Adam, no weight decay), with its state exposed for checkpoints.
import { tf } from './tf.js';
import { backendHasKernel, runCGKernel } from './ops/kernels.js';
import { CGAdam } from './ops/kernel_names.js';

export interface AdamState {
  step: number;
  lr: number;
  m: Map<string, { shape: number[]; data: Float32Array }>;
  v: Map<string, { shape: number[]; data: Float32Array }>;
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

  /** One update from gradients keyed by the same names (missing gradients are treated as zero, as torch skips None). */
  apply(grads: Map<string, tf.Tensor>): void {
    this.step++;
    const t = this.step;
    const fused = backendHasKernel(CGAdam);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      if (fused) {
        const [np, nm, nv] = runCGKernel(CGAdam, { param: p, grad: g, m, v },
          { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, step: t });
        p.assign(np); m.assign(nm); v.assign(nv);
        tf.dispose([np, nm, nv]);
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
    }
  }

  getState(): AdamState {
    const dump = (src: Map<string, tf.Variable>) =>
      new Map([...src].map(([k, t]) => [k, { shape: t.shape.slice(), data: t.dataSync() as Float32Array }]));
    return { step: this.step, lr: this.lr, m: dump(this.m), v: dump(this.v) };
  }

  /** getState read asynchronously (webgpu: no synchronous reads in a worker or in Node). */
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
