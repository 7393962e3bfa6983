// A captured, replayed generator forward for inference on webgpu (like a CUDA graph). For test / translate /
// eval / bench's g_fwd in Node the network, the input shape and therefore every dispatch are the same image
// after image, yet each forward pays the tfjs engine, our kernels' JS and the runner per dispatch (~90 of them
// for a ResNet generator). Here the forward is recorded once and then, per image: one copy of the input into
// the plan's input buffer, one compute pass of setPipeline / setBindGroup / dispatchWorkgroups from a list, one
// copy of the plan's output into a new tensor, all in the backend's command encoder (queue order with its
// other work is kept).
//
// Capture (the second forward of a shape; the first compiled the pipelines and filled the runner's signature
// tables): the forward runs normally on a plan-owned input while the runner records every fast-path dispatch
// (pipeline, buffers, uniform bytes, workgroups). Any other work aborts it (runner.ts's Capture says what): the
// shape then stays on Network.apply, never a wrong result.
// Buffers: the plan's input and output tensors (kept), the network's parameters (read at replay time, so an
// in-place update is seen; a parameter whose tensor or buffer changed invalidates the plan), and the
// intermediates, whose buffers went back to tfjs-webgpu's pool when the forward disposed them (at the submit
// that ends the capture): the plan takes those out of the pool (counted as used) so nobody else gets them;
// any other buffer aborts. Uniforms: each dispatch's bytes in one plan-owned uniform buffer; the plan's own
// bind groups are created once. plan.dispose() hands the buffers back; Network.dispose disposes its plans.
// The convolutions' algorithm choice (conv_gemm.ts's setConvTuning: tiles, Winograd) is part of a capture: a
// plan made before a setConvTuning is captured again.
// CYCLEGAN_WEBGPU_REPLAY=0 turns replay off.
import { tf } from '../../core/tf.js';
import { envVar } from '../../core/limits.js';
import type { ApplyOptions, Network } from '../../core/networks/network.js';
import { registerInferenceAccelerator } from '../../core/networks/inference.js';
import { convTuningGeneration } from './conv_gemm.js';
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
/** CYCLEGAN_WEBGPU_REPLAY=0 turns replay off (read once, here). */
export function replayEnabled(): boolean {
  enabled ??= envVar('CYCLEGAN_WEBGPU_REPLAY') !== '0';
  return enabled;
}

/** Tests: turns replay on or off regardless of the environment. */
export function setReplayEnabled(on: boolean): void {
  enabled = on;
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
/** A parameter (or batch-norm statistic) the plan reads: where it lives in the network and its buffer then. */
type Read = { map: Map<string, tf.Tensor>; name: string; tensor: tf.Tensor; buffer: GPUBufferLike };

/** A captured forward of one network at one input shape (capturePlan makes it). */
class ReplayPlan {
  /** Forwards replayed so far. */
  replays = 0;
  /** conv_gemm.ts's tuning when captured. */
  readonly tuning = convTuningGeneration();
  private disposed = false;

  constructor(private readonly be: Backend, private readonly steps: Step[], private readonly input: tf.Tensor4D,
              private readonly output: tf.Tensor4D, private readonly owned: GPUBufferLike[],
              private readonly uniforms: GPUBufferLike, private readonly reads: Read[]) {}

  /**
   * Whether the backend, the convolutions' tuning and every parameter buffer the capture bound are still the
   * ones in use.
   */
  valid(): boolean {
    if (this.disposed || (tf.backend() as unknown) !== this.be || this.tuning !== convTuningGeneration()) return false;
    for (const r of this.reads) {
      if (r.map.get(r.name) !== r.tensor || r.tensor.isDisposed || bufferOf(this.be, r.tensor) !== r.buffer) return false;
    }
    return true;
  }

  /** The forward of `x` (the captured shape, float32) as a new tensor. */
  run(x: tf.Tensor4D): tf.Tensor4D {
    const be = this.be;
    copyIn(be, x, bufferOf(be, this.input)!);
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
    const y = this.copyOut();
    // Counted and submitted as the runner's own dispatches are (or by the caller's read).
    noteDispatches(be, this.steps.length);
    this.replays++;
    return y;
  }

  /**
   * A copy of the plan's output as a new tensor (in the caller's scope): every replay writes the plan's output
   * again, so no tensor handed out may share its buffer.
   */
  copyOut(): tf.Tensor4D {
    const be = this.be;
    const info = be.makeTensorInfo(this.output.shape, 'float32');
    be.uploadToGPU(info.dataId); // no values: a buffer from the pool
    encoderOf(be).copyBufferToBuffer(bufferOf(be, this.output)!, 0, bufferOf(be, info)!, 0, bytesOf(this.output.shape));
    be.commandQueueOwnedIds.add(info.dataId);
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
  }

  /** Hands the intermediate buffers back to the pool and frees the plan's input, output and uniforms. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Commands that use them may not have run: submit them first (a released buffer is reused at once).
    if ((tf.backend() as unknown) === this.be) flush(this.be);
    for (const b of this.owned) this.be.bufferManager.releaseBuffer(b);
    this.uniforms.destroy();
    tf.dispose([this.input, this.output]);
  }
}

/**
 * Captures `net`'s forward (opts) at `x`'s shape on the active webgpu backend (the runner installed, the
 * pipelines compiled by an earlier forward of that shape). Returns the plan and the captured forward's output
 * of `x` (the caller's), or, when the forward cannot be replayed, the reason and that output all the same.
 */
function capturePlan(net: Network, x: tf.Tensor4D, opts: ApplyOptions = {}):
    { plan: ReplayPlan; y: tf.Tensor4D } | { reason: string; y: tf.Tensor4D } {
  const be = tf.backend() as unknown as Backend;
  if (!be.cgRunner) throw new Error('webgpu replay: the backend has no runner');
  const device = be.device;
  flush(be);
  const info = be.makeTensorInfo(x.shape, 'float32');
  be.uploadToGPU(info.dataId);
  const input = tf.keep(tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D);
  copyIn(be, x, bufferOf(be, input)!);
  const capture = beginCapture(be);
  let y: tf.Tensor4D;
  try {
    // (in the caller's scope, as net.apply's output would be)
    y = net.apply(input, opts);
  } catch (e) {
    input.dispose();
    throw e;
  } finally {
    endCapture(be);
  }
  // The intermediates' buffers return to the pool at this submit.
  flush(be);
  const fail = (reason: string) => {
    input.dispose();
    return { reason, y };
  };
  if (capture.aborted !== null) return fail(capture.aborted);
  if (capture.dispatches.length === 0) return fail('no dispatches');
  const inBuf = bufferOf(be, input)!;
  const outBuf = bufferOf(be, y);
  if (!outBuf || outBuf === inBuf) return fail('the output is not a buffer of its own');

  const known = new Map<GPUBufferLike, Read>();
  for (const map of [net.params, net.buffers] as Map<string, tf.Tensor>[]) {
    for (const [name, tensor] of map) {
      const buffer = bufferOf(be, tensor);
      if (buffer) known.set(buffer, { map, name, tensor, buffer });
    }
  }
  const pool = be.bufferManager;
  const owned = new Set<GPUBufferLike>();
  const reads = new Set<Read>();
  for (const d of capture.dispatches) {
    for (const b of d.buffers) {
      if (b === inBuf || b === outBuf || owned.has(b)) continue;
      const r = known.get(b);
      if (r) { reads.add(r); continue; }
      if (takeFromPool(pool, b)) { owned.add(b); continue; }
      for (const o of owned) pool.releaseBuffer(o);
      return fail('a buffer that is neither an intermediate, a parameter, the input nor the output');
    }
  }

  let total = 0;
  for (const d of capture.dispatches) total += d.uniforms.byteLength;
  const uniforms = device.createBuffer({ size: total, usage: GPU_BUFFER_USAGE.UNIFORM | GPU_BUFFER_USAGE.COPY_DST });
  const bytes = new Uint8Array(total);
  const steps: Step[] = [];
  let at = 0;
  for (const d of capture.dispatches) {
    bytes.set(d.uniforms, at);
    const slot = d.uniforms.byteLength;
    const group = device.createBindGroup({ layout: d.layout, entries: bindGroupEntries(d.buffers, d.inputs, uniforms, slot) });
    steps.push({ pipeline: d.pipeline, group, offsets: [at], x: d.workgroups[0], y: d.workgroups[1], z: d.workgroups[2] });
    at += slot;
  }
  device.queue.writeBuffer(uniforms, 0, bytes);
  // The captured forward's own output becomes the plan's (kept: the caller's tidy must not dispose it); the
  // caller gets a copy, which later replays leave alone.
  const plan = new ReplayPlan(be, steps, input, tf.keep(y), [...owned], uniforms, [...reads]);
  return { plan, y: plan.copyOut() };
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
  if (s.plan) return s.plan.run(x);
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
  const r = capturePlan(net, x, opts);
  if ('reason' in r) s.failed = r.reason;
  else s.plan = r.plan;
  // The capture ran the forward of x itself (on the plan's copy of it): its output (a copy of it where a plan
  // keeps it) is this call's result.
  return r.y;
}

/** Disposes every plan of `net`. */
function release(net: Network): void {
  for (const s of states.get(net)?.values() ?? []) s.plan?.dispose();
  states.delete(net);
}

/** Makes inferenceForward (src/core/networks/inference.ts) replay captured forwards on `backendName`. */
export function registerReplay(backendName: string): void {
  registerInferenceAccelerator(backendName, { forward, release });
}
