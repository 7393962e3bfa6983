import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** where(condition, t, e): dy goes to t where the condition holds, to e elsewhere; the condition has none. */
export const selectGradConfig: tf.GradConfig = {
  kernelName: tf.Select,
  inputsToSave: ['condition'],
  gradFunc: (dy, [condition]) => {
    const g = one(dy);
    return {
      condition: () => tf.cast(tf.zerosLike(condition), 'float32'),
      t: () => tf.mul(g, tf.cast(condition, g.dtype)),
      e: () => tf.mul(g, tf.cast(tf.logicalNot(condition), g.dtype)),
    };
  },
};
