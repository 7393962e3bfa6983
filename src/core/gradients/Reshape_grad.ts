import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const reshapeGradConfig: tf.GradConfig = {
  kernelName: tf.Reshape,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.reshape(one(dy), x.shape) }),
};
