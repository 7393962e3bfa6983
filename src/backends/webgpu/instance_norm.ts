// Shared WGSL for the instance-norm kernels: a workgroup owns 16 channels of one image (16×16 threads:
// x = channel, y = pixel lane, so a row of threads reads 16 neighbouring floats of an NHWC pixel) and reduces
// over the image's pixels in workgroup memory. Statistics are two-pass (mean, then squared deviations), as
// the native kernel, and the activation is a uniform so one pipeline serves none/ReLU/LeakyReLU.
import type { Program } from './program.js';

export const IN_LANES = 16;

export const ACT_CODE: Record<string, number> = { none: 0, relu: 1, leakyrelu: 2 };

export function instanceNormAttrs(attrs: unknown): { eps: number; act: number; alpha: number } {
  const a = (attrs ?? {}) as { eps?: number; activation?: string; alpha?: number };
  return { eps: a.eps ?? 1e-5, act: ACT_CODE[a.activation ?? 'none'] ?? 0, alpha: a.alpha ?? 0.2 };
}

export function instanceNormProgram(kind: 'fwd' | 'grad', shape: number[]): Program {
  const [n, , , c] = shape;
  const body = kind === 'fwd' ? `
        var q = 0.0;
        if (valid) { for (var p = py; p < hw; p += ${IN_LANES}) { let d = x[base + p * c] - mean; q = q + d * d; } }
        let rstd = 1.0 / sqrt(lanesSum(q, cx, py) / f32(hw) + uniforms.eps);
        if (valid) {
          for (var p = py; p < hw; p += ${IN_LANES}) {
            let v = (x[base + p * c] - mean) * rstd;
            var o = v;
            if (uniforms.act == 1) { o = max(v, 0.0); }
            if (uniforms.act == 2) { o = select(uniforms.alpha * v, v, v > 0.0); }
            result[base + p * c] = o;
          }
        }` : `
        var q = 0.0;
        if (valid) { for (var p = py; p < hw; p += ${IN_LANES}) { let d = x[base + p * c] - mean; q = q + d * d; } }
        let rstd = 1.0 / sqrt(lanesSum(q, cx, py) / f32(hw) + uniforms.eps);
        var sg = 0.0;
        var sgx = 0.0;
        if (valid) {
          for (var p = py; p < hw; p += ${IN_LANES}) {
            let i = base + p * c;
            let g = dy[i] * actGrad(y[i]);
            sg = sg + g;
            sgx = sgx + g * ((x[i] - mean) * rstd);
          }
        }
        let mg = lanesSum(sg, cx, py) / f32(hw);
        let mgx = lanesSum(sgx, cx, py) / f32(hw);
        if (valid) {
          for (var p = py; p < hw; p += ${IN_LANES}) {
            let i = base + p * c;
            let g = dy[i] * actGrad(y[i]);
            result[i] = rstd * (g - mg - (x[i] - mean) * rstd * mgx);
          }
        }`;
  return {
    outputShape: shape,
    shaderKey: `cgInstanceNorm_${kind}`,
    dispatchLayout: { x: [0], y: [1] },
    dispatch: [Math.ceil(c / IN_LANES), n, 1],
    variableNames: kind === 'fwd' ? ['x'] : ['x', 'y', 'dy'],
    uniforms: 'hw : i32, c : i32, act : i32, eps : f32, alpha : f32,',
    workgroupSize: [IN_LANES, IN_LANES, 1],
    getUserCode: () => `
      var<workgroup> red : array<f32, ${IN_LANES * IN_LANES}>;
      // Sum of v over the pixel lanes of channel lane cx (called from uniform control flow).
      fn lanesSum(v : f32, cx : i32, py : i32) -> f32 {
        red[py * ${IN_LANES} + cx] = v;
        workgroupBarrier();
        for (var s = ${IN_LANES / 2}; s > 0; s = s >> 1u) {
          if (py < s) { red[py * ${IN_LANES} + cx] = red[py * ${IN_LANES} + cx] + red[(py + s) * ${IN_LANES} + cx]; }
          workgroupBarrier();
        }
        let r = red[cx];
        workgroupBarrier();
        return r;
      }
      fn actGrad(yv : f32) -> f32 {
        if (uniforms.act == 1) { return select(0.0, 1.0, yv > 0.0); }
        if (uniforms.act == 2) { return select(uniforms.alpha, 1.0, yv > 0.0); }
        return 1.0;
      }
      fn main() {
        let cx = i32(localId.x);
        let py = i32(localId.y);
        let hw = uniforms.hw;
        let c = uniforms.c;
        let ch = i32(workgroupId.x) * ${IN_LANES} + cx;
        let valid = ch < c;
        let base = i32(workgroupId.y) * hw * c + ch;
        var s = 0.0;
        if (valid) { for (var p = py; p < hw; p += ${IN_LANES}) { s = s + x[base + p * c]; } }
        let mean = lanesSum(s, cx, py) / f32(hw);
        ${body}
      }
    `,
  };
}
