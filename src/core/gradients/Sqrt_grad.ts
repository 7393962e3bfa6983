import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const sqrtGradConfig: tf.GradConfig = {
  kernelName: tf.Sqrt,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), tf.mul(tf.sqrt(tf.cast(x, 'float32')), 2)) }),
};
