// Our own reverse pass over `Network.layers`, so a training step's memory follows the live set.
//
// tfjs-core's tape (`tf.variableGrads`) keeps every forward intermediate and every intermediate gradient
// alive until the whole backward pass ends. Here the forward pass (`forwardTrace`) keeps exactly what each
// layer's backward needs, and `backward` walks the layers in reverse, freeing each saved tensor and each
// gradient the moment its last user has run (PyTorch's autograd does the same). Residual and skip
// connections add their two gradient paths. Every kernel goes through the TF.js engine (standard ops, and
// the optional CG* kernels via src/core/ops/kernels.ts when the backend has them), so the same pass runs on
// native, wasm, cpu and webgpu. No tape is recorded: call these outside tf.grad/tf.variableGrads.
//
// First-order only. Second-order gradients (the WGAN-GP penalty, `gradientPenalty` in src/core/losses.ts) stay on
// TF.js's tape; CycleGAN's training step does not use the penalty (the official cycle_gan_model does not).
import { tf } from '../tf.js';
import type { Rng } from '../rng.js';
import { backendHasKernel, runCGKernel, runKernel } from '../ops/kernels.js';
import { CGInstanceNorm, CGInstanceNormGrad, CGMirrorPadGrad,
  CGReflectConv2DBackpropFilter } from '../ops/kernel_names.js';
import { batchNorm, conv2d, convTranspose2d, convTransposeCrop, convTransposeOutSize, instanceNormAdd, reflectConv2d, reflectPad, type Activation } from '../ops/nn.js';
import { mirrorPadBackward } from '../ops/mirror_pad_backward.js';
import { foldedResidualNorm, foldsReflectPad, foldsTanh, fusedNormActivation, type Network } from './network.js';
import type { Layer } from './spec.js';

type T4 = tf.Tensor4D;
type ConvLayer = Extract<Layer, { op: 'conv2d' }>;
type ConvTLayer = Extract<Layer, { op: 'convTranspose2d' }>;

/**
 * A conv's saved input. After a reflection pad only the pad's (smaller) input is kept, and shared with the
 * layer that produced it; the padded tensor is rebuilt in the backward pass (a copy, far cheaper than a conv).
 */
interface SavedInput { x: T4; pad: number; folded?: boolean }

/** What one layer keeps for its backward pass; every tensor here is owned by the record. */
type Rec =
  | { op: 'reflectPad'; pad: number; xShape: number[] }
  | { op: 'conv2d'; l: ConvLayer; input: SavedInput }
  | { op: 'convTranspose2d'; l: ConvTLayer; x: T4 }
  | { op: 'instanceNorm'; x: T4; y: T4 | null; eps: number; act: Activation; alpha: number }
  | { op: 'batchNorm'; key: string; x: T4; eps: number }
  | { op: 'relu' | 'leakyRelu' | 'tanh'; y: T4; alpha: number }
  | { op: 'dropout'; rate: number; seed: number; shape: number[] }
  | { op: 'residual'; body: Rec[] }
  | { op: 'skip'; body: Rec[]; channels: number };

/** The saved state of one forward pass of one network, consumed by `backward`. */
export interface Trace {
  readonly net: Network;
  records: Rec[];
}

export interface TraceOptions {
  /** Batch norm uses batch statistics (and updates running ones); dropout is active. */
  training?: boolean;
  /** Dropout masks are drawn from it, in the same order as `Network.apply`. */
  rng?: Rng;
}

/** Gradients of a network's parameters keyed by its parameter names ('model.1.weight'); sums across passes. */
export type ParamGrads = Map<string, tf.Tensor>;

/** Adds `g` into `grads[name]`, taking ownership of `g`. */
function accumulate(grads: ParamGrads, name: string, g: tf.Tensor): void {
  const prev = grads.get(name);
  if (!prev) {
    grads.set(name, g);
    return;
  }
  grads.set(name, tf.add(prev, g));
  prev.dispose();
  g.dispose();
}

/** The fused instance-norm kernels run when the backend has both; otherwise standard ops (exact, slower). */
function fusedInstanceNorm(): boolean {
  return backendHasKernel(CGInstanceNorm) && backendHasKernel(CGInstanceNormGrad);
}

function param(net: Network, name: string): tf.Variable {
  const v = net.params.get(name);
  if (!v) throw new Error(`network has no parameter ${name}`);
  return v;
}

/** Instance norm without the fused kernel: returns the normalized tensor before the activation, and after. */
function instanceNormParts(x: T4, eps: number): { xhat: T4; rstd: tf.Tensor } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    return { xhat: tf.mul(tf.sub(x, mean), rstd) as T4, rstd };
  });
}

function activate(x: T4, act: Activation, alpha: number): T4 {
  if (act === 'relu') return tf.relu(x);
  if (act === 'leakyrelu') return tf.leakyRelu(x, alpha);
  return x.clone();
}

/**
 * Forward pass of `net` on `x` (NHWC, not consumed) that records what the backward pass needs.
 * Returns the output (the caller owns it) and the trace (pass it to `backward`, or `disposeTrace`).
 */
export function forwardTrace(net: Network, x: T4, opts: TraceOptions = {}): { y: T4; trace: Trace } {
  const records: Rec[] = [];
  const y = runLayers(net, net.layers, x, opts, records);
  return { y, trace: { net, records } };
}

/** Layers [0, end) of `layers` on `input`; returns their output (the caller owns it, `input` if none ran). */
function runLayers(net: Network, layers: Layer[], input: T4, opts: TraceOptions, records: Rec[], end = layers.length): T4 {
  let cur = input;
  let owned = false; // the caller owns `input`
  // The input of a reflection pad that produced `cur`, for the conv that follows it.
  let padSource: SavedInput | null = null;
  const advance = (next: T4) => {
    if (owned) cur.dispose();
    cur = next;
    owned = true;
  };
  for (let i = 0; i < end; i++) {
    const l = layers[i];
    const fromPad = padSource;
    padSource = null;
    switch (l.op) {
      case 'reflectPad': {
        records.push({ op: 'reflectPad', pad: l.pad, xShape: cur.shape.slice() });
        padSource = { x: cur.clone(), pad: l.pad };
        if (foldsReflectPad(layers[i + 1])) padSource.folded = true; // `cur` stays the unpadded input
        else advance(reflectPad(cur, l.pad));
        break;
      }
      case 'conv2d': {
        const input = fromPad ?? { x: cur.clone(), pad: 0 };
        records.push({ op: 'conv2d', l, input });
        const w = param(net, `${l.key}.weight`) as T4;
        const b = l.bias ? param(net, `${l.key}.bias`) as tf.Tensor1D : undefined;
        if (fromPad?.folded && foldsTanh(layers[i + 1])) {
          // The Tanh after it in the same pass (as Network.apply); its record keeps y, as an unfused one does.
          const y = reflectConv2d(cur, w, b, fromPad.pad, l.stride, 'tanh');
          records.push({ op: 'tanh', y: y.clone(), alpha: 0 });
          advance(y);
          i++;
          break;
        }
        advance(fromPad?.folded
          ? reflectConv2d(cur, w, b, fromPad.pad, l.stride)
          : conv2d(cur, w, b, l.stride, l.pad));
        break;
      }
      case 'convTranspose2d': {
        records.push({ op: 'convTranspose2d', l, x: cur.clone() });
        advance(convTranspose2d(cur, param(net, `${l.key}.weight`) as T4, l.bias ? param(net, `${l.key}.bias`) as tf.Tensor1D : undefined,
                                l.stride, l.pad, l.outputPad));
        break;
      }
      case 'instanceNorm': {
        // A following ReLU/LeakyReLU is fused into the norm, as Network.apply does.
        const { act, alpha, fused } = fusedNormActivation(layers[i + 1]);
        if (fused) i++;
        let y: T4;
        if (fusedInstanceNorm()) {
          y = runCGKernel(CGInstanceNorm, { x: cur }, { eps: l.eps, activation: act, alpha }) as T4;
          records.push({ op: 'instanceNorm', x: cur.clone(), y: y.clone(), eps: l.eps, act, alpha });
        } else {
          const { xhat, rstd } = instanceNormParts(cur, l.eps);
          rstd.dispose();
          y = activate(xhat, act, alpha);
          xhat.dispose();
          records.push({ op: 'instanceNorm', x: cur.clone(), y: null, eps: l.eps, act, alpha });
        }
        advance(y);
        break;
      }
      case 'batchNorm': {
        if (!opts.training) throw new Error('forwardTrace: batch norm is differentiated in training mode only');
        const rm = net.buffers.get(`${l.key}.running_mean`) as tf.Tensor1D;
        const rv = net.buffers.get(`${l.key}.running_var`) as tf.Tensor1D;
        const r = tf.tidy(() => batchNorm(cur, param(net, `${l.key}.weight`) as tf.Tensor1D, param(net, `${l.key}.bias`) as tf.Tensor1D,
                                          rm, rv, true, l.eps));
        if (r.runningMean && r.runningVar) net.updateBatchStats(l.key, r.runningMean, r.runningVar);
        tf.dispose([r.runningMean, r.runningVar].filter((t): t is tf.Tensor1D => t !== undefined));
        records.push({ op: 'batchNorm', key: l.key, x: cur.clone(), eps: l.eps });
        advance(r.y);
        break;
      }
      case 'relu': case 'leakyRelu': case 'tanh': {
        const alpha = l.op === 'leakyRelu' ? l.alpha : 0;
        const y = l.op === 'relu' ? tf.relu(cur) : l.op === 'leakyRelu' ? tf.leakyRelu(cur, alpha) : tf.tanh(cur);
        records.push({ op: l.op, y: y.clone(), alpha });
        advance(y);
        break;
      }
      case 'identity': break;
      case 'dropout': {
        if (!opts.training) break;
        const seed = opts.rng ? opts.rng.nextUint32() : Math.floor(Math.random() * 2 ** 32);
        records.push({ op: 'dropout', rate: l.rate, seed, shape: cur.shape.slice() });
        advance(tf.dropout(cur, l.rate, undefined, seed) as T4);
        break;
      }
      case 'residual': {
        const body: Rec[] = [];
        const last = fusedInstanceNorm() ? foldedResidualNorm(l.body) : undefined;
        if (last) {
          // The body's last norm adds the skip connection in its own passes (CGInstanceNormAdd, as Network.apply
          // does). Its record keeps that sum as y: without an activation the norm's gradient needs y only to find
          // the statistics kept beside it, never its values.
          const h = runLayers(net, l.body, cur, opts, body, l.body.length - 1);
          const y = instanceNormAdd(h, cur, last.eps);
          body.push({ op: 'instanceNorm', x: h === cur ? h.clone() : h, y: y.clone(), eps: last.eps, act: 'none', alpha: 0.2 });
          records.push({ op: 'residual', body });
          advance(y);
          break;
        }
        const b = runLayers(net, l.body, cur, opts, body);
        records.push({ op: 'residual', body });
        const y = tf.add(cur, b) as T4;
        b.dispose();
        advance(y);
        break;
      }
      case 'skip': {
        const body: Rec[] = [];
        const b = runLayers(net, l.body, cur, opts, body);
        records.push({ op: 'skip', body, channels: cur.shape[3] });
        const y = tf.concat([cur, b], 3) as T4;
        b.dispose();
        advance(y);
        break;
      }
    }
    if (fromPad && l.op !== 'conv2d') fromPad.x.dispose(); // a pad not followed by a conv: nothing to keep
  }
  if (padSource) (padSource as SavedInput).x.dispose();
  return owned ? cur : cur.clone();
}

export interface BackwardOptions {
  /** Where parameter gradients are added; without it the network is frozen (only dx is computed). */
  grads?: ParamGrads;
  /** Whether the gradient with respect to the network's input is wanted. */
  needDx: boolean;
}

/**
 * The backward pass: `dy` is the gradient of the loss with respect to the traced output. Consumes `dy` and
 * the trace (every saved tensor is freed as soon as its layer's gradient has been computed). Returns dx, or
 * null when `needDx` is false.
 */
export function backward(trace: Trace, dy: T4, o: BackwardOptions): T4 | null {
  const records = trace.records;
  trace.records = [];
  return backLayers(trace.net, records, dy, o.grads, o.needDx);
}

/** Frees a trace that will not be differentiated. */
export function disposeTrace(trace: Trace): void {
  const free = (records: Rec[]) => {
    for (const r of records) freeRecord(r);
  };
  free(trace.records);
  trace.records = [];
}

function freeRecord(r: Rec): void {
  switch (r.op) {
    case 'conv2d': r.input.x.dispose(); break;
    case 'convTranspose2d': r.x.dispose(); break;
    case 'instanceNorm': r.x.dispose(); r.y?.dispose(); break;
    case 'batchNorm': r.x.dispose(); break;
    case 'relu': case 'leakyRelu': case 'tanh': r.y.dispose(); break;
    case 'residual': case 'skip': for (const b of r.body) freeRecord(b); break;
    default: break;
  }
}

/** Gradient of a bias: dy summed over batch and space. */
function biasGrad(dy: T4): tf.Tensor1D {
  return tf.sum(dy, [0, 1, 2]) as tf.Tensor1D;
}

function backLayers(net: Network, records: Rec[], dyIn: T4, grads: ParamGrads | undefined, needDx: boolean): T4 | null {
  let dy: T4 | null = dyIn;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records.pop()!;
    // The first layer's input gradient is computed only when the caller wants it.
    const wantDx = needDx || i > 0;
    const g: T4 = dy!;
    let dx: T4 | null = null;
    switch (r.op) {
      case 'reflectPad': {
        if (wantDx) {
          const paddings: Array<[number, number]> = [[0, 0], [r.pad, r.pad], [r.pad, r.pad], [0, 0]];
          dx = backendHasKernel(CGMirrorPadGrad)
            ? runCGKernel(CGMirrorPadGrad, { dy: g }, { paddings, mode: 'reflect', xShape: r.xShape }) as T4
            : mirrorPadBackward(g, r.xShape, paddings, 'reflect') as T4;
        }
        break;
      }
      case 'conv2d': {
        const { l, input } = r;
        const w = param(net, `${l.key}.weight`) as T4;
        const padArg = l.pad === 0 ? 'valid' : l.pad;
        if (grads && input.pad > 0 && l.pad === 0 && backendHasKernel(CGReflectConv2DBackpropFilter)) {
          // the padded input read through the reflection, not rebuilt
          accumulate(grads, `${l.key}.weight`, runCGKernel(CGReflectConv2DBackpropFilter, { x: input.x, dy: g },
            { pad: input.pad, stride: l.stride, filterShape: w.shape }) as T4);
          if (l.bias) accumulate(grads, `${l.key}.bias`, biasGrad(g));
        } else if (grads) {
          const x = input.pad > 0 ? reflectPad(input.x, input.pad) : input.x;
          accumulate(grads, `${l.key}.weight`, runKernel<T4>('Conv2DBackpropFilter', { x, dy: g },
            { strides: [l.stride, l.stride], pad: padArg, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: w.shape }));
          if (x !== input.x) x.dispose();
          if (l.bias) accumulate(grads, `${l.key}.bias`, biasGrad(g));
        }
        if (wantDx) {
          const xShape = input.pad > 0
            ? [input.x.shape[0], input.x.shape[1] + 2 * input.pad, input.x.shape[2] + 2 * input.pad, input.x.shape[3]]
            : input.x.shape.slice();
          dx = runKernel<T4>('Conv2DBackpropInput', { dy: g, filter: w },
            { strides: [l.stride, l.stride], pad: padArg, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: xShape });
        }
        input.x.dispose();
        break;
      }
      case 'convTranspose2d': {
        // Forward: the transposed conv with PyTorch's crop as its explicit padding (convTransposeCrop), or the
        // full ('valid') one cropped by `pad` at the start (and zero rows appended when outputPad > pad), plus the
        // bias. Backward: the gradients of that convolution; in the second form dy is first placed back into the
        // full output's frame.
        const { l, x } = r;
        const w = param(net, `${l.key}.weight`) as T4;
        const crop = convTransposeCrop(l.pad, l.outputPad);
        let d = g; // dy in the frame of the convolution whose gradients these are
        if (!crop) {
          const [n, h, wd] = x.shape;
          const fullH = convTransposeOutSize(h, l.k, l.stride, 0, 0);
          const fullW = convTransposeOutSize(wd, l.k, l.stride, 0, 0);
          const keptH = Math.min(fullH, fullH - l.pad + l.outputPad) - l.pad;
          const keptW = Math.min(fullW, fullW - l.pad + l.outputPad) - l.pad;
          d = tf.tidy(() => {
            const kept = keptH < g.shape[1] || keptW < g.shape[2] ? tf.slice(g, [0, 0, 0, 0], [n, keptH, keptW, g.shape[3]]) : g;
            return tf.pad(kept, [[0, 0], [l.pad, fullH - l.pad - keptH], [l.pad, fullW - l.pad - keptW], [0, 0]]) as T4;
          });
        }
        const padArg = crop ?? 'valid';
        if (grads) {
          accumulate(grads, `${l.key}.weight`, runKernel<T4>('Conv2DBackpropFilter', { x: d, dy: x },
            { strides: [l.stride, l.stride], pad: padArg, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: w.shape }));
          if (l.bias) accumulate(grads, `${l.key}.bias`, biasGrad(g));
        }
        if (wantDx) dx = tf.conv2d(d, w, l.stride, padArg);
        if (d !== g) d.dispose();
        x.dispose();
        break;
      }
      case 'instanceNorm': {
        const attrs = { eps: r.eps, activation: r.act, alpha: r.alpha };
        if (r.y) {
          dx = runCGKernel(CGInstanceNormGrad, { x: r.x, y: r.y, dy: g }, attrs) as T4;
          r.y.dispose();
        } else {
          // dx = rstd · (g' − mean(g') − x̂ · mean(g' · x̂)), g' = dy through the activation
          dx = tf.tidy(() => {
            const { xhat, rstd } = instanceNormParts(r.x, r.eps);
            let ga: tf.Tensor = g;
            if (r.act === 'relu') ga = tf.mul(g, tf.step(xhat));
            else if (r.act === 'leakyrelu') ga = tf.where(tf.greater(xhat, 0), g, tf.mul(g, r.alpha));
            const mg = tf.mean(ga, [1, 2], true);
            const mgx = tf.mean(tf.mul(ga, xhat), [1, 2], true);
            return tf.mul(tf.sub(tf.sub(ga, mg), tf.mul(xhat, mgx)), rstd) as T4;
          });
        }
        r.x.dispose();
        break;
      }
      case 'batchNorm': {
        // Rare in CycleGAN (--norm batch): differentiated locally on TF.js's tape, one layer at a time.
        const gamma = param(net, `${r.key}.weight`);
        const beta = param(net, `${r.key}.bias`);
        const rm = net.buffers.get(`${r.key}.running_mean`) as tf.Tensor1D;
        const rv = net.buffers.get(`${r.key}.running_var`) as tf.Tensor1D;
        const f = (x: tf.Tensor, ga: tf.Tensor, be: tf.Tensor) => {
          const out = batchNorm(x as T4, ga as tf.Tensor1D, be as tf.Tensor1D, rm, rv, true, r.eps);
          tf.dispose([out.runningMean!, out.runningVar!]);
          return out.y;
        };
        const [gx, gg, gb] = tf.grads(f)([r.x, gamma, beta], g);
        if (grads) {
          accumulate(grads, `${r.key}.weight`, gg);
          accumulate(grads, `${r.key}.bias`, gb);
        } else tf.dispose([gg, gb]);
        dx = gx as T4;
        r.x.dispose();
        break;
      }
      case 'relu': dx = tf.tidy(() => tf.mul(g, tf.step(r.y)) as T4); r.y.dispose(); break;
      // (No scalar operands: each would be an upload of CPU values per step, which a captured step cannot
      // replay (src/backends/webgpu/replay.ts). step(y, α) is 1 where y > 0, else α; 1 − y² from a filled tensor.)
      case 'leakyRelu': dx = tf.tidy(() => tf.mul(g, tf.step(r.y, r.alpha)) as T4); r.y.dispose(); break;
      case 'tanh': dx = tf.tidy(() => tf.mul(g, tf.sub(tf.onesLike(r.y), tf.square(r.y))) as T4); r.y.dispose(); break;
      case 'dropout': {
        // The same seed redraws the forward pass's mask (already scaled by 1/(1-rate)).
        dx = tf.tidy(() => tf.mul(g, tf.dropout(tf.ones(r.shape), r.rate, undefined, r.seed)) as T4);
        break;
      }
      case 'residual': {
        const db = backLayers(net, r.body, g.clone(), grads, wantDx);
        if (wantDx) {
          dx = tf.add(g, db!) as T4;
          db!.dispose();
        }
        break;
      }
      case 'skip': {
        const c = r.channels;
        const [dxa, dbody] = tf.split(g, [c, g.shape[3] - c], 3) as [T4, T4];
        const db = backLayers(net, r.body, dbody, grads, wantDx);
        if (wantDx) {
          dx = tf.add(dxa, db!) as T4;
          db!.dispose();
        }
        dxa.dispose();
        break;
      }
    }
    g.dispose();
    dy = dx;
  }
  if (!needDx) {
    dy?.dispose();
    return null;
  }
  return dy;
}
