import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** d(x^-1/2) = -dy / (2 x^3/2). */
export const rsqrtGradConfig: tf.GradConfig = {
  kernelName: tf.Rsqrt,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(one(dy), tf.mul(tf.pow(x, 1.5), 2))) }),
};
