import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** Both gradients of a convolution are the backend's two backprop kernels (dilation 1, as every net here). */
export const conv2DGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, [x, filter], attrs) => {
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    if (!tf.backend_util.tupleValuesAreOne(dilations)) {
      throw new Error(`the Conv2D gradient supports dilation 1 only, got ${String(dilations)}`);
    }
    const g = one(dy);
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter },
        { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g },
        { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  },
};
