// CGInstanceNorm (contract in docs/ARCHITECTURE.md): instance norm + optional ReLU/LeakyReLU (../instance_norm.ts).
import { instanceNormAttrs, instanceNormForward } from '../instance_norm.js';
import type { GPUBackendLike, KernelDef, TensorInfo } from '../program.js';

export const cgInstanceNormKernel: KernelDef = {
  kernelName: 'CGInstanceNorm',
  make: () => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNorm: x must be a float32 NHWC tensor');
    return instanceNormForward(args.backend as GPUBackendLike, x, instanceNormAttrs(args.attrs));
  },
};
