import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const squareGradConfig: tf.GradConfig = {
  kernelName: tf.Square,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.cast(x, 'float32'), 2)) }),
};
