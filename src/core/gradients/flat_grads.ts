// Kernels that are flat almost everywhere: their gradient is zero. tfjs-core registers none for the comparisons,
// which breaks second-order gradients (the WGAN-GP penalty) through LeakyReLU's where(x > 0, ...).
import * as tf from '@tensorflow/tfjs-core';
import { zeroGrads } from './util.js';

export const flatGradConfigs: tf.GradConfig[] = [
  ...[tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual].map((k) => zeroGrads(k, ['a', 'b'])),
  ...[tf.Sign, tf.Step, tf.Floor, tf.Round].map((k) => zeroGrads(k, ['x'])),
];
