// CGLossGrad: a GAN (LSGAN / BCE-with-logits) or L1 loss and its gradient from one pass over the input,
// instead of five or six small ops (sub, square/abs, mean, then sub, sign/sigmoid, mul) with as many
// dispatches. The gradient is the main result; the loss sum is an extra output (../runner.ts): one workgroup
// sums a small input itself; a large one is cut across workgroups whose partial sums one more dispatch adds.
// Sums are in a fixed order (per-thread strided sums, then a tree), so results repeat exactly.
import { ceilDiv, floats, ints, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';
import { extraOutputWGSL } from '../runner.js';
import { CGLossGrad, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';

const THREADS = 256;
/** Inputs up to this size are summed by one workgroup (one dispatch). */
const ONE_GROUP = 1 << 16;
const MAX_GROUPS = 64;
const KIND: Record<string, number> = { lsgan: 0, vanilla: 1, l1: 2 };

const UNIFORMS = 'n : i32, kind : i32, groups : i32, label : f32, lossScale : f32, gradMul : f32,';

/** Tree sum of `red` (THREADS values) into red[0]; call from uniform control flow. */
const TREE = `
        workgroupBarrier();
        for (var h = ${THREADS / 2}u; h > 0u; h = h >> 1u) {
          if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
          workgroupBarrier();
        }`;

function lossProgram(shape: number[], twoInputs: boolean, groups: number, sums: TensorInfo): Program & { extraOutputs: TensorInfo[] } {
  const names = twoInputs ? ['x', 'other'] : ['x'];
  return {
    outputShape: shape,
    shaderKey: `cgLossGrad${names.length}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [groups, 1, 1],
    variableNames: names,
    uniforms: UNIFORMS,
    workgroupSize: [THREADS, 1, 1],
    extraOutputs: [sums],
    getUserCode: () => `
      ${extraOutputWGSL(names.length, ['sums'])}
      var<workgroup> red : array<f32, ${THREADS}>;
      fn main(flatIndex : i32) {
        let lid = localId.x;
        let g = i32(workgroupId.x);
        let stride = uniforms.groups * ${THREADS};
        var s = 0.0;
        for (var i = g * ${THREADS} + i32(lid); i < uniforms.n; i += stride) {
          let v = x[i];
          var loss = 0.0;
          var grad = 0.0;
          if (uniforms.kind == 0) {
            let d = v - uniforms.label;
            loss = d * d;
            grad = d * uniforms.gradMul;
          } else if (uniforms.kind == 1) {
            loss = max(v, 0.0) - v * uniforms.label + log(1.0 + exp(-abs(v)));
            grad = (1.0 / (1.0 + exp(-v)) - uniforms.label) * uniforms.gradMul;
          } else {
            ${twoInputs ? 'let d = v - other[i];' : 'let d = v;'}
            loss = abs(d);
            grad = sign(d) * uniforms.gradMul;
          }
          result[i] = grad;
          s = s + loss;
        }
        red[lid] = s;
        ${TREE}
        if (lid == 0u) {
          if (uniforms.groups == 1) { sums[0] = red[0] / f32(uniforms.n) * uniforms.lossScale; }
          else { sums[g] = red[0]; }
        }
      }
    `,
  };
}

/** The loss from the workgroups' partial sums (large inputs). */
function mergeProgram(): Program {
  return {
    outputShape: [1],
    shaderKey: 'cgLossGradMerge',
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: ['sums'],
    uniforms: UNIFORMS,
    workgroupSize: [THREADS, 1, 1],
    getUserCode: () => `
      var<workgroup> red : array<f32, ${THREADS}>;
      fn main(flatIndex : i32) {
        let lid = localId.x;
        var s = 0.0;
        if (i32(lid) < uniforms.groups) { s = sums[lid]; }
        red[lid] = s;
        ${TREE}
        if (lid == 0u) { result[0] = red[0] / f32(uniforms.n) * uniforms.lossScale; }
      }
    `,
  };
}

export const cgLossGradKernel: KernelDef = {
  kernelName: CGLossGrad,
  make: () => (args) => {
    const { x, target } = kernelInputs(CGLossGrad, args.inputs);
    const { kind, label, lossScale, gradScale } = kernelAttrs(CGLossGrad, args.attrs);
    if (!(kind in KIND)) throw new Error(`CGLossGrad: unknown kind ${kind}`);
    if (kind === 'l1' && !target) throw new Error('CGLossGrad: l1 needs a target');
    for (const t of target ? [x, target] : [x]) if (t.dtype !== 'float32') throw new Error('CGLossGrad: inputs must be float32');
    if (target && target.shape.join() !== x.shape.join()) throw new Error('CGLossGrad: x and target must have the same shape');
    const n = x.shape.reduce((a, b) => a * b, 1);
    if (n === 0) throw new Error('CGLossGrad: empty input');
    const backend = args.backend as GPUBackendLike;
    const groups = n <= ONE_GROUP ? 1 : Math.min(MAX_GROUPS, ceilDiv(n, ONE_GROUP));
    // d(gradScale·loss)/dx: lsgan 2(x − t)/N, vanilla (σ(x) − t)/N, l1 sign(x − t)/N, each × gradScale (as
    // losses.ts composes it: the factor is formed in double, then applied in float32).
    const gradMul = (kind === 'lsgan' ? 2 : 1) * (gradScale / n);
    const u = [...ints(n, KIND[kind], groups), ...floats(label, lossScale, gradMul)];
    const inputs = kind === 'l1' ? [x, target!] : [x];
    const sums = backend.makeTensorInfo(groups === 1 ? [] : [groups], 'float32');
    const grad = backend.runWebGPUProgram(lossProgram(x.shape, inputs.length === 2, groups, sums), inputs, 'float32', u);
    if (groups === 1) return [sums, grad];
    const loss = backend.runWebGPUProgram(mergeProgram(), [sums], 'float32', u);
    backend.disposeData(sums.dataId);
    // a scalar: the same one-element buffer under shape [] (as tfjs-webgpu's Reshape hands data on)
    return [{ ...loss, shape: [] }, grad];
  },
};
