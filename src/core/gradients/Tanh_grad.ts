import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const tanhGradConfig: tf.GradConfig = {
  kernelName: tf.Tanh,
  outputsToSave: [true],
  gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.sub(1, tf.square(y))) }),
};
