import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** Constant padding: the gradient is dy without the padded border. */
export const padV2GradConfig: tf.GradConfig = {
  kernelName: tf.PadV2,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { paddings } = attrs as unknown as tf.PadV2Attrs;
    return { x: () => tf.slice(one(dy), paddings.map((p) => p[0]), x.shape) };
  },
};
