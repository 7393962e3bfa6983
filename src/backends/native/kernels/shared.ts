// What the native kernels (one per file in this folder) share: reading tfjs-cpu's storage, allocating outputs
// from the addon's block cache, wrapping results, and the geometry helpers. Tensor storage is tfjs-cpu's (a
// Float32Array per dataId), so each kernel hands the input arrays to the addon as they are and wraps a fresh
// output array; anything a native kernel does not cover (other dtypes, NCHW, PReLU, odd reductions) goes to
// the tfjs-cpu kernel it replaced.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../../core/tf.js';
import type { NativeAddon } from '../addon.js';

export type TensorInfo = tf.TensorInfo;
export type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: tf.NamedAttrMap };
export type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/**
 * One native kernel: `make` builds its function from the addon and `fallback`, the tfjs-cpu kernel of the same
 * name (for the inputs the addon does not take). The shape of src/backends/webgpu/program.ts's KernelDef.
 */
export interface NativeKernelDef {
  kernelName: string;
  make: (addon: NativeAddon, fallback: Kernel) => Kernel;
}

export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : null;
}

/** A custom kernel's input, which has no tfjs-cpu kernel to fall back to. */
export function need(v: Float32Array | null, what: string): Float32Array {
  if (!v) throw new Error(`${what} must be a float32 tensor`);
  return v;
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** ArrayBuffers allocated by native kernels: the backend frees these eagerly (see ../index.ts). */
export const nativeBuffers = new WeakSet<ArrayBufferLike>();

let allocFromAddon: ((n: number) => Float32Array) | null = null;

/** Outputs come from this addon's block cache from now on (set once, when the kernels are registered). */
export function useAllocator(addon: NativeAddon): void {
  allocFromAddon = (n) => addon.alloc(n);
}

/** An output array that is not zeroed first (every native kernel writes all of its output). */
export function alloc(n: number): Float32Array {
  if (n === 0 || !allocFromAddon) return new Float32Array(n);
  const a = allocFromAddon(n);
  nativeBuffers.add(a.buffer);
  return a;
}

export function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** Row-major element strides. */
export function strides(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/** The addon's conv geometry (ConvParams in ../addon.ts). */
export function convParams(info: tf.backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight,
    info.filterWidth, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight,
    info.dilationWidth, p.top, p.bottom, p.left, p.right];
}

export function isNHWC(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Left-pads a rank ≤ 4 shape and its paddings to 4-D. */
export function to4d(shape: number[], paddings: Array<[number, number]>): { shape4: number[]; pads8: number[] } {
  const lead = 4 - shape.length;
  const shape4 = [...Array(lead).fill(1), ...shape];
  const pads8: number[] = Array(lead * 2).fill(0);
  for (const [b, e] of paddings) pads8.push(b, e);
  return { shape4, pads8 };
}
