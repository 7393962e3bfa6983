// CGInstanceNormAdd (contract in docs/ARCHITECTURE.md): instance norm + optional ReLU/LeakyReLU, plus a residual,
// in the passes of CGInstanceNorm (../instance_norm.ts): the ResNet block's skip connection costs no dispatch.
import { instanceNormAddForward, instanceNormAttrs } from '../instance_norm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';
import { CGInstanceNormAdd, kernelInputs } from '../../../core/ops/kernel_names.js';

export const cgInstanceNormAddKernel: KernelDef = {
  kernelName: CGInstanceNormAdd,
  make: () => (args) => {
    const { x, residual } = kernelInputs(CGInstanceNormAdd, args.inputs);
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNormAdd: x must be a float32 NHWC tensor');
    if (residual.dtype !== 'float32' || residual.shape.length !== 4 || residual.shape.some((n, i) => n !== x.shape[i])) {
      throw new Error('CGInstanceNormAdd: residual must be a float32 tensor of the shape of x');
    }
    return instanceNormAddForward(args.backend as GPUBackendLike, x, residual, instanceNormAttrs(args.attrs));
  },
};
