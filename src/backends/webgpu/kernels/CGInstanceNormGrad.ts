// CGInstanceNormGrad: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·act'(y); statistics recomputed from x.
import { instanceNormAttrs, instanceNormProgram } from '../instance_norm.js';
import { floats, ints, type GPUBackendLike, type KernelDef, type TensorInfo } from '../program.js';

export const cgInstanceNormGradKernel: KernelDef = {
  kernelName: 'CGInstanceNormGrad',
  make: () => (args) => {
    const { x, y, dy } = args.inputs as { x: TensorInfo; y: TensorInfo; dy: TensorInfo };
    if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error('CGInstanceNormGrad: x must be a float32 NHWC tensor');
    const { eps, act, alpha } = instanceNormAttrs(args.attrs);
    const [, h, w, c] = x.shape;
    return (args.backend as GPUBackendLike).runWebGPUProgram(instanceNormProgram('grad', x.shape), [x, y, dy], 'float32',
      [...ints(h * w, c, act), ...floats(eps, alpha)]);
  },
};
