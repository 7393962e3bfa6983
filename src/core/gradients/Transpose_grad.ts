import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const transposeGradConfig: tf.GradConfig = {
  kernelName: tf.Transpose,
  gradFunc: (dy, _saved, attrs) => {
    const { perm } = attrs as unknown as tf.TransposeAttrs;
    return { x: () => tf.transpose(one(dy), tf.backend_util.getUndoAxesPermutation(perm)) };
  },
};
