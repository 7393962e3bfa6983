// Captured, replayed work on webgpu (like a CUDA graph): the same dispatches call after call, recorded once and
// then encoded from a list, without the tfjs engine, our kernels' JS or the runner per dispatch. Two uses:
//  - the generator's inference forward (test / translate / eval / bench's g_fwd in Node, the pages): the
//    network, the input shape and so every dispatch are the same image after image (~90 dispatches for a
//    ResNet generator). Per image: one copy of the input into the plan's input buffer, one compute pass from
//    the list, one copy of the plan's output into a new tensor.
//  - the training step's two phases (src/core/phases.ts, CycleGANModel.step): the generators' (both cycles,
//    identity terms, optimizerG's Adam) and the discriminators' (optimizerD's Adam), ~2000 dispatches a step
//    at 256/64/9; the image pools' query stays host code between them. Per phase: copies of its inputs, the
//    Adam dispatches' uniforms rewritten (step size and bias correction from the optimizer's step, counted
//    on the host as apply counts it, and learning rate), one pass, copies of its outputs (fakes, losses).
// All in the backend's command encoder (queue order with its other work is kept).
//
// Capture (captureWork; the second run of the work: the first compiled the pipelines and filled the runner's
// signature tables): the work runs normally on plan-owned copies of its inputs while the runner records every
// fast-path dispatch (pipeline, buffers, uniform bytes, workgroups). Any other work aborts it (runner.ts's
// Capture says what: the stock path, a compile, an upload of CPU values, a copy, a read, timing): that work
// then stays on the normal path, never a wrong result.
// Buffers: the plan's inputs and outputs (kept); the long-lived tensors the work reads or updates in place
// (parameters, Adam's moments), read at replay time: one replaced, re-buffered or disposed (a load's assign, a
// resume's setTrainingState, dispose) makes the plan stale, and it is captured again (at most MAX_RECAPTURES
// times); and the intermediates, whose buffers went back to tfjs-webgpu's pool when the work disposed them (at
// the submit that ends the capture): the plan takes those out of the pool (counted as used) so nobody else
// gets them; any other buffer aborts. Uniforms: each dispatch's bytes in one plan-owned uniform buffer, with
// per-replay patches (UniformPatch); the plan's own bind groups are created once. plan.dispose() hands the
// buffers back; Network.dispose and CycleGANModel.dispose dispose their plans.
// The convolutions' algorithm choice (conv_gemm.ts's setConvTuning: tiles, Winograd) is part of a capture: a
// plan made before a setConvTuning is captured again.
// CYCLEGAN_WEBGPU_REPLAY=0 turns the forwards' replay off, CYCLEGAN_WEBGPU_STEP_REPLAY=0 the step's.
import { tf } from '../../core/tf.js';
import { envVar } from '../../core/limits.js';
import type { ApplyOptions, Network } from '../../core/networks/network.js';
import { registerInferenceAccelerator } from '../../core/networks/inference.js';
import { registerPhaseAccelerator, type PhaseSpec } from '../../core/phases.js';
import { convTuningGeneration } from './conv_gemm.js';
import { ADAM_IN_PLACE_KEY } from './kernels/CGAdamInPlace.js';
import { adamUniforms } from './kernels/CGAdam.js';
import {
  beginCapture, bindGroupEntries, endCapture, GPU_BUFFER_USAGE, isBuffer, noteDispatches, type Backend, type GPUBufferLike,
  type Pipeline,
} from './runner.js';

/** How often a shape's plan may be invalidated (its parameters replaced) before the shape stays on Network.apply. */
const MAX_RECAPTURES = 3;
/**
 * Plans kept per network (each holds a forward's intermediates: 250 MB at 256 px, ngf 64, 9 blocks): a folder
 * of images of many sizes keeps those of the most recently used shapes; another shape's plan is disposed.
 */
let maxPlans = 4;
/** Shapes remembered per network (plans or not); the least recently used is forgotten beyond it. */
const MAX_SHAPES = 64;

let enabled: boolean | undefined;
let stepEnabled: boolean | undefined;
/** CYCLEGAN_WEBGPU_REPLAY=0 turns replay of inference forwards off (read once, here). */
export function replayEnabled(): boolean {
  enabled ??= envVar('CYCLEGAN_WEBGPU_REPLAY') !== '0';
  return enabled;
}

/** CYCLEGAN_WEBGPU_STEP_REPLAY=0 turns replay of the training step's phases off (read once, here). */
export function stepReplayEnabled(): boolean {
  stepEnabled ??= envVar('CYCLEGAN_WEBGPU_STEP_REPLAY') !== '0';
  return stepEnabled;
}

/** Tests: turns replay of inference forwards on or off regardless of the environment. */
export function setReplayEnabled(on: boolean): void {
  enabled = on;
}

/** Tests: turns replay of the training step's phases on or off regardless of the environment. */
export function setStepReplayEnabled(on: boolean): void {
  stepEnabled = on;
}

/** Tests: the number of plans kept per network (default 4); returns the previous one. */
export function setMaxPlans(n: number): number {
  const prev = maxPlans;
  maxPlans = Math.max(1, Math.floor(n));
  return prev;
}

/** A tensor's GPU buffer, or undefined (not on this backend, not a buffer). */
const bufferOf = (be: Backend, t: tf.TensorInfo): GPUBufferLike | undefined => {
  // (has() first: tensorMap.get of a missing id would ask the engine to move the data in from another backend)
  const r = be.tensorMap.has(t.dataId) ? be.tensorMap.get(t.dataId)!.resource : undefined;
  return isBuffer(r) ? r : undefined;
};
/** The backend's command encoder, with no compute pass open. */
const encoderOf = (be: Backend) => {
  be.ensureCommandEncoderReady();
  be.endComputePassEncoder();
  return be.commandEncoder!;
};
/** Submits what the backend has encoded, so that the tensors disposed meanwhile go back to the pool. */
const flush = (be: Backend) => {
  encoderOf(be);
  be.submitQueue();
};
const bytesOf = (shape: number[]) => 4 * tf.util.sizeFromShape(shape);

/** Copies `x` (float32, uploaded first if it is on the CPU) into `dst` in the backend's command encoder. */
function copyIn(be: Backend, x: tf.Tensor, dst: GPUBufferLike): void {
  be.uploadToGPU(x.dataId);
  const src = bufferOf(be, x);
  if (!src) throw new Error('webgpu replay: the input is not in a GPU buffer');
  encoderOf(be).copyBufferToBuffer(src, 0, dst, 0, bytesOf(x.shape));
  be.commandQueueOwnedIds.add(x.dataId);
}

/** Takes a free buffer out of the pool as if acquired (counted as used); false if it is not free there. */
function takeFromPool(pool: Backend['bufferManager'], b: GPUBufferLike): boolean {
  const key = `${b.size}_${b.usage}`;
  const free = pool.freeBuffers.get(key);
  const i = free ? free.indexOf(b) : -1;
  if (i < 0) return false;
  free!.splice(i, 1);
  pool.numFreeBuffers--;
  if (!pool.usedBuffers.has(key)) pool.usedBuffers.set(key, []);
  pool.usedBuffers.get(key)!.push(b);
  pool.numUsedBuffers++;
  pool.numBytesUsed += b.size;
  return true;
}

type Step = { pipeline: Pipeline; group: object; offsets: number[]; x: number; y: number; z: number };

/**
 * Uniform values a replay must not bake: the dispatches whose key starts with `key` get `values()` (f32, the
 * program's own uniforms in order) written over their captured bytes before each replay (Adam's step size and
 * bias correction, from the optimizer's step and learning rate then).
 */
export interface UniformPatch {
  key: string;
  values(): number[];
}

/** What a capture needs besides the work itself (captureWork). */
export interface CaptureSpec {
  /** The caller's inputs (float32, on this backend): copied into plan-owned tensors, on which the work runs. */
  inputs: tf.Tensor[];
  /**
   * The tensors the work may read (and, `inPlace`, update in place) that outlive it: parameters, optimizer
   * moments. Asked again before each replay: the same tensors in the same order with the same buffers, or the
   * plan is stale.
   */
  longLived(): tf.Tensor[];
  /** The work updates long-lived tensors in place: a replay drops any CPU copy of them (tfjs-webgpu keeps one after a read). */
  inPlace?: boolean;
  patches?: UniformPatch[];
}

/** A patched uniform: its byte offset in the plan's uniform buffer, per value. */
type Patched = { patch: UniformPatch; at: number[] };

/** Captured work (captureWork makes it): its dispatches, replayed on new inputs. */
class ReplayPlan {
  /** Replays so far. */
  replays = 0;

  /** Dispatches per replay. */
  get dispatches(): number {
    return this.steps.length;
  }
  /** conv_gemm.ts's tuning when captured. */
  readonly tuning = convTuningGeneration();
  private disposed = false;
  /** The runner's submit count when the last replay was encoded (its commands are submitted once it moves). */
  private encodedAt = -1;
  private readonly heldBuffers: (GPUBufferLike | undefined)[];

  constructor(private readonly be: Backend, private readonly steps: Step[], private readonly inputs: tf.Tensor[],
              private readonly outputs: tf.Tensor[], private readonly owned: GPUBufferLike[],
              private readonly uniforms: GPUBufferLike, private readonly uniformBytes: Uint8Array,
              private readonly spec: CaptureSpec, private readonly held: tf.Tensor[], private readonly patched: Patched[]) {
    this.heldBuffers = held.map((t) => bufferOf(be, t));
  }

  /** Whether the backend, the convolutions' tuning and every long-lived tensor and its buffer are still the ones captured. */
  valid(): boolean {
    if (this.disposed || (tf.backend() as unknown) !== this.be || this.tuning !== convTuningGeneration()) return false;
    const now = this.spec.longLived();
    if (now.length !== this.held.length) return false;
    for (let i = 0; i < now.length; i++) {
      const t = now[i];
      if (t !== this.held[i] || t.isDisposed || bufferOf(this.be, t) !== this.heldBuffers[i]) return false;
    }
    return true;
  }

  /** The captured work on `xs` (the captured shapes, float32): its outputs as new tensors (the caller's). */
  run(xs: tf.Tensor[]): tf.Tensor[] {
    const be = this.be;
    if (this.patched.length) {
      // The previous replay's commands must be submitted before the uniforms they read are rewritten (a
      // queue write runs before any command submitted after it): if no submit came since, one now.
      if (be.cgRunner!.submits === this.encodedAt) flush(be);
      let lo = Infinity, hi = 0;
      const f32 = new Float32Array(1);
      const u8 = new Uint8Array(f32.buffer);
      for (const { patch, at } of this.patched) {
        const v = patch.values();
        for (let i = 0; i < at.length; i++) {
          f32[0] = v[i % v.length];
          this.uniformBytes.set(u8, at[i]);
          lo = Math.min(lo, at[i]);
          hi = Math.max(hi, at[i] + 4);
        }
      }
      if (hi > lo) be.device.queue.writeBuffer(this.uniforms, lo, this.uniformBytes, lo, hi - lo);
    }
    xs.forEach((x, i) => copyIn(be, x, bufferOf(be, this.inputs[i])!));
    const pass = encoderOf(be).beginComputePass({});
    let last: Pipeline | null = null;
    for (const s of this.steps) {
      if (s.pipeline !== last) {
        pass.setPipeline(s.pipeline);
        last = s.pipeline;
      }
      pass.setBindGroup(0, s.group, s.offsets);
      pass.dispatchWorkgroups(s.x, s.y, s.z);
    }
    pass.end();
    this.encodedAt = be.cgRunner!.submits;
    const ys = this.copyOut();
    if (this.spec.inPlace) {
      for (const t of this.held) {
        const d = be.tensorMap.get(t.dataId);
        if (d) d.values = undefined;
      }
    }
    // Counted and submitted as the runner's own dispatches are (or by the caller's read).
    noteDispatches(be, this.steps.length);
    this.replays++;
    return ys;
  }

  /**
   * Copies of the plan's outputs as new tensors (in the caller's scope): every replay writes the plan's outputs
   * again, so no tensor handed out may share their buffers.
   */
  copyOut(): tf.Tensor[] {
    const be = this.be;
    return this.outputs.map((out) => {
      const info = be.makeTensorInfo(out.shape, 'float32');
      be.uploadToGPU(info.dataId); // no values: a buffer from the pool
      encoderOf(be).copyBufferToBuffer(bufferOf(be, out)!, 0, bufferOf(be, info)!, 0, bytesOf(out.shape));
      be.commandQueueOwnedIds.add(info.dataId);
      return tf.engine().makeTensorFromTensorInfo(info);
    });
  }

  /** Hands the intermediate buffers back to the pool and frees the plan's inputs, outputs and uniforms. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Commands that use them may not have run: submit them first (a released buffer is reused at once).
    if ((tf.backend() as unknown) === this.be) flush(this.be);
    for (const b of this.owned) this.be.bufferManager.releaseBuffer(b);
    this.uniforms.destroy();
    tf.dispose([...this.inputs, ...this.outputs]);
  }
}

/**
 * Runs `work` on copies of spec.inputs while the runner records its dispatches (the active webgpu backend, the
 * runner installed, the pipelines compiled by an earlier run of the same work). Returns the plan and the
 * captured run's outputs (copies of the plan's, the caller's), or, when the work cannot be replayed, the reason
 * and the run's outputs all the same. Every output must be a float32 tensor the work made (kept here).
 */
export function captureWork(spec: CaptureSpec, work: (inputs: tf.Tensor[]) => tf.Tensor[]):
    { plan: ReplayPlan; outputs: tf.Tensor[] } | { reason: string; outputs: tf.Tensor[] } {
  const be = tf.backend() as unknown as Backend;
  if (!be.cgRunner) throw new Error('webgpu replay: the backend has no runner');
  const device = be.device;
  flush(be);
  const inputs = spec.inputs.map((x) => {
    const info = be.makeTensorInfo(x.shape, 'float32');
    be.uploadToGPU(info.dataId);
    const t = tf.keep(tf.engine().makeTensorFromTensorInfo(info));
    copyIn(be, x, bufferOf(be, t)!);
    return t;
  });
  const held = spec.longLived();
  // (on the GPU first: a tensor assigned from CPU values, e.g. by a resume, is uploaded at its first use)
  for (const t of held) if (!t.isDisposed && be.tensorMap.has(t.dataId)) be.uploadToGPU(t.dataId);
  const heldBuffers = held.map((t) => bufferOf(be, t));
  const capture = beginCapture(be);
  let outputs: tf.Tensor[];
  try {
    // (in the caller's scope, as the work's outputs would be)
    outputs = work(inputs);
  } catch (e) {
    tf.dispose(inputs);
    throw e;
  } finally {
    endCapture(be);
  }
  // The intermediates' buffers return to the pool at this submit.
  flush(be);
  const fail = (reason: string) => {
    tf.dispose(inputs.filter((t) => !outputs.includes(t)));
    return { reason, outputs };
  };
  if (capture.aborted !== null) return fail(capture.aborted);
  if (capture.dispatches.length === 0) return fail('no dispatches');
  const now = spec.longLived();
  if (now.length !== held.length || now.some((t, i) => t !== held[i] || bufferOf(be, t) !== heldBuffers[i])) {
    return fail('a long-lived tensor was replaced');
  }
  const inBufs = new Set(inputs.map((t) => bufferOf(be, t)!));
  const outBufs = new Set<GPUBufferLike>();
  for (const y of outputs) {
    const b = bufferOf(be, y);
    if (!b || y.dtype !== 'float32' || inBufs.has(b) || outBufs.has(b)) return fail('an output is not a float32 buffer of its own');
    outBufs.add(b);
  }
  const known = new Set(heldBuffers.filter((b): b is GPUBufferLike => b !== undefined));
  const pool = be.bufferManager;
  const owned = new Set<GPUBufferLike>();
  for (const d of capture.dispatches) {
    for (const b of d.buffers) {
      if (inBufs.has(b) || outBufs.has(b) || owned.has(b) || known.has(b)) continue;
      if (takeFromPool(pool, b)) { owned.add(b); continue; }
      for (const o of owned) pool.releaseBuffer(o);
      return fail('a buffer that is neither an intermediate, a long-lived tensor, an input nor an output');
    }
  }

  let total = 0;
  for (const d of capture.dispatches) total += d.uniforms.byteLength;
  const uniforms = device.createBuffer({ size: total, usage: GPU_BUFFER_USAGE.UNIFORM | GPU_BUFFER_USAGE.COPY_DST });
  const bytes = new Uint8Array(total);
  const steps: Step[] = [];
  const patched = new Map<UniformPatch, number[]>();
  let at = 0;
  let misplaced = false;
  for (const d of capture.dispatches) {
    bytes.set(d.uniforms, at);
    const patch = spec.patches?.find((p) => d.key.startsWith(p.key));
    if (patch) {
      // The captured values must be the ones the patch gives now (the work's own step): else the fields
      // are not where they were taken to be.
      const v = new Float32Array(patch.values());
      const got = new Float32Array(d.uniforms.buffer, d.uniforms.byteOffset, d.uniforms.byteLength >> 2);
      if (d.programUniforms.length < v.length || v.some((x, i) => got[d.programUniforms[i] >> 2] !== x)) misplaced = true;
      const list = patched.get(patch) ?? [];
      for (let i = 0; i < v.length; i++) list.push(at + d.programUniforms[i]);
      patched.set(patch, list);
    }
    const slot = d.uniforms.byteLength;
    const group = device.createBindGroup({ layout: d.layout, entries: bindGroupEntries(d.buffers, d.inputs, uniforms, slot) });
    steps.push({ pipeline: d.pipeline, group, offsets: [at], x: d.workgroups[0], y: d.workgroups[1], z: d.workgroups[2] });
    at += slot;
  }
  // (every patch given is expected: a patch no dispatch matched would leave a per-step value baked in)
  if (spec.patches?.some((p) => !patched.has(p))) misplaced = true;
  if (misplaced) {
    uniforms.destroy();
    for (const o of owned) pool.releaseBuffer(o);
    return fail('a per-step uniform was not found where expected');
  }
  device.queue.writeBuffer(uniforms, 0, bytes);
  // The captured run's own outputs become the plan's (kept: the caller's tidy must not dispose them); the
  // caller gets copies, which later replays leave alone.
  // (each dispatch's offsets are consecutive in `at`, in values() order)
  const patchList = [...patched].map(([patch, offsets]) => ({ patch, at: offsets }));
  const plan = new ReplayPlan(be, steps, inputs, outputs.map((y) => tf.keep(y)), [...owned], uniforms, bytes, spec, held, patchList);
  return { plan, outputs: plan.copyOut() };
}

/** What replay holds for one (network, input shape, mode). */
type State = { plan: ReplayPlan | null; failed: string | null; invalidated: number };
const states = new WeakMap<Network, Map<string, State>>();

/**
 * Where replay stands for `net` on each input shape it has seen (tests, diagnostics): 'warm' (seen once, or
 * its plan was invalidated), 'replaying' with the count, or the reason the capture failed.
 */
export function replayStatus(net: Network): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of states.get(net) ?? []) {
    out[k] = s.failed !== null ? `failed: ${s.failed}` : s.plan ? `replaying (${s.plan.replays})` : 'warm';
  }
  return out;
}

function forward(net: Network, x: tf.Tensor4D, opts: ApplyOptions): tf.Tensor4D | null {
  if (!replayEnabled() || x.dtype !== 'float32') return null;
  const be = tf.backend() as unknown as Backend;
  if (!be.cgRunner) return null;
  let byShape = states.get(net);
  if (!byShape) states.set(net, byShape = new Map());
  const key = `${x.shape.join('x')}${opts.training ? ' training' : ''}`;
  const s = byShape.get(key);
  // The first forward of a shape runs normally: it compiles the pipelines and fills the runner's tables.
  if (!s) {
    if (byShape.size >= MAX_SHAPES) {
      const [oldest, o] = byShape.entries().next().value!;
      o.plan?.dispose();
      byShape.delete(oldest);
    }
    byShape.set(key, { plan: null, failed: null, invalidated: 0 });
    return null;
  }
  // Most recently used last (the Map's order).
  byShape.delete(key);
  byShape.set(key, s);
  if (s.failed !== null) return null;
  if (s.plan && !s.plan.valid()) {
    // (a change of the convolutions' tuning is not the network's doing: not counted)
    const replaced = s.plan.tuning === convTuningGeneration();
    s.plan.dispose();
    s.plan = null;
    if (replaced && ++s.invalidated > MAX_RECAPTURES) s.failed = 'its parameters keep being replaced';
    return null;
  }
  if (s.plan) return s.plan.run([x])[0] as tf.Tensor4D;
  let live = 0;
  for (const o of byShape.values()) if (o.plan) live++;
  for (const o of byShape.values()) {
    if (live < maxPlans) break;
    if (o.plan) {
      o.plan.dispose();
      o.plan = null;
      live--;
    }
  }
  const r = captureWork({ inputs: [x], longLived: () => [...net.params.values(), ...net.buffers.values()] },
    ([input]) => [net.apply(input as tf.Tensor4D, opts)]);
  if ('reason' in r) s.failed = r.reason;
  else s.plan = r.plan;
  // The capture ran the forward of x itself (on the plan's copy of it): its output (a copy of it where a plan
  // keeps it) is this call's result.
  return r.outputs[0] as tf.Tensor4D;
}

/** Disposes every plan of `net`. */
function release(net: Network): void {
  for (const s of states.get(net)?.values() ?? []) s.plan?.dispose();
  states.delete(net);
}

/** What replay holds for one phase of one model's training step (at one set of input shapes). */
const phaseStates = new WeakMap<object, Map<string, State>>();

/**
 * Where replay stands for each phase of `owner`'s training step (tests, diagnostics): as replayStatus, keyed
 * by the phase's name and input shapes.
 */
export function stepReplayStatus(owner: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of phaseStates.get(owner) ?? []) {
    out[k] = s.failed !== null ? `failed: ${s.failed}` : s.plan ? `replaying (${s.plan.replays})` : 'warm';
  }
  return out;
}

/** The dispatches each replaying phase of `owner`'s training step records (diagnostics: scripts/step-host.mjs). */
export function stepReplayDispatches(owner: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, s] of phaseStates.get(owner) ?? []) if (s.plan) out[k.split(' ')[0]] = s.plan.dispatches;
  return out;
}

/**
 * A training-step phase (src/core/phases.ts): run normally the first time (pipelines compiled, the runner's
 * tables filled), captured the second, replayed after. Its optimizer's update is among the captured dispatches
 * (CGAdamInPlace, on the long-lived parameters and moments): a replay counts the optimizer's step first and
 * patches those dispatches' uniforms (step size, bias correction: from the step and the learning rate then).
 */
function phase(owner: object, spec: PhaseSpec, work: (inputs: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] | null {
  if (!stepReplayEnabled() || !spec.replayable) return null;
  const be = tf.backend() as unknown as Backend;
  // (profiled runs, tf.profile or a timer, time each kernel: they run normally)
  const profiling = (tf.engine().state as unknown as { profiling?: boolean }).profiling === true || be.activeTimers != null;
  if (!be.cgRunner || profiling || spec.inputs.some((x) => x.dtype !== 'float32')) return null;
  let byKey = phaseStates.get(owner);
  if (!byKey) phaseStates.set(owner, byKey = new Map());
  const key = `${spec.name} ${spec.inputs.map((x) => x.shape.join('x')).join(' ')}`;
  const s = byKey.get(key);
  if (!s) {
    // One plan per phase: another shape's replaces it (a training run has one).
    for (const [k, o] of byKey) if (k.startsWith(`${spec.name} `)) { o.plan?.dispose(); byKey.delete(k); }
    byKey.set(key, { plan: null, failed: null, invalidated: 0 });
    return null;
  }
  if (s.failed !== null) return null;
  if (s.plan && !s.plan.valid()) {
    const replaced = s.plan.tuning === convTuningGeneration();
    s.plan.dispose();
    s.plan = null;
    if (replaced && ++s.invalidated > MAX_RECAPTURES) {
      s.failed = 'its long-lived tensors keep being replaced';
      return null;
    }
  }
  const opt = spec.optimizer;
  const patches: UniformPatch[] = [{ key: ADAM_IN_PLACE_KEY, values: () => adamUniforms(opt.attrs()).map((u) => u.data[0]) }];
  if (s.plan) {
    opt.countReplayedStep();
    return s.plan.run(spec.inputs);
  }
  // Captured now (the pipelines are compiled: this is not the phase's first run, or its plan went stale).
  const r = captureWork({ inputs: spec.inputs, longLived: spec.longLived, inPlace: true, patches }, work);
  if ('reason' in r) s.failed = r.reason;
  else s.plan = r.plan;
  return r.outputs;
}

/** Disposes every phase plan of `owner`. */
function releasePhase(owner: object): void {
  for (const s of phaseStates.get(owner)?.values() ?? []) s.plan?.dispose();
  phaseStates.delete(owner);
}

/**
 * Makes inferenceForward (src/core/networks/inference.ts) replay captured forwards and runPhase
 * (src/core/phases.ts) replay captured training-step phases on `backendName`.
 */
export function registerReplay(backendName: string): void {
  registerInferenceAccelerator(backendName, { forward, release });
  registerPhaseAccelerator(backendName, { run: phase, release: releasePhase });
}
