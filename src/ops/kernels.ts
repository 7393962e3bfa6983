// Dispatch to optional fused kernels (see docs/ARCHITECTURE.md) when the active backend has them.
import * as tf from '@tensorflow/tfjs-core';

export function backendHasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

export function runKernel<T extends tf.Tensor | tf.Tensor[]>(kernelName: string, inputs: Record<string, tf.Tensor>,
                                                          attrs: Record<string, unknown>): T {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap,
                               attrs as unknown as tf.NamedAttrMap) as unknown as T;
}
