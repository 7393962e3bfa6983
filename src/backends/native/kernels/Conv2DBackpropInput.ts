// Conv2DBackpropInput (the data gradient, also transposed convolutions) through oneDNN.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { alloc, convParams, f32, isNHWC, out, size, type NativeKernelDef, type TensorInfo } from './shared.js';

export const conv2DBackpropInputKernel: NativeKernelDef = {
  kernelName: Conv2DBackpropInput,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as unknown as Conv2DBackpropInputAttrs;
    const dyv = f32(backend, dy), wv = f32(backend, filter);
    const inputShape = a.inputShape as number[];
    if (!dyv || !wv || !isNHWC(a.dataFormat) || inputShape.length !== 4) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const dx = alloc(size(inputShape));
    addon.convBackwardData(dyv, wv, dx, convParams(info));
    return out(backend, inputShape, dx);
  },
};
