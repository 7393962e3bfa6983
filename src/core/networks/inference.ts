// Inference forwards that a backend runs faster than Network.apply, for a fixed network applied to many images
// (test, translate, eval, bench's g_fwd, the browser pages' translations). The webgpu backend registers one
// (src/backends/webgpu/replay.ts), in Node and in the pages (src/web/page/backend.ts, for the stock tfjs-webgpu
// backend with our kernels): the forward's dispatches captured once and replayed per image. Every other backend,
// and any forward whose result is not a function of its input and the parameters alone, runs Network.apply.
import { tf } from '../tf.js';
import { walkLayers } from './architectures.js';
import type { ApplyOptions, Network } from './network.js';

export interface InferenceAccelerator {
  /** `net`'s forward of `x` as a new tensor the caller owns, or null: run Network.apply instead. */
  forward(net: Network, x: tf.Tensor4D, opts: ApplyOptions): tf.Tensor4D | null;
  /** Frees what it keeps for `net` (Network.dispose calls it). */
  release(net: Network): void;
}

const accelerators = new Map<string, InferenceAccelerator>();

/** Registers the accelerator of a backend (by its TF.js name); a later one replaces an earlier one. */
export function registerInferenceAccelerator(backend: string, a: InferenceAccelerator): void {
  accelerators.set(backend, a);
}

/** Frees every accelerator's state for `net`. */
export function releaseInference(net: Network): void {
  for (const a of accelerators.values()) a.release(net);
}

/** Per network: whether its training-mode forward is replayable (its layers do not change, so walked once). */
const replayableInTraining = new WeakMap<Network, boolean>();

/**
 * Whether `net`'s training-mode forward depends only on its input and parameters: no dropout (a mask drawn
 * per call) and no batch norm (batch statistics, running ones updated). Also the training step's phases'
 * rule (CycleGANModel: src/core/phases.ts).
 */
export function trainingReplayable(net: Network): boolean {
  let r = replayableInTraining.get(net);
  if (r === undefined) {
    r = true;
    for (const l of walkLayers(net.layers)) if (l.op === 'dropout' || l.op === 'batchNorm') r = false;
    replayableInTraining.set(net, r);
  }
  return r;
}

/** Whether the forward depends only on the input and the parameters (see trainingReplayable). */
function replayable(net: Network, opts: ApplyOptions): boolean {
  return !opts.training || trainingReplayable(net);
}

/**
 * The generator's inference forward: the active backend's accelerator where it has one and the forward is
 * replayable, else Network.apply. The output is the caller's (inside or outside a tidy, as net.apply).
 */
export function inferenceForward(net: Network, x: tf.Tensor4D, opts: ApplyOptions = {}): tf.Tensor4D {
  const a = accelerators.get(tf.getBackend());
  const y = a && replayable(net, opts) ? a.forward(net, x, opts) : null;
  return y ?? net.apply(x, opts);
}
