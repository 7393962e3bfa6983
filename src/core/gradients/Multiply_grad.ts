import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

export const multiplyGradConfig: tf.GradConfig = {
  kernelName: tf.Multiply,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => {
    const g = one(dy);
    return {
      a: () => unbroadcast(tf.mul(g, tf.cast(b, 'float32')), a.shape),
      b: () => unbroadcast(tf.mul(g, tf.cast(a, 'float32')), b.shape),
    };
  },
};
