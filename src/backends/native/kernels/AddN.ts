// AddN: gradient accumulation sums many same-shape tensors, so add in place into one fresh array.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { AddN } from '@tensorflow/tfjs-core';
import { BIN } from '../addon.js';
import { alloc, f32, out, type NativeKernelDef, type TensorInfo } from './shared.js';

export const addNKernel: NativeKernelDef = {
  kernelName: AddN,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const ts = Object.values(args.inputs) as TensorInfo[];
    const vs = ts.map((t) => f32(backend, t));
    if (ts.length < 2 || vs.some((v) => !v || v.length !== vs[0]!.length)) return fallback(args);
    const o = alloc(vs[0]!.length);
    const shape = ts[0].shape;
    addon.binary(BIN.Add, vs[0]!, shape, vs[1]!, shape, o);
    for (let i = 2; i < vs.length; i++) addon.binary(BIN.Add, o, shape, vs[i]!, shape, o);
    return out(backend, shape, o);
  },
};
