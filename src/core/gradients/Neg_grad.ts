import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const negGradConfig: tf.GradConfig = {
  kernelName: tf.Neg,
  gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }),
};
