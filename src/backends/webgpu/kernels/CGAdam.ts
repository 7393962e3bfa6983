// CGAdam: PyTorch's single-tensor Adam step (the native kernel's operation order, float32 arithmetic with
// the bias corrections computed in double on the host), out of place: the new param, m and v from one
// dispatch (m and v are the runner's extra outputs, ../runner.ts). The training step uses CGAdamInPlace.
import { ceilDiv, floats, type GPUBackendLike, type KernelDef, type Program, type TensorInfo, type UniformValue } from '../program.js';
import { extraOutputWGSL } from '../runner.js';
import { CGAdam, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';

/** The uniforms both Adam kernels take, in `adamUniforms` order. */
export const ADAM_UNIFORMS = 'stepSize : f32, bc2Sqrt : f32, b1 : f32, b2 : f32, omb1 : f32, omb2 : f32, eps : f32,';

/** The values of ADAM_UNIFORMS for one step: the bias corrections are computed here, in double, on the host. */
export function adamUniforms(a: { lr: number; beta1: number; beta2: number; eps: number; step: number }): UniformValue[] {
  const bc1 = 1 - Math.pow(a.beta1, a.step), bc2 = 1 - Math.pow(a.beta2, a.step);
  return floats(a.lr / bc1, Math.sqrt(bc2), a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps);
}

/**
 * One Adam update in WGSL, shared by CGAdam and CGAdamInPlace so that their arithmetic cannot drift apart:
 * reads the moments `m`, `v` and the gradient `gi` at `index`, writes the new moments to `mOut`, `vOut` and the
 * new parameter (from `p`) to `result`.
 */
export function adamUpdateWGSL(m: string, v: string, mOut: string, vOut: string, p: string): string {
  return `
        let mi = ${m}[index] * uniforms.b1 + uniforms.omb1 * gi;
        let vi = ${v}[index] * uniforms.b2 + uniforms.omb2 * gi * gi;
        ${mOut}[index] = mi;
        ${vOut}[index] = vi;
        let denom = sqrt(vi) / uniforms.bc2Sqrt + uniforms.eps;
        result[index] = ${p}[index] - uniforms.stepSize * (mi / denom);`;
}

function program(shape: number[], mOut: TensorInfo, vOut: TensorInfo): Program & { extraOutputs: TensorInfo[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  const names = ['p', 'g', 'm', 'v'];
  return {
    outputShape: shape,
    shaderKey: 'cgAdam',
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [ceilDiv(size, 64), 1, 1],
    variableNames: names,
    uniforms: ADAM_UNIFORMS,
    workgroupSize: [64, 1, 1],
    size: true,
    extraOutputs: [mOut, vOut],
    getUserCode: () => `
      ${extraOutputWGSL(names.length, ['mNew', 'vNew'])}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let gi = g[index];${adamUpdateWGSL('m', 'v', 'mNew', 'vNew', 'p')}
      }
    `,
  };
}

export const cgAdamKernel: KernelDef = {
  kernelName: CGAdam,
  make: () => (args) => {
    const { param, grad, m, v } = kernelInputs(CGAdam, args.inputs);
    const attrs = kernelAttrs(CGAdam, args.attrs);
    for (const t of [param, grad, m, v]) if (t.dtype !== 'float32') throw new Error('CGAdam: inputs must be float32');
    const backend = args.backend as GPUBackendLike;
    const mOut = backend.makeTensorInfo(param.shape, 'float32');
    const vOut = backend.makeTensorInfo(param.shape, 'float32');
    const p = backend.runWebGPUProgram(program(param.shape, mOut, vOut), [param, grad, m, v], 'float32',
      adamUniforms(attrs));
    return [p, mOut, vOut];
  },
};
