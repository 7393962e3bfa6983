// Slice of a non-contiguous box as one strided copy (tfjs-cpu does it element by element through index
// arithmetic in JS). A contiguous slice stays tfjs-cpu's zero-copy view.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Slice, type SliceAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { alloc, f32, out, size, strides, type NativeKernelDef, type TensorInfo } from './shared.js';

export const sliceKernel: NativeKernelDef = {
  kernelName: Slice,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as unknown as SliceAttrs;
    const xv = f32(backend, x);
    const [begin, sz] = tf.slice_util.parseSliceParams(x, a.begin, a.size);
    if (!xv || tf.slice_util.isSliceContinous(x.shape, begin, sz)) return fallback(args);
    const st = strides(x.shape);
    const o = alloc(size(sz));
    addon.stridedCopy(xv, begin.reduce((acc, b, i) => acc + b * st[i], 0), st, o, 0, strides(sz), sz);
    return out(backend, sz, o);
  },
};
