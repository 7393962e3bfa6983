import * as tf from '@tensorflow/tfjs-core';
import { one } from './util.js';

/** dy zero-padded back to the input's shape around the sliced window. */
export const sliceGradConfig: tf.GradConfig = {
  kernelName: tf.Slice,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { begin, size } = attrs as unknown as tf.SliceAttrs;
    const [start, len] = tf.slice_util.parseSliceParams(x, begin, size);
    const paddings = x.shape.map((d, i) => [start[i], d - start[i] - len[i]] as [number, number]);
    return { x: () => tf.pad(one(dy), paddings) };
  },
};
