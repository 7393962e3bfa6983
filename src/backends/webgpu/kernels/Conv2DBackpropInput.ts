// Conv2DBackpropInput: the input gradient of a convolution, which is also tf.conv2dTranspose's forward
// pass (our ConvTranspose2d layers), as tiled implicit GEMM.
import { tf } from '../../../core/tf.js';
import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs } from '@tensorflow/tfjs-core';
import { convBackpropInput } from '../conv_gemm.js';
import { isNHWC, type GPUBackendLike, type KernelDef, type TensorInfo } from '../program.js';

export const conv2DBackpropInputKernel: KernelDef = {
  kernelName: Conv2DBackpropInput,
  make: (stock) => (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (!isNHWC(a.dataFormat) || dy.dtype !== 'float32' || filter.dtype !== 'float32' || dy.shape.length !== 4) {
      return stock!(args);
    }
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number],
      a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return convBackpropInput(args.backend as GPUBackendLike, dy, filter, info);
  },
};
