// Transpose as one strided copy (the source strides permuted).
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Transpose, type TransposeAttrs } from '@tensorflow/tfjs-core';
import { alloc, f32, out, strides, type NativeKernelDef, type TensorInfo } from './shared.js';

export const transposeKernel: NativeKernelDef = {
  kernelName: Transpose,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xv = f32(backend, x);
    if (!xv) return fallback(args);
    const { perm } = args.attrs as unknown as TransposeAttrs;
    const st = strides(x.shape);
    const shape = perm.map((p) => x.shape[p]);
    const o = alloc(xv.length);
    addon.stridedCopy(xv, 0, perm.map((p) => st[p]), o, 0, strides(shape), shape);
    return out(backend, shape, o);
  },
};
