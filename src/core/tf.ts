// The one place the project imports TF.js from. tfjs-core alone registers no gradients in Node;
// the union package's Node bundle registers all of them against the same tfjs-core instance.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { installGradientFixes } from './ops/gradient_fixes.js';

installGradientFixes();
// Production mode: skips per-op debug checks and the CPU backend's "install tfjs-node" banner, which does
// not apply (our native backend is the fast path).
tf.env().set('PROD', true);

export { tf };
export type Tensor = tf.Tensor;
export type Tensor4D = tf.Tensor4D;
