import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy where x > 0, else 0 (slope 0 at x = 0, as PyTorch). */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.cast(tf.greater(x, 0), 'float32')) }),
};
