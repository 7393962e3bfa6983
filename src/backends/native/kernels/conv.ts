// The forward convolution shared by Conv2D.ts and FusedConv2D.ts (the fused one adds a bias and an activation
// in oneDNN's post-ops).
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { Conv2DAttrs, FusedConv2DAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { ACT, type NativeAddon } from '../addon.js';
import { alloc, convParams, f32, isNHWC, out, type Kernel, type TensorInfo } from './shared.js';

export function convForwardKernel(addon: NativeAddon, fallback: Kernel, fused: boolean): Kernel {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as unknown as Conv2DAttrs & Partial<FusedConv2DAttrs>;
    const activation = fused ? (a.activation ?? 'linear') : 'linear';
    const act = activation === 'linear' ? ACT.none : (ACT as Record<string, number>)[activation];
    const xv = f32(backend, x), wv = f32(backend, filter);
    const bv = fused && bias ? f32(backend, bias) : null;
    if (!xv || !wv || !isNHWC(a.dataFormat) || x.shape.length !== 4 || act === undefined || preluActivationWeights ||
        (fused && bias && (!bv || bv.length !== filter.shape[3]))) {
      return fallback(args);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode,
      false, 'channelsLast');
    const y = alloc(info.batchSize * info.outHeight * info.outWidth * info.outChannels);
    addon.convForward(xv, wv, bv, y, convParams(info), act, a.leakyreluAlpha ?? 0.2);
    return out(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], y);
  };
}
