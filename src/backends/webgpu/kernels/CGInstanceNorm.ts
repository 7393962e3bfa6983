// CGInstanceNorm (contract in docs/ARCHITECTURE.md): instance norm + optional ReLU/LeakyReLU (../instance_norm.ts).
import { instanceNormAttrs, instanceNormForward } from '../instance_norm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';
import { CGInstanceNorm, kernelInputs } from '../../../core/ops/kernel_names.js';

export const cgInstanceNormKernel: KernelDef = {
  kernelName: CGInstanceNorm,
  make: () => (args) => {
    const { x } = kernelInputs(CGInstanceNorm, args.inputs);
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNorm: x must be a float32 NHWC tensor');
    return instanceNormForward(args.backend as GPUBackendLike, x, instanceNormAttrs(args.attrs));
  },
};
