// CGInstanceNormGrad (contract in docs/ARCHITECTURE.md): dx of CGInstanceNorm from x, y and dy.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { CGInstanceNormGrad, kernelInputs } from '../../../core/ops/kernel_names.js';
import { normAttrs } from './CGInstanceNorm.js';
import { alloc, f32, need, out, type NativeKernelDef } from './shared.js';

export const cgInstanceNormGradKernel: NativeKernelDef = {
  kernelName: CGInstanceNormGrad,
  make: (addon) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, y, dy } = kernelInputs(CGInstanceNormGrad, args.inputs);
    const { eps, act, alpha } = normAttrs(args.attrs);
    const xv = need(f32(backend, x), 'CGInstanceNormGrad x');
    const yv = need(f32(backend, y), 'CGInstanceNormGrad y');
    const dyv = need(f32(backend, dy), 'CGInstanceNormGrad dy');
    const [n, h, w, c] = x.shape;
    const dx = alloc(xv.length);
    addon.instanceNormGrad(xv, yv, dyv, dx, n, h * w, c, eps, act, alpha);
    return out(backend, x.shape, dx);
  },
};
