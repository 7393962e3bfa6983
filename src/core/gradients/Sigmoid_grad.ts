import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const sigmoidGradConfig: tf.GradConfig = {
  kernelName: tf.Sigmoid,
  outputsToSave: [true],
  gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(y, tf.sub(1, y))) }),
};
