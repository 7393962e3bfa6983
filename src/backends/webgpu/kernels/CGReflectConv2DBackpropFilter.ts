// CGReflectConv2DBackpropFilter: the filter gradient of CGReflectConv2D from the unpadded x, read through the
// reflection by the Winograd (3×3 stride 1, when switched on), tiled, narrow and generic kernels (conv_gemm.ts);
// only where the reflection is undefined (pad ≥ size) or the filter dilated does it pad with MirrorPad first.
import { CGReflectConv2DBackpropFilter, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { convBackpropFilter, convBackpropFilterReflect } from '../conv_gemm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';
import { onReflectPadded, reflectConvInfo } from './CGReflectConv2D.js';

export const cgReflectConv2DBackpropFilterKernel: KernelDef = {
  kernelName: CGReflectConv2DBackpropFilter,
  make: () => (args) => {
    const { x, dy } = kernelInputs(CGReflectConv2DBackpropFilter, args.inputs);
    const { pad, stride, filterShape } = kernelAttrs(CGReflectConv2DBackpropFilter, args.attrs);
    const backend = args.backend as GPUBackendLike;
    const info = reflectConvInfo(x, filterShape, stride, pad);
    return convBackpropFilterReflect(backend, x, dy, info, pad) ??
      onReflectPadded(args, x, pad, (padded) => convBackpropFilter(backend, padded, dy, info));
  },
};
