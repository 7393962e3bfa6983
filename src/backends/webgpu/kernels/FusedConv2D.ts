// FusedConv2D: our implicit GEMM with the bias add and the activation in its epilogue (one pass over the
// output). PReLU, NCHW and non-float inputs go to the stock tfjs-webgpu kernel.
import { tf } from '../../../core/tf.js';
import { FusedConv2D, type FusedConv2DAttrs } from '@tensorflow/tfjs-core';
import { convForward } from '../conv_gemm.js';
import { FUSED_ACTIVATIONS, isNHWC, type FusedActivation, type GPUBackendLike, type KernelDef,
  type TensorInfo } from '../program.js';

export const fusedConv2DKernel: KernelDef = {
  kernelName: FusedConv2D,
  make: (stock) => (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as
      { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const a = args.attrs as unknown as FusedConv2DAttrs;
    const act = (a.activation ?? 'linear') as FusedActivation;
    const outC = filter.shape[3];
    const biasOk = !bias || (bias.dtype === 'float32' && bias.shape.reduce((p, q) => p * q, 1) === outC);
    if (!isNHWC(a.dataFormat) || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 ||
        preluActivationWeights || !FUSED_ACTIVATIONS.includes(act) || !biasOk) {
      return stock!(args);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, false,
      'channelsLast');
    return convForward(args.backend as GPUBackendLike, x, filter, bias, act, a.leakyreluAlpha ?? 0.2, info);
  },
};
