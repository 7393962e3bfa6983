// Greater (same shapes, or against a scalar): half of LeakyRelu's gradient, where(x > 0, dy, alpha·dy), which
// tfjs-cpu runs as a JS loop.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Greater } from '@tensorflow/tfjs-core';
import { f32, type NativeKernelDef, type TensorInfo } from './shared.js';

export const greaterKernel: NativeKernelDef = {
  kernelName: Greater,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const av = f32(backend, a), bv = f32(backend, b);
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (!av || !bv || !(sameShape || bv.length === 1)) return fallback(args);
    const o = new Uint8Array(av.length);
    addon.greater(av, bv, o);
    return backend.makeTensorInfo(a.shape, 'bool', o);
  },
};
