import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy spread evenly over the averaged elements. */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return { x: () => tf.div(tf.broadcastTo(tf.reshape(one(dy), kept), x.shape), count) };
  },
};
