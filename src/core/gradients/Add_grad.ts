import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

export const addGradConfig: tf.GradConfig = {
  kernelName: tf.Add,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a.shape), b: () => unbroadcast(one(dy), b.shape) }),
};
