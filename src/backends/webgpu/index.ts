// The 'webgpu' TF.js backend for Node: tfjs-backend-webgpu's storage and light kernels on Dawn (the npm
// `webgpu` package provides navigator.gpu's objects), with the heavy kernels replaced by our own WGSL
// (kernels/register_all.ts). Registration is explicit, so merely importing this module never picks a GPU.
import { tf } from '../../core/tf.js';
import type { GPUBackendLike } from './program.js';
import { registerWebGPUKernels, webgpuKernels } from './kernels/register_all.js';
import { installRunner } from './runner.js';
import { registerReplay } from './replay.js';

export const WEBGPU_BACKEND = 'webgpu';

/** What `--backend auto` and `bench` report about the adapter. */
export interface AdapterSummary {
  /** e.g. "nvidia: NVIDIA H200 (vulkan)" or "mesa: llvmpipe (LLVM 19.1.7, 256 bits) (vulkan)". */
  description: string;
  /** A software rasterizer (lavapipe, SwiftShader) or an adapter the browser/Dawn flags as fallback. */
  software: boolean;
}

export type WebGPURegistration = { ok: true; adapter: AdapterSummary } | { ok: false; reason: string };

// Minimal structural types for the WebGPU objects we touch (the DOM lib's are not always in scope).
type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string;
  isFallbackAdapter?: boolean; backendType?: string; adapterType?: string };
type Adapter = {
  info?: AdapterInfo; isFallbackAdapter?: boolean; features: Set<string>; limits: Record<string, number>;
  requestDevice(desc?: unknown): Promise<unknown>;
};
type GPULike = { requestAdapter(opts?: unknown): Promise<Adapter | null> };

let registration: Promise<WebGPURegistration> | undefined;

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|softpipe/i;

function summarize(adapter: Adapter): AdapterSummary {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.device || info.description || info.architecture].filter(Boolean).join(': ');
  const backendType = info.backendType ? ` (${info.backendType})` : '';
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || info.adapterType === 'cpu' ||
    SOFTWARE.test(text);
  return { description: (name || 'unnamed adapter') + backendType, software };
}

/**
 * Loads Dawn, finds an adapter and registers the 'webgpu' backend with our kernels; never throws. The
 * result is cached: Dawn is loaded once per process.
 */
export function tryRegisterWebGPUBackend(): Promise<WebGPURegistration> {
  registration ??= register().catch((e: Error) => ({ ok: false as const, reason: e.message.split('\n')[0] }));
  return registration;
}

async function register(): Promise<WebGPURegistration> {
  let dawn: { create(options: string[]): GPULike; globals: Record<string, unknown> };
  try {
    dawn = await import('webgpu' as string);
  } catch (e) {
    return { ok: false, reason: `the npm package 'webgpu' (Dawn) failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  // tfjs-webgpu uses the WebGPU globals (GPUBufferUsage, GPUBuffer for instanceof, …) as a browser has them.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = dawn.create([]);
  const first = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!first) {
    return { ok: false, reason: 'no WebGPU adapter (Dawn found no usable Vulkan device; without a GPU, install lavapipe ≥ 25)' };
  }
  const summary = summarize(first);
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu') as unknown as
    { WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend };

  type TensorData = { values?: unknown; resource?: unknown; refCount: number };
  type Base = tf.KernelBackend & {
    tensorMap: { get(id: tf.DataId): TensorData | undefined; has(id: tf.DataId): boolean };
    tensorDataPendingDisposal: tf.DataId[];
  };

  /**
   * Synchronous reads need OffscreenCanvas in tfjs-webgpu, which Node lacks: they return a CPU copy that an
   * earlier asynchronous read left (tfjs-webgpu keeps one), or fail with the fix. downloadAll() makes
   * such copies of every live tensor, for the code that saves checkpoints with synchronous reads.
   */
  class NodeWebGPUBackend extends (WebGPUBackend as unknown as new (device: unknown, info?: unknown) => Base) {
    private readonly live = new Set<tf.DataId>();
    private writes = 0;
    /** The first validation/out-of-memory error the device reported (WebGPU reports them asynchronously). */
    deviceError: string | undefined;

    /** Reads fail once the device has reported an error, instead of returning what a failed dispatch left. */
    override async read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
      const values = await super.read(dataId);
      if (this.deviceError) throw new Error(`webgpu device error: ${this.deviceError}`);
      return values;
    }

    override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
      const values = this.tensorMap.get(dataId)?.values;
      if (values != null) return values as tf.backend_util.BackendValues;
      throw new Error('webgpu backend: synchronous reads (dataSync/arraySync) do not work in Node; use await data()');
    }

    override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
      const id = super.write(values, shape, dtype);
      this.live.add(id);
      if (++this.writes % 4096 === 0) this.prune();
      return id;
    }

    override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType,
                  refCount: number): void {
      super.move(dataId, values, shape, dtype, refCount);
      this.live.add(dataId);
    }

    override disposeData(dataId: tf.DataId, force?: boolean): boolean {
      const done = super.disposeData(dataId, force);
      if (!this.tensorMap.has(dataId)) this.live.delete(dataId);
      return done;
    }

    /** Forgets tensors tfjs-webgpu freed after its queue was submitted (it defers some disposals). */
    private prune(): void {
      for (const id of this.live) if (!this.tensorMap.has(id)) this.live.delete(id);
    }

    /**
     * Reads the given tensors' data (every live tensor's without `only`) where it has no CPU copy yet, so
     * that dataSync() works on them.
     */
    async downloadAll(only?: readonly tf.DataId[]): Promise<void> {
      this.prune();
      const pending = new Set(this.tensorDataPendingDisposal);
      const ids = (only ?? [...this.live]).filter((id) => {
        const d = this.tensorMap.has(id) ? this.tensorMap.get(id) : undefined;
        return d && d.values == null && d.resource != null && d.refCount > 0 && !pending.has(id);
      });
      await Promise.all(ids.map((id) => this.read(id)));
    }
  }

  // WebGPUBackend checks navigator.gpu when constructed. Set after the import above, so that tfjs-webgpu's own
  // self-registration (at priority 3, which would make it the default backend) does not happen.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: unknown };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  if (tf.findBackendFactory(WEBGPU_BACKEND)) tf.removeBackend(WEBGPU_BACKEND);
  tf.registerBackend(WEBGPU_BACKEND, async () => {
    // An adapter makes one device: ask again so that a re-created backend gets a fresh one.
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? first;
    const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    try {
      const backend = new NodeWebGPUBackend(device, adapter.info);
      installRunner(backend);
      const onError = (ev: { error?: { message?: string } }) => {
        const first = backend.deviceError === undefined;
        backend.deviceError ??= (ev.error?.message ?? 'unknown error').split('\n')[0];
        if (first) console.error(`cyclegan: webgpu device error: ${ev.error?.message ?? 'unknown error'}`);
      };
      const target = device as { addEventListener?: (type: string, fn: (ev: never) => void) => void; onuncapturederror?: unknown };
      if (typeof target.addEventListener === 'function') target.addEventListener('uncapturederror', onError);
      else target.onuncapturederror = onError;
      return backend;
    } catch (e) {
      console.error(`webgpu backend failed to start: ${(e as Error).message}`);
      throw e;
    }
  }, 0 /* below cpu: never an implicit pick */);

  registerWebGPUKernels(WEBGPU_BACKEND);
  registerReplay(WEBGPU_BACKEND);
  return { ok: true, adapter: summary };
}

/**
 * Makes the given tensors (every live tensor without a list) of the active webgpu backend readable with
 * dataSync() (see downloadAll); a no-op on the other backends. Call it before code that reads tensors
 * synchronously, e.g. a checkpoint's networks.
 */
export async function prepareSyncReads(tensors?: readonly tf.Tensor[]): Promise<void> {
  if (tf.getBackend() !== WEBGPU_BACKEND) return;
  const backend = tf.backend() as unknown as { downloadAll?: (only?: readonly tf.DataId[]) => Promise<void> };
  await backend.downloadAll?.(tensors?.map((t) => t.dataId));
}

/** Names of our kernels on the webgpu backend. */
export function webgpuKernelList(): string[] {
  return webgpuKernels.map((k) => k.kernelName).sort();
}

/** Bytes held by tensors on the GPU (tfjs-webgpu's buffer manager: live tensor buffers, pooled ones excluded). */
export function gpuBytesInUse(): number {
  const m = tf.memory() as { numBytesInGPU?: number };
  return m.numBytesInGPU ?? 0;
}

export type { GPUBackendLike };
