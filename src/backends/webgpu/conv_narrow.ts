// Convolutions whose GEMM N side is 1 to 4 channels (the generator's last 7×7 layer, 64 → 3, and the input
// gradient of its first, 3 ← 64): a 64-column GEMM block would compute 16 to 64 columns for 3. Here one
// thread computes all N outputs of one pixel, reading its window's channels as vec4s, with the weights of
// one tap at a time staged in workgroup memory (read by every thread of the workgroup):
//   fwd   y[pixel, n]  = Σ_(kh,kw,c) x[pixel·s − pad + k·dil, c] · W[kh,kw,c,n]        (+ bias, activation)
//   dgrad dx[pixel, n] = Σ_(kh,kw,c) dy[pixel + pad − k, c] · W[kh,kw,n,c]              (stride 1, no dilation)
// and the filter gradient of such a layer, dW[(kh,kw,c), n] = Σ_pixels x[pixel·s − pad + k, c] · dy[pixel, n],
// one thread per (tap, 4 input channels) over a slice of the pixels (the slices summed by conv_gemm.ts's
// reduction), the slice's dy values staged in workgroup memory.
import { activationWGSL, fields, REFLECT_INDEX, reflectAt, type FusedActivation, type Program } from './program.js';

export const NARROW_WG = 128;
/** Pixels of dy staged at a time by the filter-gradient kernel. */
const WG_PIXELS = 128;
const NARROW_FIELDS = ['M', 'N', 'C', 'srcH', 'srcW', 'outH', 'outW', 'kH', 'kW', 'strideH', 'strideW',
  'padT', 'padL', 'dilH', 'dilW', 'kChunk', 'K'];

export type NarrowMode = 'fwd' | 'dgrad';

/** Largest channel count C on the reduction side: the staged tap is N·C floats (at most 4·512 = 8 KB). */
export const NARROW_MAX_C = 512;

export function narrowProgram(mode: NarrowMode, N: number, outputShape: number[], dispatch: [number, number, number],
                              hasBias: boolean, act: FusedActivation, reflect = false):
    Program & { variableComponents: number[] } {
  const names = mode === 'fwd' ? (hasBias ? ['x', 'W', 'bias'] : ['x', 'W']) : ['dy', 'W'];
  const src = mode === 'fwd' ? 'x' : 'dy';
  // Weight (c, n) of tap t: fwd W[t][c][n], dgrad W[t][n][c].
  const wIndex = mode === 'fwd' ? '(t * uniforms.C + c) * uniforms.N + n' : '(t * uniforms.N + n) * uniforms.C + c';
  // reflect (fwd): srcH/srcW are the unpadded source's, padT/padL the reflection's
  const at = reflectAt(reflect);
  const pos = mode === 'fwd'
    ? `let h = ${at('oh * uniforms.strideH - uniforms.padT + kh * uniforms.dilH', 'uniforms.srcH')};
            let w = ${at('ow * uniforms.strideW - uniforms.padL + kw * uniforms.dilW', 'uniforms.srcW')};`
    : `let h = oh + uniforms.padT - kh;
            let w = ow + uniforms.padL - kw;`;
  return {
    outputShape,
    shaderKey: `cgConvNarrow_${mode}${reflect ? 'Reflect' : ''}_${N}_${hasBias ? 'b' : ''}${act}`,
    dispatchLayout: { x: [0], y: [1] },
    dispatch,
    variableNames: names,
    variableComponents: names.map((n) => (n === 'W' || n === 'bias' ? 1 : 4)),
    uniforms: fields('i32', NARROW_FIELDS) + 'alpha : f32,',
    workgroupSize: [NARROW_WG, 1, 1],
    getUserCode: () => `
      var<workgroup> wt : array<vec4<f32>, ${N * NARROW_MAX_C / 4}>;
      ${reflect ? REFLECT_INDEX : ''}
      fn main() {
        let tid = i32(localId.x);
        let m = i32(workgroupId.x) * ${NARROW_WG} + tid;
        let hw = uniforms.outH * uniforms.outW;
        let b = m / hw;
        let r = m - b * hw;
        let oh = r / uniforms.outW;
        let ow = r - oh * uniforms.outW;
        let C4 = uniforms.C / 4;
        var acc : array<f32, ${N}>;
        var kh = 0;
        var kw = 0;
        for (var t = 0; t < uniforms.kH * uniforms.kW; t++) {
          workgroupBarrier();
          for (var e = tid; e < ${N} * uniforms.C; e += ${NARROW_WG}) {
            let n = e / uniforms.C;
            let c = e - n * uniforms.C;
            wt[n * C4 + c / 4][c % 4] = W[${wIndex}];
          }
          workgroupBarrier();
          if (m < uniforms.M) {
            ${pos}
            if (h >= 0 && h < uniforms.srcH && w >= 0 && w < uniforms.srcW) {
              let base = ((b * uniforms.srcH + h) * uniforms.srcW + w) * C4;
              for (var c4 = 0; c4 < C4; c4++) {
                let v = ${src}[base + c4];
                for (var n = 0; n < ${N}; n++) { acc[n] = acc[n] + dot(v, wt[n * C4 + c4]); }
              }
            }
          }
          kw = kw + 1;
          if (kw == uniforms.kW) { kw = 0; kh = kh + 1; }
        }
        if (m < uniforms.M) {
          for (var n = 0; n < ${N}; n++) {
            let s = acc[n]${hasBias ? ' + bias[n]' : ''};
            result[m * ${N} + n] = ${activationWGSL(act, 's')};
          }
        }
      }
    `,
  };
}

/**
 * dW of a layer with N ≤ 4 output channels and C % 4 == 0 input channels: output [splits, taps·C, N],
 * grid (ceil(taps·C/4 / 64), splits), each workgroup one slice of kChunk output pixels.
 */
export function narrowWgradProgram(N: number, outputShape: number[], dispatch: [number, number, number],
                                   reflect = false): Program & { variableComponents: number[] } {
  const WG = 64;
  // reflect: srcH/srcW are the unpadded source's, padT/padL the reflection's
  const at = reflectAt(reflect);
  return {
    outputShape,
    shaderKey: `cgConvNarrowWgrad${reflect ? 'Reflect' : ''}_${N}`,
    dispatchLayout: { x: [0], y: [1] },
    dispatch,
    variableNames: ['x', 'dy'],
    variableComponents: [4, 1],
    uniforms: fields('i32', NARROW_FIELDS) + 'alpha : f32,',
    workgroupSize: [WG, 1, 1],
    getUserCode: () => `
      var<workgroup> dys : array<f32, ${WG_PIXELS * N}>;
      ${reflect ? REFLECT_INDEX : ''}
      fn main() {
        let tid = i32(localId.x);
        let m4 = i32(workgroupId.x) * ${WG} + tid;
        let C4 = uniforms.C / 4;
        let tap = m4 / C4;
        let c4 = m4 - tap * C4;
        let kh = tap / uniforms.kW;
        let hOff = kh * uniforms.dilH - uniforms.padT;
        let wOff = (tap - kh * uniforms.kW) * uniforms.dilW - uniforms.padL;
        let ok = m4 * 4 < uniforms.M;
        let kBegin = i32(workgroupId.y) * uniforms.kChunk;
        let kEnd = min(uniforms.K, kBegin + uniforms.kChunk);
        var acc : array<vec4<f32>, ${N}>;
        let hw = uniforms.outH * uniforms.outW;
        // Trip count from uniforms only (workgroupId is a private copy to WGSL's uniformity analysis).
        for (var s = 0; s < uniforms.kChunk; s += ${WG_PIXELS}) {
          let p0 = kBegin + s;
          workgroupBarrier();
          for (var e = tid; e < ${WG_PIXELS * N}; e += ${WG}) {
            let k = p0 + e / ${N};
            var v = 0.0;
            if (k < kEnd) { v = dy[p0 * ${N} + e]; }
            dys[e] = v;
          }
          workgroupBarrier();
          if (ok && p0 < kEnd) {
            // the first pixel of the slice, then stepped without division
            var b = p0 / hw;
            let r = p0 - b * hw;
            var oh = r / uniforms.outW;
            var ow = r - oh * uniforms.outW;
            let count = min(${WG_PIXELS}, kEnd - p0);
            for (var i = 0; i < count; i++) {
              let h = ${at('oh * uniforms.strideH + hOff', 'uniforms.srcH')};
              let w = ${at('ow * uniforms.strideW + wOff', 'uniforms.srcW')};
              if (h >= 0 && h < uniforms.srcH && w >= 0 && w < uniforms.srcW) {
                let v = x[((b * uniforms.srcH + h) * uniforms.srcW + w) * C4 + c4];
                for (var n = 0; n < ${N}; n++) { acc[n] = fma(v, vec4<f32>(dys[i * ${N} + n]), acc[n]); }
              }
              ow = ow + 1;
              if (ow == uniforms.outW) { ow = 0; oh = oh + 1; if (oh == uniforms.outH) { oh = 0; b = b + 1; } }
            }
          }
        }
        if (ok) {
          let base = i32(workgroupId.y) * uniforms.M;
          for (var j = 0; j < 4; j++) {
            for (var n = 0; n < ${N}; n++) { result[(base + m4 * 4 + j) * ${N} + n] = acc[n][j]; }
          }
        }
      }
    `,
  };
}
