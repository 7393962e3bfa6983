import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy where x > 0, alpha·dy elsewhere (PyTorch's slope at 0 is alpha too). */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: tf.LeakyRelu,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { alpha } = attrs as unknown as tf.LeakyReluAttrs;
    const g = one(dy);
    return { x: () => tf.where(tf.greater(x, 0), g, tf.mul(g, alpha)) };
  },
};
