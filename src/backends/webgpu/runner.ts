// A cheaper dispatch path for tfjs-backend-webgpu's program runner. Per dispatch, stock WebGPUBackend
// acquires a uniform buffer, writes it (queue.writeBuffer), asks the pipeline for its bind group layout and
// creates a bind group: on Dawn in Node the bind group alone costs ~25 µs of host time, and a CycleGAN
// training step has thousands of dispatches. Here, once installed on a backend:
//   - pipelines get an explicit layout whose uniform binding has a dynamic offset;
//   - the uniforms of every dispatch go to one CPU staging area, copied with ONE writeBuffer per submit into
//     one ring buffer (queue order makes reusing it safe: a submit's commands run before the next write);
//   - bind groups are cached by (layout, buffers): the buffer pool hands the same buffers back step after
//     step, so in a steady training loop almost every dispatch reuses a bind group;
//   - a program may declare `extraOutputs`: further tensors it writes (read_write bindings after the
//     uniforms, numbered by extraOutputBinding), so one dispatch can produce several results (CGAdam: param,
//     m and v);
//   - the pipeline of a program seen before with the same inputs is found without tfjs-webgpu's makeShaderKey
//     (a string built from every shape, broadcast and dtype on each call): a table per program key holds
//     the signatures met so far (shapes, dtypes, workgroup size, names, flat dispatch) with their pipeline key;
//   - setPipeline is skipped when the pass already has that pipeline (runs of the same kernel: Adam);
//   - while a forward or a training-step phase is captured (beginCapture, for replay.ts) each fast-path
//     dispatch is recorded (with where its program's own uniforms sit, so a replay can patch per-step values),
//     and any other work marks the capture aborted (what does: see Capture).
// Programs that draw or read pixels (textures) keep the stock path. The shader text is tfjs-webgpu's own.
import { tf } from '../../core/tf.js';
import { envVar } from '../../core/limits.js';
import type { Program, TensorInfo, UniformValue } from './program.js';

export type GPUBufferLike = { size: number; usage: number; destroy(): void };
type BindGroupLayout = object;
export type Pipeline = { getBindGroupLayout(i: number): BindGroupLayout };
type PassEncoder = {
  setPipeline(p: Pipeline): void; setBindGroup(i: number, bg: object, offsets?: number[]): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void; end(): void;
};
type Device = {
  limits: Record<string, number>;
  queue: { writeBuffer(b: GPUBufferLike, offset: number, data: ArrayBuffer | ArrayBufferView, dataOffset?: number, size?: number): void };
  createBuffer(d: { size: number; usage: number }): GPUBufferLike;
  createBindGroupLayout(d: unknown): BindGroupLayout;
  createPipelineLayout(d: unknown): object;
  createBindGroup(d: unknown): object;
  createComputePipeline(d: { layout: unknown }): Pipeline;
  createComputePipelineAsync(d: { layout: unknown }): Promise<Pipeline>;
};

/** The WebGPUBackend internals the runner uses (tfjs-backend-webgpu 4.22, pinned in package.json). */
export interface Backend {
  device: Device;
  bufferManager: {
    freeBuffers: Map<string, GPUBufferLike[]>;
    usedBuffers: Map<string, GPUBufferLike[]>;
    numFreeBuffers: number;
    numUsedBuffers: number;
    numBytesUsed: number;
    releaseBuffer(buffer: GPUBufferLike, reuse?: boolean): void;
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBufferLike;
  };
  tensorMap: {
    get(id: object): { resource?: unknown; dtype: string; refCount: number; shape: number[]; values?: unknown } | undefined;
    has(id: object): boolean;
  };
  commandQueueOwnedIds: WeakSet<object>;
  pipelineCache: Record<string, Pipeline | Promise<Pipeline>>;
  commandEncoder: {
    beginComputePass(d: unknown): PassEncoder;
    copyBufferToBuffer(src: GPUBufferLike, srcOffset: number, dst: GPUBufferLike, dstOffset: number, size: number): void;
  } | null;
  computePassEncoder: PassEncoder | null;
  dispatchCountInPass: number;
  activeTimers?: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: object | null;
  querySetCount: number;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: string): TensorInfo;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  runWebGPUProgram(program: Program, inputs: TensorInfo[], dtype: string, uniforms?: UniformValue[], output?: TensorInfo): TensorInfo;
  recordAndSubmit(program: Program, output: TensorInfo, inputs: TensorInfo[], uniforms?: UniformValue[]): void;
  disposeData(dataId: object, force?: boolean): boolean;
  cgRunner?: RunnerStats;
  /** While a forward is captured (beginCapture): what the fast path encodes, or why it cannot be replayed. */
  cgCapture?: Capture | null;
}

/**
 * A 1-D count of workgroups over the per-dimension limit as 2-D or 3-D: tfjs-webgpu's rule (reshapeDispatch in its
 * backend_webgpu.js, 4.22), so the pipeline it compiled for that program's shape is the one the fast path finds.
 */
function oversizeDispatch(n: number, maxPerDim: number): [number, number, number] {
  const sq = Math.ceil(Math.sqrt(n));
  if (sq <= maxPerDim) return [sq, sq, 1];
  const cb = Math.ceil(Math.cbrt(n));
  if (cb > maxPerDim) throw new Error('webgpu runner: the total dispatch size exceeds WebGPU\'s maximum');
  return [cb, cb, cb];
}

/** A program the runner may see: ours (program.ts) or a stock tfjs-webgpu one. */
type AnyProgram = Program & {
  pixelsOpType?: number; pipeline?: Pipeline; outputComponent?: number; extraOutputs?: TensorInfo[];
};

/** A small tensor kept beside another one until that one's data is released (see attachCompanion). */
type Companion = { info: TensorInfo; tag: unknown };
const companions = new WeakMap<object, WeakMap<object, Companion>>();

/**
 * Keeps `companion` (owned by the runner from now on) while `owner`'s data lives, for a later kernel that
 * gets `owner` as an input (CGInstanceNormGrad finds the statistics CGInstanceNorm computed for its output).
 * Freed with the owner's data, or handed over by takeCompanion.
 */
export function attachCompanion(backend: object, owner: TensorInfo, companion: TensorInfo, tag: unknown): void {
  installRunner(backend);
  const byOwner = companions.get(backend)!;
  const prev = byOwner.get(owner.dataId);
  if (prev) (backend as Backend).disposeData(prev.info.dataId, true);
  byOwner.set(owner.dataId, { info: companion, tag });
}

/** The companion of `owner`, if it has one: the caller now owns it (and disposes it). */
export function takeCompanion(backend: object, owner: TensorInfo): Companion | undefined {
  const byOwner = companions.get(backend);
  const c = byOwner?.get(owner.dataId);
  if (c) byOwner!.delete(owner.dataId);
  return c;
}

/**
 * The binding number of a program's extra output `i` (`extraOutputs`): after the output (0), the inputs
 * (1..inputs) and the uniforms (inputs + 1). The one place that numbers them: the runner's layouts and bind
 * groups and the kernels' WGSL declarations (extraOutputWGSL) all ask it.
 */
function extraOutputBinding(inputs: number, i: number): number {
  return 2 + inputs + i;
}

/** The WGSL declarations of a program's extra outputs, in `extraOutputs` order (f32 arrays, read_write). */
export function extraOutputWGSL(inputs: number, names: readonly string[]): string {
  return names.map((n, i) => `@group(0) @binding(${extraOutputBinding(inputs, i)}) var<storage, read_write> ${n} : array<f32>;`)
    .join('\n');
}

/**
 * The entries of a fast-path bind group: the output (0), the inputs (1..inputs), the uniforms (a slot of
 * `uniforms`, its offset given per dispatch), the extra outputs. The runner's bind groups and a replayed
 * forward's (replay.ts) are both made here.
 */
export function bindGroupEntries(buffers: readonly GPUBufferLike[], inputs: number, uniforms: GPUBufferLike, slot: number): unknown[] {
  const entries: unknown[] = [{ binding: 0, resource: { buffer: buffers[0] } }];
  for (let i = 0; i < inputs; i++) entries.push({ binding: 1 + i, resource: { buffer: buffers[1 + i] } });
  entries.push({ binding: 1 + inputs, resource: { buffer: uniforms, offset: 0, size: slot } });
  for (let i = 0; i + 1 + inputs < buffers.length; i++) {
    entries.push({ binding: extraOutputBinding(inputs, i), resource: { buffer: buffers[1 + inputs + i] } });
  }
  return entries;
}

/** One fast-path dispatch as captured: its pipeline and layout, buffers (bindGroupEntries order), uniform bytes. */
interface CapturedDispatch {
  pipeline: Pipeline;
  layout: BindGroupLayout;
  buffers: GPUBufferLike[];
  inputs: number;
  /** This dispatch's uniform slot (a multiple of the device's uniform offset alignment). */
  uniforms: Uint8Array;
  workgroups: [number, number, number];
  /** The program's key (tfjs-webgpu's full shader key, which starts with the program's own shaderKey). */
  key: string;
  /** Byte offsets in `uniforms` of the program's own uniform fields (after tfjs-webgpu's header), in order. */
  programUniforms: number[];
}

/**
 * A forward being captured (replay.ts): every dispatch the fast path encodes meanwhile, or the first reason why
 * the work cannot be replayed from a list of dispatches (the stock path, a compile, an upload of CPU values, a
 * copy, a read, timing).
 */
export interface Capture {
  dispatches: CapturedDispatch[];
  aborted: string | null;
}

/** Starts capturing the dispatches of `backend`'s fast path (installRunner must have run). */
export function beginCapture(backend: object): Capture {
  const b = backend as Backend;
  if (!b.cgRunner) throw new Error('webgpu runner: beginCapture on a backend without the runner');
  const c: Capture = { dispatches: [], aborted: null };
  b.cgCapture = c;
  return c;
}

/** Ends the capture begun by beginCapture (the Capture it returned holds the result). */
export function endCapture(backend: object): void {
  (backend as Backend).cgCapture = null;
}

function abortCapture(backend: Backend, reason: string): void {
  const c = backend.cgCapture;
  if (c && c.aborted === null) c.aborted = reason;
}

export interface RunnerStats {
  /** Dispatches encoded: the fast path's and replayed ones (replay.ts), both through noteDispatches. */
  dispatches: number;
  bindGroupsCreated: number;
  /** Dispatches whose pipeline was found by the signature table, without tfjs-webgpu's makeShaderKey. */
  keyHits: number;
  submits: number;
  /** Dispatches per submit (the stock runner's WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE is 15). */
  batch: number;
}

/**
 * Counts `n` dispatches just encoded on `backend` (the runner installed): RunnerStats.dispatches and the
 * backend's dispatchCountInPass; submits once a batch (RunnerStats.batch) is full, unless `timed` (a profiled
 * dispatch, which ends its own pass). The one submit policy of the fast path and of replayed forwards (replay.ts).
 */
export function noteDispatches(backend: Backend, n: number, timed = false): void {
  const stats = backend.cgRunner!;
  stats.dispatches += n;
  backend.dispatchCountInPass += n;
  if (!timed && backend.dispatchCountInPass >= stats.batch) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** Resources already found to be GPU buffers (see isBuffer). */
const knownBuffers = new WeakSet<object>();

/**
 * Whether a tensor's resource (tensorMap's) is a GPU buffer (not a texture or external resource, nor none).
 * Dawn's `size` is a native getter (about 1.3 µs a read in Node, several per dispatch): each buffer is checked
 * once, then found in a WeakSet.
 */
export const isBuffer = (r: unknown): r is GPUBufferLike => {
  if (r == null || typeof r !== 'object') return false;
  if (knownBuffers.has(r)) return true;
  if (typeof (r as GPUBufferLike).size !== 'number') return false;
  knownBuffers.add(r);
  return true;
};

export const GPU_BUFFER_USAGE = { STORAGE: 0x80, UNIFORM: 0x40, COPY_DST: 0x08, COPY_SRC: 0x04 };
const GPU_SHADER_STAGE_COMPUTE = 0x4;
/** Bytes of the uniform ring; a submit is forced when a batch's uniforms would not fit. */
const RING_BYTES = 1 << 20;
const BIND_GROUP_CACHE_LIMIT = 1 << 14;

/**
 * Default dispatches per submit; CYCLEGAN_WEBGPU_BATCH overrides it. A disposed tensor's buffer returns to
 * the pool only at the next submit: on lavapipe (64 px, ngf 8, ResNet-9) 15 → 64 took the host's encode CPU
 * time per step from 110 to 88 ms for 8% more GPU memory allocated; 128 gave 83 ms for 16% more.
 */
const DEFAULT_SUBMIT_BATCH = 64;

/**
 * Byte offsets of tfjs-webgpu's uniform fields (WGSL alignment of i32/f32 scalars and vectors, its vec5/vec6
 * structs aligned to 16 bytes, as its makeUniforms lays them out) and the total size.
 */
function uniformLayout(fields: UniformValue[]): { offsets: number[]; size: number } {
  let offset = 0;
  let prev = 0;
  let maxAlign = 1;
  const offsets: number[] = [];
  for (const f of fields) {
    const n = f.data.length || 1;
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (n > 6) throw new Error(`webgpu runner: a uniform of ${n} components is not supported`);
    if (prev === 5 || prev === 6) align = 16;
    maxAlign = Math.max(maxAlign, align);
    offset = Math.ceil(offset / align) * align;
    offsets.push(offset);
    offset += n * 4;
    prev = n;
  }
  return { offsets, size: Math.ceil(offset / maxAlign) * maxAlign };
}

/** A shape as tfjs-webgpu's uniforms hold it (a rank-0 shape as one 1). */
function writeShape(view: Int32Array, at: number, shape: number[]): void {
  if (shape.length === 0) view[at] = 1;
  for (let i = 0; i < shape.length; i++) view[at + i] = shape[i];
}

/** Row-major strides without the last axis (tfjs's computeStrides); none as one 1. */
function writeStrides(view: Int32Array, at: number, shape: number[]): void {
  if (shape.length < 2) { view[at] = 1; return; }
  let s = 1;
  for (let i = shape.length - 1; i > 0; i--) { s *= shape[i]; view[at + i - 1] = s; }
}

function strides(shape: number[]): number[] {
  const out = new Array<number>(Math.max(shape.length - 1, 0));
  let s = 1;
  for (let i = shape.length - 1; i > 0; i--) { s *= shape[i]; out[i - 1] = s; }
  return out;
}

/**
 * Installs the runner on a tfjs-webgpu WebGPUBackend instance (Node's subclass or the browser's stock one);
 * returns its counters. Idempotent.
 */
export function installRunner(target: object, submitBatch?: number): RunnerStats {
  const backend = target as Backend;
  if (backend.cgRunner) return backend.cgRunner;
  const batch = submitBatch ?? envBatch();
  const device = backend.device;
  const stats: RunnerStats = { dispatches: 0, bindGroupsCreated: 0, keyHits: 0, submits: 0, batch };
  backend.cgRunner = stats;

  const align = Math.max(device.limits.minUniformBufferOffsetAlignment ?? 256, 16);
  const ring = device.createBuffer({ size: RING_BYTES, usage: GPU_BUFFER_USAGE.UNIFORM | GPU_BUFFER_USAGE.COPY_DST });
  const staging = new ArrayBuffer(RING_BYTES);
  const f32 = new Float32Array(staging);
  const i32 = new Int32Array(staging);
  const u32 = new Uint32Array(staging);
  let used = 0;

  // Layouts by (inputs, extra outputs); each pipeline remembers its own.
  const layouts = new Map<string, { group: BindGroupLayout; pipeline: object; no: number }>();
  const layoutOf = new WeakMap<object, { group: BindGroupLayout; no: number }>();
  const layoutFor = (inputs: number, extra: number) => {
    const key = `${inputs}:${extra}`;
    let l = layouts.get(key);
    if (!l) {
      const entries: unknown[] = [{ binding: 0, visibility: GPU_SHADER_STAGE_COMPUTE, buffer: { type: 'storage' } }];
      for (let i = 0; i < inputs; i++) {
        entries.push({ binding: 1 + i, visibility: GPU_SHADER_STAGE_COMPUTE, buffer: { type: 'read-only-storage' } });
      }
      entries.push({ binding: 1 + inputs, visibility: GPU_SHADER_STAGE_COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
      for (let i = 0; i < extra; i++) {
        entries.push({ binding: extraOutputBinding(inputs, i), visibility: GPU_SHADER_STAGE_COMPUTE, buffer: { type: 'storage' } });
      }
      const group = device.createBindGroupLayout({ entries });
      l = { group, pipeline: device.createPipelineLayout({ bindGroupLayouts: [group] }), no: layouts.size + 1 };
      layouts.set(key, l);
    }
    return l;
  };

  // Pipelines are compiled by tfjs-webgpu's compileProgram with the device it is handed: during our
  // runWebGPUProgram that is a view of the device whose pipeline creation uses the explicit layout.
  let compiling: AnyProgram | null = null;
  const withLayout = <D extends { layout: unknown }>(d: D): D => {
    if (!compiling || compiling.pixelsOpType != null) return d;
    const l = layoutFor(compiling.variableNames.length, compiling.extraOutputs?.length ?? 0);
    return { ...d, layout: l.pipeline };
  };
  const remember = (p: Pipeline, program: AnyProgram | null) => {
    if (program && program.pixelsOpType == null) {
      const l = layoutFor(program.variableNames.length, program.extraOutputs?.length ?? 0);
      layoutOf.set(p, { group: l.group, no: l.no });
    }
    return p;
  };
  const compileDevice = new Proxy(device, {
    get(t, prop) {
      if (prop === 'createComputePipeline') {
        return (d: { layout: unknown }) => remember(t.createComputePipeline(withLayout(d)), compiling);
      }
      if (prop === 'createComputePipelineAsync') {
        return (d: { layout: unknown }) => {
          const program = compiling;
          return t.createComputePipelineAsync(withLayout(d)).then((p) => remember(p, program));
        };
      }
      const v = Reflect.get(t, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });

  const stockRun = backend.runWebGPUProgram.bind(backend);
  const compileRun: typeof stockRun = (program, inputs, dtype, uniforms, output) => {
    abortCapture(backend, `tfjs-webgpu's own path (${program.shaderKey})`);
    compiling = program as AnyProgram;
    backend.device = compileDevice;
    try {
      return stockRun(program, inputs, dtype, uniforms, output);
    } finally {
      backend.device = device;
      compiling = null;
    }
  };

  // Pipeline keys by signature, per program key (the base shaderKey a program is made with).
  const signatures = new Map<string, Signature[]>();
  const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
  const dtypes: string[] = [];
  const found: GPUBufferLike[] = [];
  let foundFor: AnyProgram | null = null;
  backend.runWebGPUProgram = (program, inputs, dtype, uniforms, given) => {
    const p = program as AnyProgram;
    if (p.pixelsOpType != null) {
      abortCapture(backend, 'a pixels program');
      return stockRun(program, inputs, dtype, uniforms, given);
    }
    const base = p.shaderKey;
    const output = given ?? backend.makeTensorInfo(p.outputShape, dtype);
    // A 1-D dispatch over the device's per-dimension limit (a 64-wide elementwise kernel over 256×256×64 floats:
    // 65536 workgroups) is reshaped here as tfjs-webgpu's runWebGPUProgram would (its reshapeDispatch: the square
    // root, else the cube root; the shader then finds its index from the workgroup ids), so that it keeps the fast
    // path at every call and can be captured: left to tfjs-webgpu, it went through compileRun each time, which
    // aborted every 256 px training step's capture (the last layer's CGMirrorPadGrad).
    if (p.dispatch[0] > maxPerDim && p.dispatchLayout.y === undefined && p.dispatchLayout.z === undefined) {
      p.dispatch = oversizeDispatch(p.dispatch[0], maxPerDim);
    }
    // Empty outputs, other dispatches over the limit and parallel compilation: tfjs-webgpu's own path.
    const d = p.dispatch;
    if (tf.util.sizeFromShape(output.shape) === 0 || d[0] > maxPerDim || d[1] > maxPerDim || d[2] > maxPerDim ||
        (tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY') as boolean)) {
      return compileRun(program, inputs, dtype, uniforms, output);
    }
    // One tensorMap look-up per tensor: its buffer (uploaded if it has none yet) and dtype, the buffers handed
    // on to recordAndSubmit (found) so that it does not look them up again.
    const od = backend.tensorMap.get(output.dataId)!;
    if (od.resource == null) backend.uploadToGPU(output.dataId);
    found.length = inputs.length + 1;
    found[0] = od.resource as GPUBufferLike;
    // (checked here, once, rather than again in recordAndSubmit: any non-buffer sends it to bufferOf's error)
    let allBuffers = isBuffer(od.resource);
    dtypes.length = inputs.length;
    for (let i = 0; i < inputs.length; i++) {
      const d = backend.tensorMap.get(inputs[i].dataId)!;
      if (d.resource == null) backend.uploadToGPU(inputs[i].dataId);
      dtypes[i] = d.dtype;
      found[i + 1] = d.resource as GPUBufferLike;
      if (!isBuffer(d.resource)) allBuffers = false;
    }
    const known = signatures.get(base);
    let hit: Signature | undefined;
    if (known) {
      for (let i = 0; i < known.length && !hit; i++) if (sameSignature(known[i], p, inputs, dtypes, output)) hit = known[i];
    }
    const pipeline = hit ? backend.pipelineCache[hit.key] : undefined;
    if (hit && pipeline && !(pipeline instanceof Promise)) {
      p.shaderKey = hit.key;
      p.pipeline = pipeline as Pipeline;
      stats.keyHits++;
      foundFor = allBuffers ? p : null;
      try {
        backend.recordAndSubmit(p, output, inputs, uniforms);
      } finally {
        foundFor = null;
      }
      return output;
    }
    const out = compileRun(program, inputs, dtype, uniforms, output);
    // p.shaderKey is now tfjs-webgpu's full key for this signature; tables stay small (one entry per shape
    // combination a kernel meets), bounded all the same.
    const list = known ?? [];
    if (!known) signatures.set(base, list);
    if (list.length < MAX_SIGNATURES) list.push(signatureOf(p, inputs, dtypes, output, p.shaderKey));
    return out;
  };

  const bufferIds = new WeakMap<object, number>();
  let nextBufferId = 1;
  const idOf = (b: object) => {
    let id = bufferIds.get(b);
    if (id === undefined) { id = nextBufferId++; bufferIds.set(b, id); }
    return id;
  };
  // Bind groups by a 30-bit hash of (layout, uniform slot, buffers), each entry compared in full (entries of
  // the same hash chained): no key string is built per dispatch. Two generations: when the current one is full
  // it becomes the old one, whose entries move back on use.
  let bindGroups = new Map<number, CachedGroup>();
  let oldBindGroups = new Map<number, CachedGroup>();
  const findGroup = (map: Map<number, CachedGroup>, h: number, layout: BindGroupLayout, slot: number,
                     buffers: readonly GPUBufferLike[]): CachedGroup | null => {
    for (let c = map.get(h) ?? null; c; c = c.next) {
      if (c.layout !== layout || c.slot !== slot || c.buffers.length !== buffers.length) continue;
      let i = 0;
      while (i < buffers.length && c.buffers[i] === buffers[i]) i++;
      if (i === buffers.length) return c;
    }
    return null;
  };
  const addGroup = (h: number, c: Omit<CachedGroup, 'next'>): CachedGroup => {
    if (bindGroups.size >= BIND_GROUP_CACHE_LIMIT) {
      oldBindGroups = bindGroups;
      bindGroups = new Map();
    }
    const entry = { ...c, next: bindGroups.get(h) ?? null };
    bindGroups.set(h, entry);
    return entry;
  };
  const bufferOf = (t: TensorInfo): GPUBufferLike => {
    const r = backend.tensorMap.get(t.dataId)?.resource;
    if (!isBuffer(r)) throw new Error('webgpu runner: a program input is not a GPU buffer');
    return r;
  };

  const plans = new WeakMap<object, { offsets: number[]; slot: number; count: number }>();
  let lastPass: PassEncoder | null = null;
  let lastPipeline: Pipeline | null = null;
  const stockRecord = backend.recordAndSubmit.bind(backend);
  backend.recordAndSubmit = (program, output, inputs, programUniforms) => {
    const p = program as AnyProgram;
    const pipeline = p.pipeline;
    const layout = pipeline ? layoutOf.get(pipeline) : undefined;
    if (p.pixelsOpType != null || !pipeline || !layout) {
      abortCapture(backend, `tfjs-webgpu's own dispatch (${p.shaderKey})`);
      stockRecord(program, output, inputs, programUniforms);
      return;
    }
    // The uniforms tfjs-webgpu's shader header declares: NAN, INFINITY, each input's and the output's shape
    // and strides, the size (flat programs), then the program's own. Their layout is fixed per pipeline
    // (ranks and uniform types are part of its key): it is worked out once and the values written in place.
    const nFields = 4 + 2 * inputs.length + (p.size ? 1 : 0) + (programUniforms?.length ?? 0);
    let plan = plans.get(pipeline);
    if (!plan || plan.count !== nFields) {
      const fields: UniformValue[] = [{ type: 'float32', data: [NaN] }, { type: 'float32', data: [Infinity] }];
      for (const t of [...inputs, output]) {
        fields.push({ type: 'int32', data: t.shape }, { type: 'int32', data: strides(t.shape) });
      }
      if (p.size) fields.push({ type: 'int32', data: [0] });
      if (programUniforms) fields.push(...programUniforms);
      const { offsets, size } = uniformLayout(fields);
      plan = { offsets: offsets.map((o) => o >> 2), slot: Math.ceil(size / align) * align, count: nFields };
      plans.set(pipeline, plan);
    }
    const slot = plan.slot;
    if (used + slot > RING_BYTES) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    const base = used;
    used += slot;
    const at = plan.offsets;
    const b4 = base >> 2;
    f32[b4 + at[0]] = NaN;
    f32[b4 + at[1]] = Infinity;
    let k = 2;
    for (let i = 0; i <= inputs.length; i++) {
      const shape = i < inputs.length ? inputs[i].shape : output.shape;
      writeShape(i32, b4 + at[k++], shape);
      writeStrides(i32, b4 + at[k++], shape);
    }
    if (p.size) {
      const size = p.outputShape.reduce((a, b) => a * b, 1);
      i32[b4 + at[k++]] = p.outputComponent ? size / p.outputComponent : size;
    }
    if (programUniforms) {
      for (const f of programUniforms) {
        const view = f.type === 'float32' ? f32 : f.type === 'uint32' ? u32 : i32;
        const n = f.data.length;
        if (n === 1) view[b4 + at[k++]] = f.data[0];
        else if (n === 0) view[b4 + at[k++]] = 1;
        else view.set(f.data, b4 + at[k++]);
      }
    }

    const extra = p.extraOutputs ?? [];
    for (const t of extra) backend.uploadToGPU(t.dataId);
    let buffers: GPUBufferLike[];
    if (foundFor === p && found.length === inputs.length + 1) {
      buffers = extra.length ? [...found, ...extra.map(bufferOf)] : found;
    } else {
      buffers = [bufferOf(output), ...inputs.map(bufferOf), ...extra.map(bufferOf)];
    }
    let h = Math.imul(layout.no, 0x9e3779b1) ^ slot;
    for (let i = 0; i < buffers.length; i++) h = Math.imul(h ^ idOf(buffers[i]), 0x01000193);
    h &= 0x3fffffff;
    let cached = findGroup(bindGroups, h, layout.group, slot, buffers);
    if (!cached) {
      const old = findGroup(oldBindGroups, h, layout.group, slot, buffers);
      if (old) cached = addGroup(h, old);
    }
    if (!cached) {
      const created = device.createBindGroup({ layout: layout.group, entries: bindGroupEntries(buffers, inputs.length, ring, slot) });
      // (`buffers` may be the runner's reused `found` array)
      cached = addGroup(h, { layout: layout.group, slot, buffers: [...buffers], group: created });
      stats.bindGroupsCreated++;
    }
    const group = cached.group;
    for (const t of inputs) backend.commandQueueOwnedIds.add(t.dataId);
    backend.commandQueueOwnedIds.add(output.dataId);
    for (const t of extra) backend.commandQueueOwnedIds.add(t.dataId);

    const timed = backend.activeTimers != null;
    const capture = backend.cgCapture;
    if (capture && capture.aborted === null) {
      if (timed) abortCapture(backend, 'timed (profiling)');
      else {
        // (the program's own uniforms are the last fields)
        const header = nFields - (programUniforms?.length ?? 0);
        capture.dispatches.push({ pipeline, layout: layout.group, buffers: [...buffers], inputs: inputs.length,
          uniforms: new Uint8Array(staging.slice(base, base + slot)), workgroups: [p.dispatch[0], p.dispatch[1], p.dispatch[2]],
          key: p.shaderKey, programUniforms: at.slice(header).map((o) => o * 4) });
      }
    }
    backend.ensureCommandEncoderReady();
    if (timed && backend.supportTimestampQuery) {
      backend.endComputePassEncoder();
      backend.querySet ??= (device as unknown as { createQuerySet(d: unknown): object })
        .createQuerySet({ type: 'timestamp', count: backend.querySetCount });
      backend.computePassEncoder = backend.commandEncoder!.beginComputePass({
        timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
      });
    } else if (!backend.computePassEncoder) {
      backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
    }
    const pass = backend.computePassEncoder!;
    if (pass !== lastPass || pipeline !== lastPipeline) {
      pass.setPipeline(pipeline);
      lastPass = pass;
      lastPipeline = pipeline;
    }
    pass.setBindGroup(0, group, [base]);
    pass.dispatchWorkgroups(p.dispatch[0], p.dispatch[1], p.dispatch[2]);
    noteDispatches(backend, 1, timed);
    if (timed) {
      backend.endComputePassEncoder();
      backend.activeTimers!.push({ name: (program as { constructor: { name: string } }).constructor.name, query: backend.getQueryTime() });
    }
  };

  // The batch's uniforms reach the ring right before its commands are submitted.
  // The buffer pool hands out the free buffer of the lowest id (stock: the last one freed). The pool's state
  // at the start of a training step then depends only on which buffers the kept tensors hold, so step after
  // step the same buffers meet in the same dispatches and their bind groups are found in the cache.
  const pool = backend.bufferManager;
  const stockRelease = pool.releaseBuffer.bind(pool);
  pool.releaseBuffer = (buffer, reuse = true) => {
    stockRelease(buffer, reuse);
    if (!reuse) return;
    const free = pool.freeBuffers.get(`${buffer.size}_${buffer.usage}`);
    if (!free || free[free.length - 1] !== buffer || free.length < 2) return;
    // Kept in decreasing id order, so that pop() (the stock acquire) takes the lowest id.
    const id = idOf(buffer);
    let lo = 0, hi = free.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (idOf(free[mid]) > id) lo = mid + 1; else hi = mid;
    }
    if (lo < free.length - 1) {
      free.pop();
      free.splice(lo, 0, buffer);
    }
  };

  // Uploads of CPU values (scalars of an op, input images): stock tfjs-webgpu creates a mapped staging buffer
  // per upload, copies it in the command encoder and destroys it at the submit (a buffer creation each time).
  // A pooled buffer written with queue.writeBuffer does the same without one: the write runs before the
  // commands not yet submitted, and a buffer in the pool is used by none of those (a tensor disposed while
  // such commands use it returns to the pool only when they are submitted).
  const stockUpload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const d = backend.tensorMap.get(dataId);
    if (!d || d.resource != null) return;
    const values = d.values as ArrayLike<number> | null | undefined;
    // CPU values in a captured forward would be baked into its replays (they may come from the input).
    if (values != null) abortCapture(backend, 'an upload of CPU values');
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (values == null || n === 0 || !(d.dtype === 'float32' || d.dtype === 'int32' || d.dtype === 'bool')) {
      stockUpload(dataId);
      return;
    }
    const data = d.dtype === 'float32'
      ? (values instanceof Float32Array ? values : Float32Array.from(values))
      : (values instanceof Int32Array ? values : Int32Array.from(values));
    const buffer = pool.acquireBuffer(n * 4, GPU_BUFFER_USAGE.STORAGE | GPU_BUFFER_USAGE.COPY_SRC | GPU_BUFFER_USAGE.COPY_DST);
    device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, n * 4);
    d.values = null;
    d.resource = buffer;
  };

  // A companion (attachCompanion) goes when its owner's data does.
  const byOwner = new WeakMap<object, Companion>();
  companions.set(backend, byOwner);
  const stockDispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force) => {
    const done = stockDispose(dataId, force);
    const c = byOwner.get(dataId);
    // (tensorMap.get of a missing id would ask the engine to move the data in from another backend)
    if (c && (!backend.tensorMap.has(dataId) || backend.tensorMap.get(dataId)!.refCount <= 0)) {
      byOwner.delete(dataId);
      stockDispose(c.info.dataId, true);
    }
    return done;
  };

  // Copies and reads encode work outside the fast path: they abort a capture (see Capture).
  const anyBackend = backend as unknown as Record<string, unknown>;
  for (const name of ['copyBuffer', 'readToGPU', 'getBufferData', 'readSync', 'read', 'createTensorFromGPUData']) {
    const f = anyBackend[name];
    if (typeof f !== 'function') continue;
    anyBackend[name] = (...a: unknown[]) => {
      abortCapture(backend, name);
      return (f as (...x: unknown[]) => unknown).apply(backend, a);
    };
  }

  const stockSubmit = backend.submitQueue.bind(backend);
  backend.submitQueue = () => {
    if (used > 0) {
      device.queue.writeBuffer(ring, 0, staging, 0, used);
      used = 0;
    }
    stats.submits++;
    stockSubmit();
  };
  return stats;
}

/** A cached bind group: what it binds (layout, uniform slot, buffers in bindGroupEntries order), chained by hash. */
type CachedGroup = { layout: BindGroupLayout; slot: number; buffers: GPUBufferLike[]; group: object; next: CachedGroup | null };

/** Signatures kept per program key (see runWebGPUProgram); beyond it, tfjs-webgpu's key every call. */
const MAX_SIGNATURES = 64;

/**
 * What tfjs-webgpu's makeShaderKey reads besides the program key: the workgroup size, the variable names,
 * whether the dispatch is flat, and the inputs' and output's shapes (their ranks, broadcast dims and
 * equality with the output follow from them) and buffer dtypes.
 */
type Signature = {
  workgroupSize: number[]; variableNames: string[]; flat: boolean;
  shapes: number[][]; dtypes: string[]; outShape: number[]; outDtype: string; key: string;
};

function signatureOf(p: AnyProgram, inputs: TensorInfo[], dtypes: string[], output: TensorInfo, key: string): Signature {
  return {
    workgroupSize: [...p.workgroupSize], variableNames: [...p.variableNames], flat: p.dispatch[1] === 1 && p.dispatch[2] === 1,
    shapes: inputs.map((t) => [...t.shape]), dtypes: [...dtypes], outShape: [...output.shape], outDtype: output.dtype, key,
  };
}

const sameNumbers = (a: readonly number[], b: readonly number[]) => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

function sameSignature(s: Signature, p: AnyProgram, inputs: TensorInfo[], dtypes: string[], output: TensorInfo): boolean {
  if (s.shapes.length !== inputs.length || s.outDtype !== output.dtype || !sameNumbers(s.outShape, output.shape)) return false;
  if (s.flat !== (p.dispatch[1] === 1 && p.dispatch[2] === 1) || !sameNumbers(s.workgroupSize, p.workgroupSize)) return false;
  for (let i = 0; i < inputs.length; i++) {
    if (s.dtypes[i] !== dtypes[i] || !sameNumbers(s.shapes[i], inputs[i].shape)) return false;
  }
  const names = p.variableNames;
  if (names.length !== s.variableNames.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== s.variableNames[i]) return false;
  return true;
}

function envBatch(): number {
  const v = Number(envVar('CYCLEGAN_WEBGPU_BATCH'));
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_SUBMIT_BATCH;
}
