import * as tf from '@tensorflow/tfjs-core';
import { one, spreadReduced } from './util.js';

/** dy broadcast back over the summed axes. */
export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () => spreadReduced(one(dy), x.shape, (attrs as unknown as tf.SumAttrs).axis).spread,
  }),
};
