import * as tf from '@tensorflow/tfjs-core';
import { one, unbroadcast } from './util.js';

/** d(a-b)² = 2(a-b)·dy for a and its negative for b. */
export const squaredDifferenceGradConfig: tf.GradConfig = {
  kernelName: tf.SquaredDifference,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]) => {
    const twice = () => tf.mul(one(dy), tf.mul(tf.sub(a, b), 2));
    return { a: () => unbroadcast(twice(), a.shape), b: () => unbroadcast(tf.neg(twice()), b.shape) };
  },
};
