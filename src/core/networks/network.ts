// A network: its spec, its layers as data, and its parameters as TF.js variables keyed by the official
// state_dict names. Parameters live in TF.js layout: conv [kh,kw,in,out], transposed conv [kh,kw,out,in].
import { tf } from '../tf.js';
import { Rng } from '../rng.js';
import { batchNorm, conv2d, convTranspose2d, instanceNorm, instanceNormAdd, reflectConv2d, reflectPad, type Activation } from '../ops/nn.js';
import { backendHasKernel } from '../ops/kernels.js';
import { CGInstanceNormAdd, CGReflectConv2D } from '../ops/kernel_names.js';
import { buildLayers, walkLayers } from './architectures.js';
import { initConvWeight, type InitOptions } from './init.js';
import type { Layer, NetworkSpec } from './spec.js';
import { releaseInference } from './inference.js';

export interface ApplyOptions {
  /** Batch norm uses batch statistics and updates running ones; dropout is active. */
  training?: boolean;
  /** Source of dropout masks; without one dropout draws from TF.js's own generator. */
  rng?: Rng;
}

/**
 * Whether a reflection pad followed by `next` runs as one CGReflectConv2D (a GPU backend that has it: the conv
 * reads through the reflection and the padded tensor is never made); Network.apply and the reverse pass's
 * forward (backward.ts) both ask this.
 */
export function foldsReflectPad(next: Layer | undefined): next is Extract<Layer, { op: 'conv2d' }> {
  return next?.op === 'conv2d' && next.pad === 0 && backendHasKernel(CGReflectConv2D);
}

/**
 * Whether a Tanh after a folded reflection pad + conv (foldsReflectPad) runs inside that CGReflectConv2D: the
 * generator's last layer. Network.apply and the reverse pass's forward (backward.ts) both fuse by this rule.
 */
export function foldsTanh(next: Layer | undefined): boolean {
  return next?.op === 'tanh';
}

/**
 * The activation fused into an instance norm: a ReLU/LeakyReLU right after it (one pass on backends with
 * the fused kernel). Network.apply and the reverse pass (backward.ts) both fuse by this rule; `fused` says
 * whether the next layer was taken.
 */
export function fusedNormActivation(next: Layer | undefined): { act: Activation; alpha: number; fused: boolean } {
  if (next?.op === 'relu') return { act: 'relu', alpha: 0.2, fused: true };
  if (next?.op === 'leakyRelu') return { act: 'leakyrelu', alpha: next.alpha, fused: true };
  return { act: 'none', alpha: 0.2, fused: false };
}

/**
 * The instance norm that ends a residual block's body when it adds the skip connection itself
 * (CGInstanceNormAdd, on a GPU backend that has it: one dispatch fewer per ResNet block). Network.apply asks
 * it when no gradient tape records (the kernel has no TF.js gradient); the reverse pass's forward
 * (backward.ts) too.
 */
export function foldedResidualNorm(body: Layer[]): Extract<Layer, { op: 'instanceNorm' }> | undefined {
  const last = body[body.length - 1];
  return last?.op === 'instanceNorm' && backendHasKernel(CGInstanceNormAdd) ? last : undefined;
}

/** PyTorch layout → TF.js layout for a conv or transposed-conv weight (the same permutation for both). */
export function torchToTfLayout(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [2, 3, 1, 0]) : t.clone();
}

export function tfToTorchLayout(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [3, 2, 0, 1]) : t.clone();
}

export class Network {
  readonly layers: Layer[];
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Tensor>();

  constructor(readonly spec: NetworkSpec, init: InitOptions = {}) {
    this.layers = buildLayers(spec);
    const rng = new Rng(init.seed ?? 0);
    const type = init.type ?? 'normal';
    const gain = init.gain ?? 0.02;
    for (const layer of walkLayers(this.layers)) {
      if (layer.op === 'conv2d' || layer.op === 'convTranspose2d') {
        // PyTorch shapes: Conv2d [out,in,k,k]; ConvTranspose2d [in,out,k,k].
        const torchShape = layer.op === 'conv2d' ? [layer.outC, layer.inC, layer.k, layer.k] : [layer.inC, layer.outC, layer.k, layer.k];
        const values = initConvWeight(torchShape, type, gain, rng);
        this.addParam(`${layer.key}.weight`, tf.tidy(() => torchToTfLayout(tf.tensor(values, torchShape))));
        if (layer.bias) this.addParam(`${layer.key}.bias`, tf.zeros([layer.outC]));
      } else if (layer.op === 'batchNorm') {
        const w = new Float32Array(layer.channels);
        for (let i = 0; i < w.length; i++) w[i] = 1 + gain * rng.normal();
        this.addParam(`${layer.key}.weight`, tf.tensor1d(w));
        this.addParam(`${layer.key}.bias`, tf.zeros([layer.channels]));
        this.buffers.set(`${layer.key}.running_mean`, tf.keep(tf.zeros([layer.channels])));
        this.buffers.set(`${layer.key}.running_var`, tf.keep(tf.ones([layer.channels])));
        this.buffers.set(`${layer.key}.num_batches_tracked`, tf.keep(tf.scalar(0)));
      }
    }
  }

  private addParam(name: string, value: tf.Tensor): void {
    this.params.set(name, tf.variable(value, true, `${this.spec.role}/${name}/${Math.random().toString(36).slice(2)}`));
    value.dispose();
  }

  /** Forward pass on NHWC input in [-1, 1]. */
  apply(x: tf.Tensor4D, opts: ApplyOptions = {}): tf.Tensor4D {
    return tf.tidy(() => this.run(this.layers, x, opts));
  }

  /** Layers [0, end) of `layers` on `input`. */
  private run(layers: Layer[], input: tf.Tensor4D, opts: ApplyOptions, end = layers.length): tf.Tensor4D {
    let x = input;
    for (let i = 0; i < end; i++) {
      const l = layers[i];
      switch (l.op) {
        case 'reflectPad': {
          // Pad + valid conv as one CGReflectConv2D where the backend has it (GPU) and no gradient is being
          // recorded (it has no TF.js gradient; training differentiates through backward.ts, which folds too).
          const next = layers[i + 1];
          if (!tf.engine().isTapeOn() && foldsReflectPad(next)) {
            // A Tanh right after (the generator's output layer) is applied in the same pass.
            const tanh = foldsTanh(layers[i + 2]);
            x = reflectConv2d(x, this.p(`${next.key}.weight`) as tf.Tensor4D,
              next.bias ? this.p(`${next.key}.bias`) : undefined, l.pad, next.stride, tanh ? 'tanh' : 'linear');
            i += tanh ? 2 : 1;
            break;
          }
          x = reflectPad(x, l.pad);
          break;
        }
        case 'conv2d':
          x = conv2d(x, this.p(`${l.key}.weight`) as tf.Tensor4D, l.bias ? this.p(`${l.key}.bias`) as tf.Tensor1D : undefined, l.stride, l.pad);
          break;
        case 'convTranspose2d':
          x = convTranspose2d(x, this.p(`${l.key}.weight`) as tf.Tensor4D, l.bias ? this.p(`${l.key}.bias`) as tf.Tensor1D : undefined,
                              l.stride, l.pad, l.outputPad);
          break;
        case 'instanceNorm': {
          const { act, alpha, fused } = fusedNormActivation(layers[i + 1]);
          if (fused) i++;
          x = instanceNorm(x, l.eps, act, alpha);
          break;
        }
        case 'batchNorm': {
          const rm = this.buffers.get(`${l.key}.running_mean`) as tf.Tensor1D;
          const rv = this.buffers.get(`${l.key}.running_var`) as tf.Tensor1D;
          const r = batchNorm(x, this.p(`${l.key}.weight`) as tf.Tensor1D, this.p(`${l.key}.bias`) as tf.Tensor1D, rm, rv,
                              opts.training ?? false, l.eps);
          if (r.runningMean && r.runningVar) this.updateBatchStats(l.key, r.runningMean, r.runningVar);
          x = r.y;
          break;
        }
        case 'relu': x = tf.relu(x); break;
        case 'leakyRelu': x = tf.leakyRelu(x, l.alpha); break;
        case 'tanh': x = tf.tanh(x); break;
        case 'identity': break;
        case 'dropout':
          if (opts.training) x = tf.dropout(x, l.rate, undefined, opts.rng ? opts.rng.nextUint32() : undefined) as tf.Tensor4D;
          break;
        case 'residual': {
          const norm = tf.engine().isTapeOn() ? undefined : foldedResidualNorm(l.body);
          if (norm) {
            x = instanceNormAdd(this.run(l.body, x, opts, l.body.length - 1), x, norm.eps);
          } else {
            x = tf.add(x, this.run(l.body, x, opts));
          }
          break;
        }
        case 'skip': x = tf.concat([x, this.run(l.body, x, opts)], 3); break;
      }
    }
    return x;
  }

  /** Replaces a batch norm's running statistics (training-mode forward passes). */
  updateBatchStats(key: string, mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const names = [`${key}.running_mean`, `${key}.running_var`, `${key}.num_batches_tracked`];
    const tracked = this.buffers.get(names[2])!;
    const values = [tf.keep(mean.clone()), tf.keep(variance.clone()), tf.keep(tf.add(tracked, 1))];
    names.forEach((n, i) => {
      this.buffers.get(n)?.dispose();
      this.buffers.set(n, values[i]);
    });
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`network has no parameter ${name}`);
    return v;
  }

  /** Trainable variables in a stable order (the official parameter order). */
  trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    releaseInference(this); // a backend's captured forward of this network (inference.ts)
    for (const v of this.params.values()) v.dispose();
    for (const b of this.buffers.values()) b.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}

export function createNetwork(spec: NetworkSpec, init?: InitOptions): Network {
  return new Network(spec, init);
}
