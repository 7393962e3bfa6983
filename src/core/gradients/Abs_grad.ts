import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** d|x| = sign(x) dy; 0 at x = 0, as PyTorch (tfjs-core's own config gives -1 there). */
export const absGradConfig: tf.GradConfig = {
  kernelName: tf.Abs,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.sign(tf.cast(x, 'float32'))) }),
};
