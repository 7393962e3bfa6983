// CGAdam: PyTorch's single-tensor Adam step (the native kernel's operation order, float32 arithmetic with
// the bias corrections computed in double on the host). Three outputs from one pipeline: the same program
// runs three times, once per output (`which`), each recomputing the cheap elementwise update.
import { ceilDiv, floats, ints, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';

import { CGAdam, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';

function program(shape: number[]): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    outputShape: shape,
    shaderKey: 'cgAdam',
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [ceilDiv(size, 64), 1, 1],
    variableNames: ['p', 'g', 'm', 'v'],
    uniforms: 'which : i32, stepSize : f32, bc2Sqrt : f32, b1 : f32, b2 : f32, omb1 : f32, omb2 : f32, eps : f32,',
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let gi = g[index];
        let mi = m[index] * uniforms.b1 + uniforms.omb1 * gi;
        let vi = v[index] * uniforms.b2 + uniforms.omb2 * gi * gi;
        if (uniforms.which == 1) { result[index] = mi; return; }
        if (uniforms.which == 2) { result[index] = vi; return; }
        let denom = sqrt(vi) / uniforms.bc2Sqrt + uniforms.eps;
        result[index] = p[index] - uniforms.stepSize * (mi / denom);
      }
    `,
  };
}

export const cgAdamKernel: KernelDef = {
  kernelName: CGAdam,
  make: () => (args) => {
    const { param, grad, m, v } = kernelInputs(CGAdam, args.inputs);
    const { lr, beta1, beta2, eps, step } = kernelAttrs(CGAdam, args.attrs);
    for (const t of [param, grad, m, v]) if (t.dtype !== 'float32') throw new Error('CGAdam: inputs must be float32');
    const backend = args.backend as GPUBackendLike;
    const bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
    const shared = floats(lr / bc1, Math.sqrt(bc2), beta1, beta2, 1 - beta1, 1 - beta2, eps);
    const inputs = [param, grad, m, v];
    return [0, 1, 2].map((which) => backend.runWebGPUProgram(program(param.shape), inputs, 'float32',
      [...ints(which), ...shared]));
  },
};
