import * as tf from '@tensorflow/tfjs-core';
import { one, spreadReduced } from './util.js';

/** dy spread evenly over the averaged elements. */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () => {
      const { spread, count } = spreadReduced(one(dy), x.shape, (attrs as unknown as tf.MeanAttrs).axis);
      return tf.div(spread, count);
    },
  }),
};
