import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

/** Ties go to a (as tfjs-core and torch.maximum's gradient split differs only on exact ties). */
export const maximumGradConfig: tf.GradConfig = {
  kernelName: tf.Maximum,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => {
    const g = one(dy);
    return {
      a: () => unbroadcast(tf.mul(g, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
      b: () => unbroadcast(tf.mul(g, tf.cast(tf.less(a, b), 'float32')), b.shape),
    };
  },
};
