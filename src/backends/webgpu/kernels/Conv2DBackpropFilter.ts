// Conv2DBackpropFilter: the filter gradient as implicit GEMM with the pixel reduction split across
// workgroups and then summed (tfjs-webgpu's own kernel loops over every output pixel in one thread); 3×3 stride 1
// on the Winograd path when it is switched on (conv_gemm.ts winogradTile).
import { tf } from '../../../core/tf.js';
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs } from '@tensorflow/tfjs-core';
import { convBackpropFilter } from '../conv_gemm.js';
import { isNHWC, type GPUBackendLike, type KernelDef, type TensorInfo } from '../program.js';

export const conv2DBackpropFilterKernel: KernelDef = {
  kernelName: Conv2DBackpropFilter,
  make: (stock) => (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const a = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!isNHWC(a.dataFormat) || x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) {
      return stock!(args);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape,
      a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return convBackpropFilter(args.backend as GPUBackendLike, x, dy, info);
  },
};
