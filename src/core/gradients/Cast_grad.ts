import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const castGradConfig: tf.GradConfig = {
  kernelName: tf.Cast,
  gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }),
};
