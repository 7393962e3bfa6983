// CGMirrorPadGrad: each dx element gathers every dy element that was copied from it (on each padded axis
// at most three: itself, its mirror in the leading border and its mirror in the trailing border), so the
// kernel is one pass with no atomics.
import { ceilDiv, ints, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';

import { CGMirrorPadGrad, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';

function program(xShape: number[]): Program {
  const size = xShape.reduce((a, b) => a * b, 1);
  return {
    outputShape: xShape,
    shaderKey: 'cgMirrorPadGrad',
    dispatchLayout: { x: xShape.map((_, i) => i) },
    dispatch: [ceilDiv(size, 64), 1, 1],
    variableNames: ['dy'],
    uniforms: 's0 : i32, s1 : i32, s2 : i32, s3 : i32, b0 : i32, b1 : i32, b2 : i32, b3 : i32, ' +
      'e0 : i32, e1 : i32, e2 : i32, e3 : i32, sym : i32,',
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      // Padded positions (on an axis of size n, with b before and e after) that copy source index i.
      fn sources(i : i32, n : i32, b : i32, e : i32) -> vec4<i32> {
        var q = vec4<i32>(i + b, -1, -1, 0);
        let off = 1 - uniforms.sym;                 // reflect skips the edge, symmetric repeats it
        let l = b - i - 1 + off;                    // i's mirror in the leading border
        if (l >= 0 && l < b) { q.y = l; }
        let t = b + n + (n - 1 - off - i);          // its mirror in the trailing border
        if (t >= b + n && t < b + n + e) { q.z = t; }
        return q;
      }
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var r = index;
        let i3 = r % uniforms.s3; r = r / uniforms.s3;
        let i2 = r % uniforms.s2; r = r / uniforms.s2;
        let i1 = r % uniforms.s1;
        let i0 = r / uniforms.s1;
        let q0 = sources(i0, uniforms.s0, uniforms.b0, uniforms.e0);
        let q1 = sources(i1, uniforms.s1, uniforms.b1, uniforms.e1);
        let q2 = sources(i2, uniforms.s2, uniforms.b2, uniforms.e2);
        let q3 = sources(i3, uniforms.s3, uniforms.b3, uniforms.e3);
        let o1 = uniforms.s1 + uniforms.b1 + uniforms.e1;
        let o2 = uniforms.s2 + uniforms.b2 + uniforms.e2;
        let o3 = uniforms.s3 + uniforms.b3 + uniforms.e3;
        var acc = 0.0;
        for (var a = 0; a < 3; a++) {
          let p0 = q0[a];
          if (p0 < 0) { continue; }
          for (var b = 0; b < 3; b++) {
            let p1 = q1[b];
            if (p1 < 0) { continue; }
            for (var c = 0; c < 3; c++) {
              let p2 = q2[c];
              if (p2 < 0) { continue; }
              for (var d = 0; d < 3; d++) {
                let p3 = q3[d];
                if (p3 < 0) { continue; }
                acc = acc + dy[((p0 * o1 + p1) * o2 + p2) * o3 + p3];
              }
            }
          }
        }
        result[index] = acc;
      }
    `,
  };
}

export const cgMirrorPadGradKernel: KernelDef = {
  kernelName: CGMirrorPadGrad,
  make: () => (args) => {
    const { dy } = kernelInputs(CGMirrorPadGrad, args.inputs);
    const { paddings, mode, xShape } = kernelAttrs(CGMirrorPadGrad, args.attrs);
    if (dy.dtype !== 'float32') throw new Error('CGMirrorPadGrad: dy must be float32');
    if (xShape.length > 4) throw new Error('CGMirrorPadGrad: rank above 4 is not supported');
    const lead = 4 - xShape.length;
    const s = [...Array(lead).fill(1), ...xShape];
    const p = [...Array(lead).fill([0, 0]), ...paddings] as Array<[number, number]>;
    return (args.backend as GPUBackendLike).runWebGPUProgram(program(xShape), [dy], 'float32',
      ints(...s, ...p.map((x) => x[0]), ...p.map((x) => x[1]), mode === 'symmetric' ? 1 : 0));
  },
};
