// Conv2DBackpropFilter (the weight gradient) through oneDNN.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { alloc, convParams, f32, isNHWC, out, size, type NativeKernelDef, type TensorInfo } from './shared.js';

export const conv2DBackpropFilterKernel: NativeKernelDef = {
  kernelName: Conv2DBackpropFilter,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as unknown as Conv2DBackpropFilterAttrs;
    const xv = f32(backend, x), dyv = f32(backend, dy);
    const filterShape = a.filterShape as number[];
    if (!xv || !dyv || !isNHWC(a.dataFormat) || x.shape.length !== 4) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filterShape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const dw = alloc(size(filterShape));
    addon.convBackwardFilter(xv, dyv, dw, convParams(info));
    return out(backend, filterShape, dw);
  },
};
