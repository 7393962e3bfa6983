// Shared by the gradient configs: undoing broadcasting, and reading the one upstream gradient.
import * as tf from '@tensorflow/tfjs-core';

/** The upstream gradient of a single-output kernel (the engine passes an array only for multi-output kernels). */
export function one(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0] : dy;
}

/**
 * A gradient of the broadcast output shape summed back to an input's shape: the axes the input was broadcast
 * along (size 1 or missing) are summed, then the result takes the input's rank.
 */
export function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape);
}

/** A gradient of zero for each named input: kernels that are flat almost everywhere (comparisons, sign, step). */
export function zeroGrads(kernelName: string, inputs: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => tf.zerosLike(saved[i])])),
  };
}

/**
 * The gradient of a reduction over `axis` spread back over the input's shape (every reduced element gets its
 * output's gradient), and how many elements each output reduced.
 */
export function spreadReduced(dy: tf.Tensor, xShape: number[], axis: number | number[]): { spread: tf.Tensor; count: number } {
  const axes = tf.util.parseAxisParam(axis, xShape);
  const kept = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return { spread: tf.broadcastTo(tf.reshape(dy, kept), xShape), count: axes.reduce((n, a) => n * xShape[a], 1) };
}
