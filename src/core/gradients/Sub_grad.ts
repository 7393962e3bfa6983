import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

export const subGradConfig: tf.GradConfig = {
  kernelName: tf.Sub,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a.shape), b: () => unbroadcast(tf.neg(one(dy)), b.shape) }),
};
