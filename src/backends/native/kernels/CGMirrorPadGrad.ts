// CGMirrorPadGrad (contract in docs/ARCHITECTURE.md): each padded border folded back onto the pixels it copies.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { CGMirrorPadGrad, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { alloc, f32, need, out, size, to4d, type NativeKernelDef } from './shared.js';

export const cgMirrorPadGradKernel: NativeKernelDef = {
  kernelName: CGMirrorPadGrad,
  make: (addon) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy } = kernelInputs(CGMirrorPadGrad, args.inputs);
    const { paddings, mode, xShape } = kernelAttrs(CGMirrorPadGrad, args.attrs);
    const dyv = need(f32(backend, dy), 'CGMirrorPadGrad dy');
    if (xShape.length > 4) throw new Error('CGMirrorPadGrad: rank above 4 is not supported natively');
    const { shape4, pads8 } = to4d(xShape, paddings);
    const dx = alloc(size(xShape));
    addon.mirrorPadGrad(dyv, shape4, pads8, mode === 'symmetric', dx);
    return out(backend, xShape, dx);
  },
};
