// CGAdamInPlace: CGAdam's update (same operation order, ./CGAdam.ts) in ONE dispatch per parameter that
// overwrites param, m and v, with up to three gradient parts summed first ((g0 + g1) + g2, the order the
// separate adds had). The parameter and its moments keep their GPU buffers from step to step, so the
// dispatches that read them keep finding their bind groups in the runner's cache (../runner.ts).
import { ceilDiv, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';
import { extraOutputWGSL } from '../runner.js';
import { ADAM_UNIFORMS, adamUniforms, adamUpdateWGSL } from './CGAdam.js';
import { CGAdamInPlace, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';

/** The program key's prefix (a captured step's replay patches these dispatches' uniforms: ../replay.ts). */
export const ADAM_IN_PLACE_KEY = 'cgAdamInPlace';

function program(size: number, parts: number, m: TensorInfo, v: TensorInfo): Program & { extraOutputs: TensorInfo[] } {
  const names = ['g0', 'g1', 'g2'].slice(0, parts);
  // result is the parameter (read and written); m and v are the extra outputs.
  return {
    outputShape: [size],
    shaderKey: `${ADAM_IN_PLACE_KEY}${parts}`,
    dispatchLayout: { x: [0] },
    dispatch: [ceilDiv(size, 64), 1, 1],
    variableNames: names,
    uniforms: ADAM_UNIFORMS,
    workgroupSize: [64, 1, 1],
    size: true,
    extraOutputs: [m, v],
    getUserCode: () => `
      ${extraOutputWGSL(parts, ['mState', 'vState'])}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var gi = g0[index];
        ${parts > 1 ? 'gi = gi + g1[index];' : ''}
        ${parts > 2 ? 'gi = gi + g2[index];' : ''}
${adamUpdateWGSL('mState', 'vState', 'mState', 'vState', 'result')}
      }
    `,
  };
}

type Stored = { values?: unknown; refCount: number };

export const cgAdamInPlaceKernel: KernelDef = {
  kernelName: CGAdamInPlace,
  make: () => (args) => {
    const { param, grad, m, v, grad1, grad2 } = kernelInputs(CGAdamInPlace, args.inputs);
    const attrs = kernelAttrs(CGAdamInPlace, args.attrs);
    const grads = [grad, grad1, grad2].filter((g): g is TensorInfo => g !== undefined);
    const size = param.shape.reduce((a, b) => a * b, 1);
    for (const t of [param, m, v, ...grads]) {
      if (t.dtype !== 'float32') throw new Error('CGAdamInPlace: inputs must be float32');
      if (t.shape.reduce((a, b) => a * b, 1) !== size) throw new Error('CGAdamInPlace: inputs must have the same size');
    }
    const backend = args.backend as GPUBackendLike & { tensorMap: { get(id: object): Stored } };
    for (const t of [param, m, v]) {
      if (backend.tensorMap.get(t.dataId).refCount !== 1) throw new Error('CGAdamInPlace: param, m and v must not share their data');
    }
    const flat = (t: TensorInfo): TensorInfo => ({ ...t, shape: [size] });
    backend.runWebGPUProgram(program(size, grads.length, m, v), grads.map(flat), 'float32', adamUniforms(attrs), flat(param));
    // A CPU copy of an earlier read would now be stale.
    for (const t of [param, m, v]) backend.tensorMap.get(t.dataId).values = undefined;
    return [];
  },
};
