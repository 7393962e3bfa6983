import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

/** d(a/b) = dy/b for a, -dy·a/b² for b. */
export const realDivGradConfig: tf.GradConfig = {
  kernelName: tf.RealDiv,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => {
    const g = one(dy);
    return {
      a: () => unbroadcast(tf.div(g, tf.cast(b, 'float32')), a.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(g, tf.cast(a, 'float32')), tf.square(tf.cast(b, 'float32')))), b.shape),
    };
  },
};
