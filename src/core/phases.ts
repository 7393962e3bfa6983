// The training step's phases that a backend may run faster than eagerly. The webgpu backend registers one
// (src/backends/webgpu/replay.ts, in Node and in the pages): each phase's dispatches captured once and replayed
// step after step, like its inference forwards (src/core/networks/inference.ts). Every other backend, and any
// phase whose work is not a function of its inputs and long-lived tensors alone, runs the phase itself.
import { tf } from './tf.js';
import type { Adam } from './optim.js';

/** One phase of CycleGANModel.step (the generators' or the discriminators' half) as the model declares it. */
export interface PhaseSpec {
  /** The phase's name within its owner ('G', 'D'). */
  name: string;
  /** Its inputs (float32 images); its outputs are whatever `work` returns, in a fixed order. */
  inputs: tf.Tensor4D[];
  /**
   * Every tensor the phase reads or updates in place that outlives it (the networks' parameters, the
   * optimizer's moments), in a fixed order: the same list from step to step unless one was replaced.
   */
  longLived(): tf.Tensor[];
  /** The optimizer whose update ends the phase: a replay counts its step (Adam.countReplayedStep). */
  optimizer: Adam;
  /**
   * False when the work draws from the host RNG or changes state besides the long-lived tensors (dropout
   * masks, batch norm's running statistics): it then always runs itself.
   */
  replayable: boolean;
}

export interface PhaseAccelerator {
  /** The phase's outputs as new tensors the caller owns, or null: run `work` on spec.inputs instead. */
  run(owner: object, spec: PhaseSpec, work: (inputs: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] | null;
  /** Frees what it keeps for `owner` (CycleGANModel.dispose calls it). */
  release(owner: object): void;
}

const accelerators = new Map<string, PhaseAccelerator>();

/** Registers the phase accelerator of a backend (by its TF.js name); a later one replaces an earlier one. */
export function registerPhaseAccelerator(backend: string, a: PhaseAccelerator): void {
  accelerators.set(backend, a);
}

/** Runs a phase: through the active backend's accelerator where it has one, else `work` on its inputs. */
export function runPhase(owner: object, spec: PhaseSpec, work: (inputs: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] {
  const a = accelerators.get(tf.getBackend());
  return (a ? a.run(owner, spec, work) : null) ?? work(spec.inputs);
}

/** Frees every accelerator's state for `owner`. */
export function releasePhases(owner: object): void {
  for (const a of accelerators.values()) a.release(owner);
}
