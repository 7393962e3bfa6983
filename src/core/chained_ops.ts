// Tensor methods (t.add(b), t.slice(...), t.toFloat()). tfjs-core declares them on Tensor's type, but only the
// ESM files under its public/chained_ops register them at run time, and its Node build has none of those: the
// union package @tensorflow/tfjs loaded them for us before. Without them code type-checks and fails when run
// ("t.slice is not a function"), so they are registered here from one table, for every backend and runtime.
import * as tf from '@tensorflow/tfjs-core';

/** Methods that call the op of the same name with the tensor as its first argument. */
const SAME_NAME_CHAINED_OPS = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan', 'atan2', 'atanh',
  'avgPool', 'batchNorm', 'batchToSpaceND', 'broadcastTo', 'cast', 'ceil', 'clipByValue', 'conv1d', 'conv2d',
  'conv2dTranspose', 'cos', 'cosh', 'cumprod', 'cumsum', 'depthToSpace', 'depthwiseConv2d', 'dilation2d', 'div',
  'divNoNan', 'dot', 'elu', 'equal', 'erf', 'euclideanNorm', 'exp', 'expandDims', 'expm1', 'fft', 'floor',
  'floorDiv', 'gather', 'greater', 'greaterEqual', 'ifft', 'irfft', 'isFinite', 'isInf', 'isNaN', 'leakyRelu',
  'less', 'lessEqual', 'localResponseNormalization', 'log', 'log1p', 'logSigmoid', 'logSoftmax', 'logSumExp',
  'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'matMul', 'max', 'maxPool', 'maximum', 'mean', 'min',
  'minimum', 'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'onesLike', 'pad', 'pool', 'pow', 'prelu',
  'prod', 'reciprocal', 'relu', 'relu6', 'reshape', 'reverse', 'rfft', 'round', 'rsqrt', 'selu',
  'separableConv2d', 'sigmoid', 'sign', 'sin', 'sinh', 'slice', 'softmax', 'softplus', 'spaceToBatchND', 'split',
  'sqrt', 'square', 'squaredDifference', 'squeeze', 'step', 'stridedSlice', 'sub', 'sum', 'tan', 'tanh', 'tile',
  'topk', 'transpose', 'unique', 'unsortedSegmentSum', 'unstack', 'zerosLike',
] as const;

type Op = (...args: unknown[]) => tf.Tensor;

/** The other methods: shapes, casts, and the ops that take the tensor in another place. */
const OTHER_CHAINED_OPS: Record<string, (t: tf.Tensor, ...args: never[]) => tf.Tensor> = {
  asScalar: (t) => {
    if (t.size !== 1) throw new Error('The array must have only 1 element.');
    return tf.reshape(t, []);
  },
  as1D: (t) => tf.reshape(t, [t.size]),
  as2D: (t, rows: number, columns: number) => tf.reshape(t, [rows, columns]),
  as3D: (t, rows: number, columns: number, depth: number) => tf.reshape(t, [rows, columns, depth]),
  as4D: (t, rows: number, columns: number, depth: number, depth2: number) => tf.reshape(t, [rows, columns, depth, depth2]),
  as5D: (t, rows: number, columns: number, depth: number, depth2: number, depth3: number) =>
    tf.reshape(t, [rows, columns, depth, depth2, depth3]),
  asType: (t, dtype: tf.DataType) => tf.cast(t, dtype),
  toBool: (t) => tf.cast(t, 'bool'),
  toFloat: (t) => tf.cast(t, 'float32'),
  toInt: (t) => tf.cast(t, 'int32'),
  flatten: (t) => tf.reshape(t, [t.size]),
  reshapeAs: (t, x: tf.Tensor) => tf.reshape(t, x.shape),
  concat: (t, x: tf.Tensor | tf.Tensor[], axis?: number) => tf.concat([t, ...(x instanceof tf.Tensor ? [x] : x)], axis),
  stack: (t, x: tf.Tensor | tf.Tensor[], axis?: number) => tf.stack([t, ...(x instanceof tf.Tensor ? [x] : x)], axis),
  where: (t, condition: tf.Tensor, x: tf.Tensor) => tf.where(condition, t, x),
  oneHot: (t, depth: number, onValue = 1, offValue = 0) => tf.oneHot(t as tf.Tensor1D, depth, onValue, offValue),
  resizeBilinear: (t, size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean) =>
    tf.image.resizeBilinear(t as tf.Tensor4D, size, alignCorners, halfPixelCenters),
  resizeNearestNeighbor: (t, size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean) =>
    tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, alignCorners, halfPixelCenters),
};

/** Every chained op's name (for the test that compares them with tfjs-core's declarations). */
export const CHAINED_OP_NAMES: readonly string[] = [...SAME_NAME_CHAINED_OPS, ...Object.keys(OTHER_CHAINED_OPS)].sort();

let registered = false;

/** Puts the methods on tfjs-core's Tensor class (idempotent). */
export function registerChainedOps(): void {
  if (registered) return;
  registered = true;
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, Op>;
  const define = (name: string, f: (t: tf.Tensor, ...args: never[]) => tf.Tensor): void => {
    proto[name] = function (this: tf.Tensor, ...args: never[]): tf.Tensor {
      this.throwIfDisposed();
      return f(this, ...args);
    };
  };
  for (const name of SAME_NAME_CHAINED_OPS) define(name, (t, ...args) => ops[name](t, ...args));
  for (const [name, f] of Object.entries(OTHER_CHAINED_OPS)) define(name, f);
}
