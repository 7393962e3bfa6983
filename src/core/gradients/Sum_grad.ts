import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy broadcast back over the summed axes. */
export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { axis } = attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return { x: () => tf.mul(tf.reshape(one(dy), kept), tf.ones(x.shape, 'float32')) };
  },
};
