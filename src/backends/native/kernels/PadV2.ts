// PadV2 (constant padding): a fill, then the input as one strided copy into the interior.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { PadV2, type PadV2Attrs } from '@tensorflow/tfjs-core';
import { alloc, f32, out, size, strides, type NativeKernelDef, type TensorInfo } from './shared.js';

export const padV2Kernel: NativeKernelDef = {
  kernelName: PadV2,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
    const xv = f32(backend, x);
    if (!xv) return fallback(args);
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const ost = strides(shape);
    const o = alloc(size(shape));
    addon.fill(o, constantValue);
    addon.stridedCopy(xv, 0, strides(x.shape), o, paddings.reduce((acc, [b], i) => acc + b * ost[i], 0), ost, x.shape);
    return out(backend, shape, o);
  },
};
