// MirrorPad (reflect or symmetric, rank ≤ 4): every ResNet generator's reflection padding.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { MirrorPad, type MirrorPadAttrs } from '@tensorflow/tfjs-core';
import { alloc, f32, out, size, to4d, type NativeKernelDef, type TensorInfo } from './shared.js';

export const mirrorPadKernel: NativeKernelDef = {
  kernelName: MirrorPad,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { paddings, mode } = (args.attrs ?? {}) as unknown as MirrorPadAttrs;
    const xv = f32(backend, x);
    if (!xv || x.shape.length > 4 || (mode !== 'reflect' && mode !== 'symmetric')) return fallback(args);
    const { shape4, pads8 } = to4d(x.shape, paddings);
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const y = alloc(size(shape));
    addon.mirrorPad(xv, shape4, pads8, mode === 'symmetric', y);
    return out(backend, shape, y);
  },
};
