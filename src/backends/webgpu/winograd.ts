// Winograd F(2×2, 3×3) for the 3×3 stride-1 convolutions (Lavin & Gray 2015): each 2×2 block of outputs
// ("tile") comes from a 4×4 input patch d as Y = Aᵀ [Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B)] A, i.e. 16 position-wise GEMMs
// [tiles × Cin]·[Cin × Cout] instead of one [pixels × 9·Cin]·[9·Cin × Cout]: 16/36 of the multiplies (2.25×
// fewer), for three cheap memory-bound passes around the GEMM:
//   weights  U[ξ, k, n]    = (G g Gᵀ)[ξ]          g = W[·, ·, k, n] (fwd) or the flipped, in/out-swapped
//                                                  W[2 − ·, 2 − ·, n, k] (input gradient)
//   input    V[ξ, tile, c] = (Bᵀ d Bᵀᵀ)[ξ]         d read through a reflection or zero padding
//   GEMM     M[ξ] = V[ξ] · U[ξ]                   conv_tiled.ts's forward kernel, grid z over ξ (batchedGemm)
//   output   y[2×2 block]  = Aᵀ M A (+ bias, activation), partial tiles at odd edges cut off
// The transforms' constants are 0, ±1 and ±½: exact in f32, so the only extra rounding is the sums'.
// The weights are transformed on every call (9·Cin·Cout elements: small): training updates them in place
// (CGAdamInPlace), so a cache keyed by tensor would go stale.
// Opt-in (conv_gemm.ts's winogradOn): it has not yet been measured on a GPU (see that switch).
import { activationWGSL, ceilDiv, type FusedActivation, type GPUBackendLike, ints, floats, type Program,
  REFLECT_INDEX, type TensorInfo } from './program.js';
import { batchedGemm, type TileConfig } from './conv_tiled.js';

/** Positions of the 4×4 transformed tile: the 16 GEMMs. */
export const WINOGRAD_POSITIONS = 16;

/**
 * One Winograd convolution: `src` [batch, srcH, srcW, K] (K = the GEMM's reduction channels) read at
 * (2·tileRow − padT + i, 2·tileCol − padL + j), through a reflection of src (`reflect`) or zeros outside it;
 * output [batch, outH, outW, N]. `flip`: the filter is used flipped with its channel axes swapped (the
 * stride-1 input gradient as a forward convolution of dy), so filter is [3, 3, N, K]; else [3, 3, K, N].
 */
export interface WinogradGeom {
  batch: number; srcH: number; srcW: number; K: number; N: number; outH: number; outW: number;
  padT: number; padL: number; reflect: boolean; flip: boolean;
}

function weightProgram(K: number, N: number, flip: boolean): Program {
  return {
    outputShape: [WINOGRAD_POSITIONS, K, N],
    shaderKey: `cgWinogradWeights${flip ? 'Flip' : ''}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [ceilDiv(K * N, 64), 1, 1],
    variableNames: ['W'],
    uniforms: 'wK : i32, wN : i32,',
    workgroupSize: [64, 1, 1],
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.wK * uniforms.wN) { return; }
        let n = index % uniforms.wN;
        let k = index / uniforms.wN;
        var g : array<f32, 9>;
        for (var a = 0; a < 3; a++) {
          for (var b = 0; b < 3; b++) {
            ${flip
              // W [3, 3, N, K]: tap (2 − a, 2 − b), input channel n, output channel k
              ? 'g[a * 3 + b] = W[(((2 - a) * 3 + (2 - b)) * uniforms.wN + n) * uniforms.wK + k];'
              : 'g[a * 3 + b] = W[((a * 3 + b) * uniforms.wK + k) * uniforms.wN + n];'}
          }
        }
        // t = G g (4×3), G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
        var t : array<f32, 12>;
        for (var j = 0; j < 3; j++) {
          t[j] = g[j];
          t[3 + j] = 0.5 * (g[j] + g[3 + j] + g[6 + j]);
          t[6 + j] = 0.5 * (g[j] - g[3 + j] + g[6 + j]);
          t[9 + j] = g[6 + j];
        }
        // U = t Gᵀ (4×4)
        let stride = uniforms.wK * uniforms.wN;
        for (var i = 0; i < 4; i++) {
          let r0 = t[i * 3]; let r1 = t[i * 3 + 1]; let r2 = t[i * 3 + 2];
          result[(i * 4) * stride + index] = r0;
          result[(i * 4 + 1) * stride + index] = 0.5 * (r0 + r1 + r2);
          result[(i * 4 + 2) * stride + index] = 0.5 * (r0 - r1 + r2);
          result[(i * 4 + 3) * stride + index] = r2;
        }
      }
    `,
  };
}

const IO_UNIFORMS = 'tB : i32, tSrcH : i32, tSrcW : i32, tC4 : i32, tilesH : i32, tilesW : i32, tPadT : i32, ' +
  'tPadL : i32, tP : i32, tOutH : i32, tOutW : i32, alpha : f32,';

function ioUniforms(g: WinogradGeom, C: number, alpha = 0) {
  const tilesH = ceilDiv(g.outH, 2), tilesW = ceilDiv(g.outW, 2);
  return [...ints(g.batch, g.srcH, g.srcW, C / 4, tilesH, tilesW, g.padT, g.padL, g.batch * tilesH * tilesW, g.outH,
    g.outW), ...floats(alpha)];
}

/** One thread per (tile, 4 channels): 16 vec4 reads of the patch, 16 vec4 writes (one per position). */
function inputProgram(P: number, C: number, reflect: boolean): Program & { variableComponents: number[]; outputComponent: number } {
  const at = (v: string, n: string) => (reflect ? `reflectIndex(${v}, ${n})` : v);
  return {
    outputShape: [WINOGRAD_POSITIONS, P, C],
    shaderKey: `cgWinogradInput${reflect ? 'Reflect' : ''}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [ceilDiv(P * C / 4, 64), 1, 1],
    variableNames: ['x'],
    variableComponents: [4],
    outputComponent: 4,
    uniforms: IO_UNIFORMS,
    workgroupSize: [64, 1, 1],
    getUserCode: () => `
      ${reflect ? REFLECT_INDEX : ''}
      fn main(index : i32) {
        if (index >= uniforms.tP * uniforms.tC4) { return; }
        let c4 = index % uniforms.tC4;
        let p = index / uniforms.tC4;
        let tw = p % uniforms.tilesW;
        let r = p / uniforms.tilesW;
        let th = r % uniforms.tilesH;
        let b = r / uniforms.tilesH;
        let h0 = th * 2 - uniforms.tPadT;
        let w0 = tw * 2 - uniforms.tPadL;
        // Past the source (zero padding, or rows only a cut-off output of a partial tile reads): zero.
        var d : array<vec4<f32>, 16>;
        for (var i = 0; i < 4; i++) {
          let h = ${at('h0 + i', 'uniforms.tSrcH')};
          for (var j = 0; j < 4; j++) {
            let w = ${at('w0 + j', 'uniforms.tSrcW')};
            var v = vec4<f32>(0.0);
            if (h >= 0 && h < uniforms.tSrcH && w >= 0 && w < uniforms.tSrcW) {
              v = x[((b * uniforms.tSrcH + h) * uniforms.tSrcW + w) * uniforms.tC4 + c4];
            }
            d[i * 4 + j] = v;
          }
        }
        // Bᵀ d, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
        var t : array<vec4<f32>, 16>;
        for (var j = 0; j < 4; j++) {
          t[j] = d[j] - d[8 + j];
          t[4 + j] = d[4 + j] + d[8 + j];
          t[8 + j] = d[8 + j] - d[4 + j];
          t[12 + j] = d[4 + j] - d[12 + j];
        }
        // (Bᵀ d) B: the same combinations along each row
        let stride = uniforms.tP * uniforms.tC4;
        for (var i = 0; i < 4; i++) {
          let q = i * 4;
          result[q * stride + index] = t[q] - t[q + 2];
          result[(q + 1) * stride + index] = t[q + 1] + t[q + 2];
          result[(q + 2) * stride + index] = t[q + 2] - t[q + 1];
          result[(q + 3) * stride + index] = t[q + 1] - t[q + 3];
        }
      }
    `,
  };
}

/** One thread per (tile, 4 channels): Aᵀ M A, Aᵀ = [1 1 1 0; 0 1 −1 −1], + bias, activation; in-bounds pixels only. */
function outputProgram(g: WinogradGeom, P: number, hasBias: boolean, act: FusedActivation):
    Program & { variableComponents: number[]; outputComponent: number } {
  return {
    outputShape: [g.batch, g.outH, g.outW, g.N],
    shaderKey: `cgWinogradOutput_${hasBias ? 'b' : ''}${act}`,
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: [ceilDiv(P * g.N / 4, 64), 1, 1],
    variableNames: hasBias ? ['m', 'bias'] : ['m'],
    variableComponents: hasBias ? [4, 4] : [4],
    outputComponent: 4,
    uniforms: IO_UNIFORMS,
    workgroupSize: [64, 1, 1],
    getUserCode: () => `
      fn actf(r : f32) -> f32 { return ${activationWGSL(act, 'r')}; }
      fn put(b : i32, h : i32, w : i32, c4 : i32, v : vec4<f32>) {
        if (h < uniforms.tOutH && w < uniforms.tOutW) {
          let r = ${hasBias ? 'v + bias[c4]' : 'v'};
          result[((b * uniforms.tOutH + h) * uniforms.tOutW + w) * uniforms.tC4 + c4] =
            vec4<f32>(actf(r.x), actf(r.y), actf(r.z), actf(r.w));
        }
      }
      fn main(index : i32) {
        if (index >= uniforms.tP * uniforms.tC4) { return; }
        let c4 = index % uniforms.tC4;
        let p = index / uniforms.tC4;
        let tw = p % uniforms.tilesW;
        let r = p / uniforms.tilesW;
        let th = r % uniforms.tilesH;
        let b = r / uniforms.tilesH;
        let stride = uniforms.tP * uniforms.tC4;
        // Aᵀ M (2×4), then (Aᵀ M) A (2×2)
        var t : array<vec4<f32>, 8>;
        for (var j = 0; j < 4; j++) {
          let m0 = m[j * stride + index];
          let m1 = m[(4 + j) * stride + index];
          let m2 = m[(8 + j) * stride + index];
          let m3 = m[(12 + j) * stride + index];
          t[j] = m0 + m1 + m2;
          t[4 + j] = m1 - m2 - m3;
        }
        for (var i = 0; i < 2; i++) {
          let q = i * 4;
          put(b, th * 2 + i, tw * 2, c4, t[q] + t[q + 1] + t[q + 2]);
          put(b, th * 2 + i, tw * 2 + 1, c4, t[q + 1] - t[q + 2] - t[q + 3]);
        }
      }
    `,
  };
}

/**
 * Runs the four passes (weights, input, the batched GEMM with tile configuration `cfg`, output); 4
 * dispatches where the direct convolution takes one (or two with a split reduction). K and N must be
 * multiples of 4, K of cfg.TK.
 */
export function runWinograd(backend: GPUBackendLike, src: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined,
                            act: FusedActivation, alpha: number, g: WinogradGeom, cfg: TileConfig): TensorInfo {
  const P = g.batch * ceilDiv(g.outH, 2) * ceilDiv(g.outW, 2);
  const U = backend.runWebGPUProgram(weightProgram(g.K, g.N, g.flip), [filter], 'float32', ints(g.K, g.N));
  const V = backend.runWebGPUProgram(inputProgram(P, g.K, g.reflect), [src], 'float32', ioUniforms(g, g.K));
  const gemm = batchedGemm(cfg, WINOGRAD_POSITIONS, P, g.N, g.K);
  const M = backend.runWebGPUProgram(gemm.program, [V, U], 'float32', gemm.uniforms);
  backend.disposeData(V.dataId);
  backend.disposeData(U.dataId);
  const y = backend.runWebGPUProgram(outputProgram(g, P, bias !== undefined, act), bias ? [M, bias] : [M], 'float32',
    ioUniforms(g, g.N, alpha));
  backend.disposeData(M.dataId);
  return y;
}
