// The convolution kernels' bodies: the forward one shared by Conv2D.ts and FusedConv2D.ts (the fused one adds a
// bias and an activation in oneDNN's post-ops), the gradient one by Conv2DBackpropInput.ts and
// Conv2DBackpropFilter.ts.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { Conv2DAttrs, Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, FusedConv2DAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { ACT, type NativeAddon } from '../addon.js';
import { alloc, convParams, f32, isNHWC, out, size, type Kernel, type TensorInfo } from './shared.js';

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

/**
 * A conv gradient: 'input' (dx from dy and the filter; also transposed convolutions) or 'filter' (dw from x and
 * dy). The attrs give the gradient's shape; the geometry is the forward conv's.
 */
export function convGradKernel(addon: NativeAddon, fallback: Kernel, grad: 'input' | 'filter'): Kernel {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy, filter } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as unknown as Conv2DBackpropInputAttrs & Conv2DBackpropFilterAttrs;
    const outShape: number[] = grad === 'input' ? a.inputShape : a.filterShape;
    const xShape = grad === 'input' ? outShape : x.shape;
    const filterShape = grad === 'input' ? filter.shape : outShape;
    const v1 = f32(backend, grad === 'input' ? dy : x), v2 = f32(backend, grad === 'input' ? filter : dy);
    if (!v1 || !v2 || !isNHWC(a.dataFormat) || xShape.length !== 4) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
      filterShape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const o = alloc(size(outShape));
    if (grad === 'input') addon.convBackwardData(v1, v2, o, convParams(info));
    else addon.convBackwardFilter(v1, v2, o, convParams(info));
    return out(backend, outShape, o);
  };
}
