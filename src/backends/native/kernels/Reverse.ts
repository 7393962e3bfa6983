// Reverse as one strided copy with negative strides on the reversed axes.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Reverse, type ReverseAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { alloc, f32, out, strides, type NativeKernelDef, type TensorInfo } from './shared.js';

export const reverseKernel: NativeKernelDef = {
  kernelName: Reverse,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xv = f32(backend, x);
    if (!xv) return fallback(args);
    const axes = new Set(tf.util.parseAxisParam((args.attrs as unknown as ReverseAttrs).dims, x.shape));
    const st = strides(x.shape);
    let off = 0;
    const sst = st.map((s, i) => {
      if (!axes.has(i)) return s;
      off += (x.shape[i] - 1) * s;
      return -s;
    });
    const o = alloc(xv.length);
    addon.stridedCopy(xv, off, sst, o, 0, st, x.shape);
    return out(backend, x.shape, o);
  },
};
