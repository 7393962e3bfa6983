import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const log1pGradConfig: tf.GradConfig = {
  kernelName: tf.Log1p,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), tf.add(x, 1)) }),
};
