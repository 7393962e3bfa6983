import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const logGradConfig: tf.GradConfig = {
  kernelName: tf.Log,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), tf.cast(x, 'float32')) }),
};
