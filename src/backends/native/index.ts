// The 'native' TF.js backend: tfjs-cpu's tensor storage and kernels, with the heavy ones (convolutions,
// instance norm, mirror padding, elementwise ops and reductions, Adam) replaced by the oneDNN/OpenMP addon.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../core/tf.js';
import { CycleGANError } from '../../core/errors.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { nativeKernels } from './kernels/register_all.js';
import { nativeBuffers } from './kernels/shared.js';

export const NATIVE_BACKEND = 'native';
/** Above cpu (1) and wasm (2): the engine's default pick once registered. */
const PRIORITY = 3;

type Values = { buffer?: ArrayBufferLike; slice?: () => unknown } | undefined;

/**
 * tfjs-cpu storage, plus deterministic freeing: a buffer made by a native kernel is released (detached,
 * so its memory returns to malloc at once) when the last tensor viewing it is disposed, instead of
 * lingering until V8's next GC. That keeps peak RSS near the live tensors and lets freed memory be
 * reused warm. Such buffers never leave the backend: reads hand out copies.
 */
class NativeBackend extends MathBackendCPU {
  private readonly views = new Map<ArrayBufferLike, number>();

  private track(values: unknown): void {
    const buf = (values as Values)?.buffer;
    if (buf && nativeBuffers.has(buf)) this.views.set(buf, (this.views.get(buf) ?? 0) + 1);
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.track(values);
    return id;
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType,
                refCount: number): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.track(values);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    const buf = (v as Values)?.buffer;
    return buf && nativeBuffers.has(buf) ? (v as Float32Array).slice() : v;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    const buf = (values as Values)?.buffer;
    if (buf && !this.data.has(dataId) && this.views.has(buf)) {
      const n = this.views.get(buf)! - 1;
      if (n > 0) this.views.set(buf, n);
      else {
        this.views.delete(buf);
        releaseBuffer?.(buf);
      }
    }
    return done;
  }
}

let releaseBuffer: ((buf: ArrayBufferLike) => void) | undefined;

let registered: { ok: true } | { ok: false; reason: string } | undefined;
let nativeKernelNames: string[] = [];

/** Loads the addon and registers the 'native' backend; never throws. */
export function tryRegisterNativeBackend(): { ok: true } | { ok: false; reason: string } {
  if (registered) return registered;
  const loaded = loadAddon();
  if ('error' in loaded) {
    registered = { ok: false, reason: loaded.error };
    return registered;
  }
  try {
    registerWith(loaded.addon);
    registered = { ok: true };
  } catch (e) {
    registered = { ok: false, reason: `native backend registration failed: ${(e as Error).message}` };
  }
  return registered;
}

function registerWith(addon: NativeAddon): void {
  const cpuKernels = new Map(tf.getKernelsForBackend('cpu').map((c) => [c.kernelName, c]));
  if (cpuKernels.size === 0) throw new Error('tfjs-cpu kernels are not registered');
  const fallback = (name: string) => {
    const c = cpuKernels.get(name);
    if (!c) throw new Error(`no tfjs-cpu kernel ${name} to fall back to`);
    return c.kernelFunc as unknown as (args: unknown) => tf.TensorInfo | tf.TensorInfo[];
  };
  const natives = nativeKernels(addon, fallback);
  if (process.env.CYCLEGAN_NATIVE_EAGER_FREE !== '0') releaseBuffer = (buf) => { addon.release(buf as ArrayBuffer); };
  if (!tf.findBackendFactory(NATIVE_BACKEND)) {
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), PRIORITY);
  }
  for (const c of cpuKernels.values()) {
    if (natives.has(c.kernelName)) continue;
    if (!tf.getKernel(c.kernelName, NATIVE_BACKEND)) tf.registerKernel({ ...c, backendName: NATIVE_BACKEND });
  }
  for (const [name, fn] of natives) {
    if (tf.getKernel(name, NATIVE_BACKEND)) continue;
    tf.registerKernel({ kernelName: name, backendName: NATIVE_BACKEND, kernelFunc: fn as unknown as tf.KernelFunc });
  }
  nativeKernelNames = [...natives.keys()].sort();
  // The MirrorPad gradient (src/core/gradients/MirrorPad_grad.ts) uses CGMirrorPadGrad by itself when it is registered.
}

/** Names of the kernels the addon implements (empty until registered). */
export function nativeKernelList(): string[] {
  return nativeKernelNames.slice();
}

/**
 * `train --deterministic`: each conv's variant (NHWC or oneDNN's blocked layout) by a fixed rule instead of by
 * timing both on first use, so that one seed trains the same weights (native/conv.cc). Convs already built
 * under the other mode are built again. No-op when the addon is not available.
 */
export function setNativeDeterministic(on: boolean): void {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return;
  // An addon built before setDeterministic existed times its convs, which is what `off` asks for.
  if (typeof loaded.addon.setDeterministic !== 'function') {
    if (on) throw new CycleGANError('--deterministic: the native addon predates it; rebuild it with `npm run build:native`');
    return;
  }
  loaded.addon.setDeterministic(on);
}

/** Addon version/thread info, or null when it is not available. */
export function nativeInfo(): ReturnType<NativeAddon['info']> | null {
  const loaded = loadAddon();
  return 'addon' in loaded ? loaded.addon.info() : null;
}
