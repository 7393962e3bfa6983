// Dispatch to optional fused kernels (see docs/ARCHITECTURE.md) when the active backend has them.
import * as tf from '@tensorflow/tfjs-core';
import type { CGKernelName, CGKernels, TensorInputs } from './kernel_names.js';

export function backendHasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a standard TF.js kernel by name (e.g. Conv2DBackpropInput) where tfjs-core exports no op for it. */
export function runKernel<T extends tf.Tensor | tf.Tensor[]>(kernelName: string, inputs: Record<string, tf.Tensor>,
                                                          attrs: Record<string, unknown>): T {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap,
                               attrs as unknown as tf.NamedAttrMap) as unknown as T;
}

/** Runs one of our custom kernels (src/core/ops/kernel_names.ts): inputs and attrs checked against its declaration. */
export function runCGKernel<K extends CGKernelName>(kernelName: K, inputs: TensorInputs<CGKernels[K]['inputs']>,
                                                    attrs: CGKernels[K]['attrs']): CGKernels[K]['out'] extends 'many' ? tf.Tensor[] : tf.Tensor {
  return runKernel(kernelName, inputs as Record<string, tf.Tensor>, attrs as unknown as Record<string, unknown>);
}
