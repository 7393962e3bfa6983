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
// plan made before a setConvTuning is dropped, the next call runs normally (compiling the new tuning's
// pipelines) and the one after captures again (refresh).
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
function stepReplayEnabled(): boolean {
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
interface UniformPatch {
  key: string;
  values(): number[];
}

/** What a capture needs besides the work itself (captureWork). */
interface CaptureSpec {
  /** The caller's inputs (float32, on this backend): copied into plan-owned tensors, on which the work runs. */
  inputs: tf.Tensor[];
  /**
   * The tensors the work may read (and, `inPlace`, update in place) that outlive it: parameters, optimizer
   * moments. Asked again before each replay: the same tensors in the same order with the same buffers, or the
   * plan is stale.
   */
  longLived(): tf.Tensor[];
  /**
   * The work updates long-lived tensors in place: a replay drops any CPU copy of them (tfjs-webgpu keeps one
   * after a read), and the plan is stale once one's data gains or loses a sharer (its reference count): the
   * eager update (optim.ts's Adam) writes in place only where none shares the data, else it assigns a new
   * buffer, so a replay must not write over data a clone shares.
   */
  inPlace?: boolean;
  patches?: UniformPatch[];
}

/** A patched uniform: its byte offset in the plan's uniform buffer, per value. */
type Patched = { patch: UniformPatch; at: number[] };

/** The long-lived tensors as a plan relies on them: each one, its buffer and (inPlace) its reference count. */
type Held = { tensors: tf.Tensor[]; buffers: (GPUBufferLike | undefined)[]; refs: number[] | null };

const refCountOf = (be: Backend, t: tf.Tensor) => be.tensorMap.get(t.dataId)?.refCount ?? 0;

function holdOf(be: Backend, tensors: tf.Tensor[], inPlace: boolean): Held {
  return { tensors, buffers: tensors.map((t) => bufferOf(be, t)), refs: inPlace ? tensors.map((t) => refCountOf(be, t)) : null };
}

/** Whether `now` (spec.longLived() again) is the held list: the same tensors, alive, with the same buffers (and counts). */
function sameLongLived(be: Backend, held: Held, now: tf.Tensor[]): boolean {
  if (now.length !== held.tensors.length) return false;
  for (let i = 0; i < now.length; i++) {
    const t = now[i];
    if (t !== held.tensors[i] || t.isDisposed || bufferOf(be, t) !== held.buffers[i]) return false;
    if (held.refs && refCountOf(be, t) !== held.refs[i]) return false;
  }
  return true;
}

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

  constructor(private readonly be: Backend, private readonly steps: Step[], private readonly inputs: tf.Tensor[],
              private readonly outputs: tf.Tensor[], private readonly owned: GPUBufferLike[],
              private readonly uniforms: GPUBufferLike, private readonly uniformBytes: Uint8Array,
              private readonly spec: CaptureSpec, private readonly held: Held, private readonly patched: Patched[]) {}

  /**
   * Whether the backend, the convolutions' tuning and every long-lived tensor, its buffer (and, inPlace, its
   * reference count) are still the ones captured.
   */
  valid(): boolean {
    if (this.disposed || (tf.backend() as unknown) !== this.be || this.tuning !== convTuningGeneration()) return false;
    return sameLongLived(this.be, this.held, this.spec.longLived());
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
      for (const t of this.held.tensors) {
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
function captureWork(spec: CaptureSpec, work: (inputs: tf.Tensor[]) => tf.Tensor[]):
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
  const longLived = spec.longLived();
  // (on the GPU first: a tensor assigned from CPU values, e.g. by a resume, is uploaded at its first use)
  for (const t of longLived) if (!t.isDisposed && be.tensorMap.has(t.dataId)) be.uploadToGPU(t.dataId);
  const held = holdOf(be, longLived, spec.inPlace === true);
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
  if (!sameLongLived(be, held, spec.longLived())) return fail('a long-lived tensor was replaced');
  const inBufs = new Set(inputs.map((t) => bufferOf(be, t)!));
  const outBufs = new Set<GPUBufferLike>();
  for (const y of outputs) {
    const b = bufferOf(be, y);
    if (!b || y.dtype !== 'float32' || inBufs.has(b) || outBufs.has(b)) return fail('an output is not a float32 buffer of its own');
    outBufs.add(b);
  }
  const known = new Set(held.buffers.filter((b): b is GPUBufferLike => b !== undefined));
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

/** 'warm' (seen once, or its plan was invalidated), 'replaying' with the count, or the reason the capture failed, per key. */
function statusOf(byKey: Map<string, State> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of byKey ?? []) {
    out[k] = s.failed !== null ? `failed: ${s.failed}` : s.plan ? `replaying (${s.plan.replays})` : 'warm';
  }
  return out;
}

/** Disposes every plan `of` holds for `owner` (a network's forwards, a model's phases) and forgets it. */
function releaseIn<K extends object>(of: WeakMap<K, Map<string, State>>, owner: K): void {
  for (const s of of.get(owner)?.values() ?? []) s.plan?.dispose();
  of.delete(owner);
}

/**
 * Drops `s`'s plan if it went stale (valid() false): counted when its long-lived tensors were replaced (past
 * MAX_RECAPTURES the key fails with `why`), not when the convolutions' tuning changed. Returns whether this
 * call must run normally rather than capture: the key failed, or the tuning changed (the new tuning's
 * pipelines are compiled by a normal run first: a capture now would abort on the compile and fail for good).
 */
function refresh(s: State, why: string): 'fresh' | 'replaced' | 'retuned' {
  if (!s.plan || s.plan.valid()) return 'fresh';
  const retuned = s.plan.tuning !== convTuningGeneration();
  s.plan.dispose();
  s.plan = null;
  if (!retuned && ++s.invalidated > MAX_RECAPTURES) s.failed = why;
  return retuned ? 'retuned' : 'replaced';
}

/** Where replay stands for `net` on each input shape it has seen (tests, diagnostics): see statusOf. */
export function replayStatus(net: Network): Record<string, string> {
  return statusOf(states.get(net));
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
  // (a stale plan: this forward runs normally, the next one captures)
  if (refresh(s, 'its parameters keep being replaced') !== 'fresh') return null;
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


/** What replay holds for one phase of one model's training step (at one set of input shapes). */
const phaseStates = new WeakMap<object, Map<string, State>>();

/**
 * Where replay stands for each phase of `owner`'s training step (tests, diagnostics): as replayStatus, keyed
 * by the phase's name and input shapes.
 */
export function stepReplayStatus(owner: object): Record<string, string> {
  return statusOf(phaseStates.get(owner));
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
  // (long-lived tensors replaced: captured again now, their pipelines are compiled; a new tuning: see refresh)
  if (refresh(s, 'its long-lived tensors keep being replaced') === 'retuned' || s.failed !== null) return null;
  const opt = spec.optimizer;
  if (s.plan) {
    opt.countReplayedStep();
    return s.plan.run(spec.inputs);
  }
  // Captured now (the pipelines are compiled: this is not the phase's first run, or its plan went stale).
  const patches: UniformPatch[] = [{ key: ADAM_IN_PLACE_KEY, values: () => adamUniforms(opt.attrs()).map((u) => u.data[0]) }];
  const r = captureWork({ inputs: spec.inputs, longLived: spec.longLived, inPlace: true, patches }, work);
  if ('reason' in r) s.failed = r.reason;
  else s.plan = r.plan;
  return r.outputs;
}


/**
 * Makes inferenceForward (src/core/networks/inference.ts) replay captured forwards and runPhase
 * (src/core/phases.ts) replay captured training-step phases on `backendName`.
 */
export function registerReplay(backendName: string): void {
  registerInferenceAccelerator(backendName, { forward, release: (net) => releaseIn(states, net) });
  registerPhaseAccelerator(backendName, { run: phase, release: (owner) => releaseIn(phaseStates, owner) });
}
