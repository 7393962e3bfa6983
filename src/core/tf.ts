// The one place the project imports TF.js from: tfjs-core, the cpu backend (always there, in Node and in
// browsers), our gradients registered explicitly (src/core/gradients) and the Tensor methods (chained_ops.ts).
// Other backends register themselves where they are used (src/backends in Node, the page in browsers). The union
// package @tensorflow/tfjs is not loaded: it brings layers, converter and data, and its registrations would
// replace our MirrorPad gradient with tfjs-core's, which drops the reflected borders.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerAllGradients } from './gradients/register_all_gradients.js';
import { registerChainedOps } from './chained_ops.js';

registerAllGradients();
registerChainedOps();
// Production mode: skips per-op debug checks and the CPU backend's "install tfjs-node" banner, which does
// not apply (our native backend is the fast path).
tf.env().set('PROD', true);

export { tf };
export type Tensor = tf.Tensor;
export type Tensor4D = tf.Tensor4D;
