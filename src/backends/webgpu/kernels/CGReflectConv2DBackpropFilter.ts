// CGReflectConv2DBackpropFilter: the filter gradient of CGReflectConv2D from the unpadded x, read through the
// reflection (conv_tiled.ts); layers the tiled path does not take pad with MirrorPad first.
import { tf } from '../../../core/tf.js';
import { CGReflectConv2DBackpropFilter, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { convBackpropFilter, convBackpropFilterReflect } from '../conv_gemm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';
import { reflectPadded } from './CGReflectConv2D.js';

export const cgReflectConv2DBackpropFilterKernel: KernelDef = {
  kernelName: CGReflectConv2DBackpropFilter,
  make: () => (args) => {
    const { x, dy } = kernelInputs(CGReflectConv2DBackpropFilter, args.inputs);
    const { pad, stride, filterShape } = kernelAttrs(CGReflectConv2DBackpropFilter, args.attrs);
    const backend = args.backend as GPUBackendLike;
    const [n, h, w, c] = x.shape;
    const info = tf.backend_util.computeConv2DInfo([n, h + 2 * pad, w + 2 * pad, c],
      filterShape as [number, number, number, number], stride, 1, 'valid', undefined, false, 'channelsLast');
    const dW = convBackpropFilterReflect(backend, x, dy, info, pad);
    if (dW) return dW;
    const padded = reflectPadded(args, x, pad);
    const out = convBackpropFilter(backend, padded, dy, info);
    backend.disposeData(padded.dataId);
    return out;
  },
};
