// Conv2D (NHWC) as our tiled implicit GEMM; other layouts and dtypes go to the stock tfjs-webgpu kernel.
import { tf } from '../../../core/tf.js';
import { Conv2D, type Conv2DAttrs } from '@tensorflow/tfjs-core';
import { convForward } from '../conv_gemm.js';
import { isNHWC, type GPUBackendLike, type KernelDef, type TensorInfo } from '../program.js';

export const conv2DKernel: KernelDef = {
  kernelName: Conv2D,
  make: (stock) => (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as Conv2DAttrs;
    if (!isNHWC(a.dataFormat) || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4) {
      return stock!(args);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, false,
      'channelsLast');
    return convForward(args.backend as GPUBackendLike, x, filter, undefined, 'linear', 0, info);
  },
};
