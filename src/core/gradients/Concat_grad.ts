import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy split back along the concatenation axis into the inputs' sizes (inputs are named by position). */
export const concatGradConfig: tf.GradConfig = {
  kernelName: tf.Concat,
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const { axis } = attrs as unknown as tf.ConcatAttrs;
    const ax = tf.util.parseAxisParam(axis, saved[0].shape)[0];
    const parts = tf.split(one(dy), saved.map((t) => t.shape[ax]), ax);
    return Object.fromEntries(parts.map((p, i) => [i, () => p]));
  },
};
