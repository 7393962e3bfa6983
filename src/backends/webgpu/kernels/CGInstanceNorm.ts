// CGInstanceNorm (contract in docs/ARCHITECTURE.md): instance norm + optional ReLU/LeakyReLU in one pass.
import { instanceNormAttrs, instanceNormProgram } from '../instance_norm.js';
import { floats, ints, type GPUBackendLike, type KernelDef, type TensorInfo } from '../program.js';

export const cgInstanceNormKernel: KernelDef = {
  kernelName: 'CGInstanceNorm',
  make: () => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNorm: x must be a float32 NHWC tensor');
    const { eps, act, alpha } = instanceNormAttrs(args.attrs);
    const [, h, w, c] = x.shape;
    return (args.backend as GPUBackendLike).runWebGPUProgram(instanceNormProgram('fwd', x.shape), [x], 'float32',
      [...ints(h * w, c, act), ...floats(eps, alpha)]);
  },
};
