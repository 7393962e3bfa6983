// CGInstanceNormGrad: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·act'(y); statistics recomputed from x.
import { instanceNormAttrs, instanceNormBackward } from '../instance_norm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';
import { CGInstanceNormGrad, kernelInputs } from '../../../core/ops/kernel_names.js';

export const cgInstanceNormGradKernel: KernelDef = {
  kernelName: CGInstanceNormGrad,
  make: () => (args) => {
    const { x, y, dy } = kernelInputs(CGInstanceNormGrad, args.inputs);
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNormGrad: x must be a float32 NHWC tensor');
    return instanceNormBackward(args.backend as GPUBackendLike, x, y, dy, instanceNormAttrs(args.attrs));
  },
};
