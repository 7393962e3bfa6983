import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

export const expGradConfig: tf.GradConfig = {
  kernelName: tf.Exp,
  outputsToSave: [true],
  gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), y) }),
};
