import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/**
 * The transposed convolution (PyTorch's ConvTranspose2d is this kernel, src/core/ops/nn.ts): its input's gradient
 * is the forward convolution of the upstream gradient, its filter's is the filter-backprop kernel with the roles
 * of input and gradient swapped.
 */
export const conv2DBackpropInputGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, [dy, filter], attrs) => {
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const g = one(ddx);
    return {
      dy: () => tf.engine().runKernel(tf.Conv2D, { x: g, filter },
        { strides, pad, dataFormat, dilations: 1, dimRoundingMode } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: g, dy },
        { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  },
};
