// Winograd convolution F(m×m, 3×3) for the 3×3 stride-1 convolutions (Lavin & Gray 2015): each m×m block of
// outputs ("tile") comes from an n×n input patch d (n = m + 2) as Y = Aᵀ [Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B)] A, i.e. n²
// position-wise GEMMs [tiles × Cin]·[Cin × Cout] instead of one [pixels × 9·Cin]·[9·Cin × Cout]: F(2×2) does
// 16/36 of the multiplies (2.25× fewer), F(4×4) 36/144 (4×), for three memory-bound passes around the GEMM:
//   weights  U[ξ, k, n]    = (G g Gᵀ)[ξ]          g = W[·, ·, k, n] (fwd) or the flipped, in/out-swapped
//                                                  W[2 − ·, 2 − ·, n, k] (input gradient)
//   input    V[ξ, tile, c] = (Bᵀ d B)[ξ]          d read through a reflection or zero padding
//   GEMM     M[ξ] = V[ξ] · U[ξ]                   conv_tiled.ts's forward kernel, grid z over ξ (batchedGemm)
//   output   y[m×m block]  = Aᵀ M A (+ bias, activation), partial tiles at the edges cut off
// The filter gradient (runWinogradFilter) differentiates that forward: Y is linear in U = G g Gᵀ, so a tile with
// output gradient e (m×m) gives dL/dU[ξ] = (A e Aᵀ)[ξ] · (Bᵀ d B)[ξ] and dL/dg = Gᵀ (dL/dU) G; over the layer
//   input    V[ξ, tile, ci] = (Bᵀ d B)[ξ]         the forward's input pass (d through the reflection or zeros)
//   dy       E[ξ, tile, co] = (A e Aᵀ)[ξ]         e: dy's m×m block, zero past the image (the cut-off outputs)
//   GEMM     M[ξ] = V[ξ]ᵀ · E[ξ]                  [Cin × tiles]·[tiles × Cout], the tile reduction split across
//                                                  workgroups (conv_tiled.ts's filter-gradient kernel, batchedWgradGemm)
//   weights  dW[·, ·, ci, co] = Gᵀ (Σ_splits M) G  n×n → 3×3
// The transforms are unrolled from the matrices (WinogradAlgo) into the shaders at compile time.
// The weights are transformed on every call (n²·Cin·Cout elements: small): training updates them in place
// (CGAdamInPlace), so a cache keyed by tensor would go stale.
// When it is used: conv_gemm.ts's winogradTile (the switch, its default and why).
import { activationWGSL, ceilDiv, type FusedActivation, type GPUBackendLike, ints, floats, type Program,
  REFLECT_INDEX, reflectAt, type TensorInfo } from './program.js';
import { batchedGemm, batchedWgradGemm, type TileConfig } from './conv_tiled.js';

/**
 * One Winograd algorithm F(m×m, 3×3): output tile m×m from an n×n input patch (n = m + 2), n² position-wise
 * GEMMs; Bᵀ (n×n), G (n×3), Aᵀ (m×n) as in Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"
 * (2015). F(2×2): constants 0, ±1, ±½ (exact in f32), 2.25× fewer multiplies than the direct convolution;
 * F(4×4): 4× fewer, constants up to 8 and down to 1/24, so more rounding (the tests measure it).
 */
export interface WinogradAlgo { m: 2 | 4; n: number; BT: number[][]; G: number[][]; AT: number[][] }

export const F2x2: WinogradAlgo = {
  m: 2, n: 4,
  BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
};

export const F4x4: WinogradAlgo = {
  m: 4, n: 6,
  BT: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1]],
  G: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1]],
  AT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
};

/** Σ c_k · term(k) over the non-zero coefficients, as WGSL (±1 without a multiply). */
function lin(coeffs: number[], term: (k: number) => string): string {
  let out = '';
  coeffs.forEach((c, k) => {
    if (c === 0) return;
    const mag = Math.abs(c);
    const t = mag === 1 ? term(k) : `${Number.isInteger(mag) ? mag.toFixed(1) : String(mag)} * ${term(k)}`;
    out += out === '' ? (c < 0 ? `-${t}` : t) : (c < 0 ? ` - ${t}` : ` + ${t}`);
  });
  return out === '' ? '0.0' : out;
}

/**
 * X · Y · Zᵀ unrolled for constant X (r×k) and Z (c×l), Y given as `y(i, j)` (k×l): lets t<i>_<j> (X·Y) then
 * `emit(i, j, expression)` for each of the r×c results.
 */
function sandwich(X: number[][], Z: number[][], y: (i: number, j: number) => string, prefix: string,
                  emit: (i: number, j: number, e: string) => string): string {
  const lines: string[] = [];
  const l = Z[0].length;
  X.forEach((row, i) => {
    for (let j = 0; j < l; j++) lines.push(`let ${prefix}${i}_${j} = ${lin(row, (k) => y(k, j))};`);
  });
  X.forEach((_, i) => Z.forEach((zrow, j) => lines.push(emit(i, j, lin(zrow, (k) => `${prefix}${i}_${k}`)))));
  return lines.join('\n        ');
}

function weightProgram(a: WinogradAlgo, K: number, N: number, flip: boolean): Program {
  const n2 = a.n * a.n;
  return {
    outputShape: [n2, K, N],
    shaderKey: `cgWinograd${a.m}Weights${flip ? 'Flip' : ''}`,
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
        // U = G g Gᵀ
        let stride = uniforms.wK * uniforms.wN;
        ${sandwich(a.G, a.G, (i, j) => `g[${i * 3 + j}]`, 't', (i, j, e) => `result[${i * a.n + j} * stride + index] = ${e};`)}
      }
    `,
  };
}

/**
 * One Winograd convolution: `src` [batch, srcH, srcW, K] (K = the GEMM's reduction channels) read at
 * (m·tileRow − padT + i, m·tileCol − padL + j), through a reflection of src (`reflect`) or zeros outside it;
 * output [batch, outH, outW, N]. `flip`: the filter is used flipped with its channel axes swapped (the
 * stride-1 input gradient as a forward convolution of dy), so filter is [3, 3, N, K]; else [3, 3, K, N].
 */
export interface WinogradGeom {
  batch: number; srcH: number; srcW: number; K: number; N: number; outH: number; outW: number;
  padT: number; padL: number; reflect: boolean; flip: boolean;
}

const IO_UNIFORMS = 'tB : i32, tSrcH : i32, tSrcW : i32, tC4 : i32, tilesH : i32, tilesW : i32, tPadT : i32, ' +
  'tPadL : i32, tP : i32, tOutH : i32, tOutW : i32, alpha : f32,';

/** The output's tiles: rows, columns, and all of them over the batch (P, the batched GEMM's M). */
type Tiles = { h: number; w: number; P: number };

function ioUniforms(g: Omit<WinogradGeom, 'flip'>, t: Tiles, C: number, alpha = 0) {
  return [...ints(g.batch, g.srcH, g.srcW, C / 4, t.h, t.w, g.padT, g.padL, t.P, g.outH, g.outW), ...floats(alpha)];
}

/** A thread's (tile, 4 channels) from its index: (image b, tile row th, tile column tw, channel group c4). */
const TILE_AT = `fn tileAt(index : i32) -> vec4<i32> {
  let c4 = index % uniforms.tC4;
  let p = index / uniforms.tC4;
  let tw = p % uniforms.tilesW;
  let r = p / uniforms.tilesW;
  return vec4<i32>(r / uniforms.tilesH, r % uniforms.tilesH, tw, c4);
}`;

/**
 * A pass of one thread per (tile, 4 channels) that writes an n×n transform of its tile's block as n² vec4s, one
 * per position, into [n², P, C] (the input pass's V, the filter gradient's dy pass's E). `body` (WGSL, built at
 * compile time) has b, c4 and the tile t = (b, tile row, tile column, c4) and writes result[ξ · stride + index].
 */
function tilePass(key: string, variable: string, n: number, P: number, C: number, body: () => string, prelude = ''):
    Program & { variableComponents: number[]; outputComponent: number } {
  return {
    outputShape: [n * n, P, C],
    shaderKey: key,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [ceilDiv(P * C / 4, 64), 1, 1],
    variableNames: [variable],
    variableComponents: [4],
    outputComponent: 4,
    uniforms: IO_UNIFORMS,
    workgroupSize: [64, 1, 1],
    getUserCode: () => `
      ${prelude}
      ${TILE_AT}
      fn main(index : i32) {
        if (index >= uniforms.tP * uniforms.tC4) { return; }
        let t = tileAt(index);
        let b = t.x;
        let c4 = t.w;
        let stride = uniforms.tP * uniforms.tC4;
        ${body()}
      }
    `,
  };
}

/** The input pass: n² vec4 reads of the tile's patch (through the reflection or zeros), V = Bᵀ d B. */
function inputProgram(a: WinogradAlgo, P: number, C: number, reflect: boolean) {
  const at = reflectAt(reflect);
  const n = a.n;
  return tilePass(`cgWinograd${a.m}Input${reflect ? 'Reflect' : ''}`, 'x', n, P, C, () => `
        let h0 = t.y * ${a.m} - uniforms.tPadT;
        let w0 = t.z * ${a.m} - uniforms.tPadL;
        // Past the source (zero padding, or rows only a cut-off output of a partial tile reads): zero.
        var d : array<vec4<f32>, ${n * n}>;
        for (var i = 0; i < ${n}; i++) {
          let h = ${at('h0 + i', 'uniforms.tSrcH')};
          for (var j = 0; j < ${n}; j++) {
            let w = ${at('w0 + j', 'uniforms.tSrcW')};
            var v = vec4<f32>(0.0);
            if (h >= 0 && h < uniforms.tSrcH && w >= 0 && w < uniforms.tSrcW) {
              v = x[((b * uniforms.tSrcH + h) * uniforms.tSrcW + w) * uniforms.tC4 + c4];
            }
            d[i * ${n} + j] = v;
          }
        }
        // V = Bᵀ d B
        ${sandwich(a.BT, a.BT, (i, j) => `d[${i * n + j}]`, 't', (i, j, e) => `result[${i * n + j} * stride + index] = ${e};`)}`,
  reflect ? REFLECT_INDEX : '');
}

/** One thread per (tile, 4 channels): Aᵀ M A (+ bias, activation); in-bounds pixels only. */
function outputProgram(a: WinogradAlgo, g: WinogradGeom, P: number, hasBias: boolean, act: FusedActivation):
    Program & { variableComponents: number[]; outputComponent: number } {
  const n = a.n;
  return {
    outputShape: [g.batch, g.outH, g.outW, g.N],
    shaderKey: `cgWinograd${a.m}Output_${hasBias ? 'b' : ''}${act}`,
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
      ${TILE_AT}
      fn main(index : i32) {
        if (index >= uniforms.tP * uniforms.tC4) { return; }
        let t = tileAt(index);
        let b = t.x;
        let c4 = t.w;
        let stride = uniforms.tP * uniforms.tC4;
        var mv : array<vec4<f32>, ${n * n}>;
        for (var i = 0; i < ${n * n}; i++) { mv[i] = m[i * stride + index]; }
        let h0 = t.y * ${a.m};
        let w0 = t.z * ${a.m};
        // y = Aᵀ M A
        ${sandwich(a.AT, a.AT, (i, j) => `mv[${i * n + j}]`, 't', (i, j, e) => `put(b, h0 + ${i}, w0 + ${j}, c4, ${e});`)}
      }
    `,
  };
}

/**
 * Runs the four passes (weights, input, the batched GEMM with tile configuration `cfg`, output) of algorithm
 * `a`; 4 dispatches where the direct convolution takes one (or two with a split reduction). K and N must be
 * multiples of 4, K of cfg.TK.
 */
export function runWinograd(backend: GPUBackendLike, a: WinogradAlgo, src: TensorInfo, filter: TensorInfo,
                            bias: TensorInfo | undefined, act: FusedActivation, alpha: number, g: WinogradGeom,
                            cfg: TileConfig): TensorInfo {
  const h = ceilDiv(g.outH, a.m), w = ceilDiv(g.outW, a.m);
  const tiles: Tiles = { h, w, P: g.batch * h * w };
  const U = backend.runWebGPUProgram(weightProgram(a, g.K, g.N, g.flip), [filter], 'float32', ints(g.K, g.N));
  const V = backend.runWebGPUProgram(inputProgram(a, tiles.P, g.K, g.reflect), [src], 'float32', ioUniforms(g, tiles, g.K));
  const gemm = batchedGemm(cfg, a.n * a.n, tiles.P, g.N, g.K);
  const M = backend.runWebGPUProgram(gemm.program, [V, U], 'float32', gemm.uniforms);
  backend.disposeData(V.dataId);
  backend.disposeData(U.dataId);
  const y = backend.runWebGPUProgram(outputProgram(a, g, tiles.P, bias !== undefined, act), bias ? [M, bias] : [M], 'float32',
    ioUniforms(g, tiles, g.N, alpha));
  backend.disposeData(M.dataId);
  return y;
}

const transpose = (X: number[][]): number[][] => X[0].map((_, j) => X.map((row) => row[j]));

/**
 * The filter gradient's dy pass: E = A e Aᵀ of dy's m×m block (zeros past dy's edge: the outputs a partial tile
 * cuts off have no gradient), laid out as the input pass's V.
 */
function gradProgram(a: WinogradAlgo, P: number, C: number) {
  const n = a.n, m = a.m;
  return tilePass(`cgWinograd${m}Grad`, 'dy', n, P, C, () => {
    const A = transpose(a.AT);
    return `
        let h0 = t.y * ${m};
        let w0 = t.z * ${m};
        var e : array<vec4<f32>, ${m * m}>;
        for (var i = 0; i < ${m}; i++) {
          for (var j = 0; j < ${m}; j++) {
            var v = vec4<f32>(0.0);
            if (h0 + i < uniforms.tSrcH && w0 + j < uniforms.tSrcW) {
              v = dy[((b * uniforms.tSrcH + h0 + i) * uniforms.tSrcW + w0 + j) * uniforms.tC4 + c4];
            }
            e[i * ${m} + j] = v;
          }
        }
        // E = A e Aᵀ
        ${sandwich(A, A, (i, j) => `e[${i * m + j}]`, 't', (i, j, e) => `result[${i * n + j} * stride + index] = ${e};`)}`;
  });
}

/**
 * The filter gradient's weight pass, one thread per (input channel, 4 output channels): sums the GEMM's
 * splits of each position, then dW = Gᵀ M G (n×n → 3×3) into [3, 3, K, N].
 */
function weightGradProgram(a: WinogradAlgo, K: number, N: number): Program & { variableComponents: number[]; outputComponent: number } {
  const n = a.n, n2 = n * n;
  return {
    outputShape: [3, 3, K, N],
    shaderKey: `cgWinograd${a.m}WeightGrad`,
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: [ceilDiv(K * N / 4, 64), 1, 1],
    variableNames: ['partial'],
    variableComponents: [4],
    outputComponent: 4,
    uniforms: 'wK : i32, wN4 : i32, wSplits : i32,',
    workgroupSize: [64, 1, 1],
    getUserCode: () => {
      const GT = transpose(a.G);
      return `
      fn main(index : i32) {
        let kn = uniforms.wK * uniforms.wN4;
        if (index >= kn) { return; }
        // partial [n², splits, K, N]
        var mv : array<vec4<f32>, ${n2}>;
        for (var x = 0; x < ${n2}; x++) {
          var s = vec4<f32>(0.0);
          for (var z = 0; z < uniforms.wSplits; z++) { s = s + partial[(x * uniforms.wSplits + z) * kn + index]; }
          mv[x] = s;
        }
        // dW = Gᵀ M G
        ${sandwich(GT, GT, (i, j) => `mv[${i * n + j}]`, 't', (i, j, e) => `result[${i * 3 + j} * kn + index] = ${e};`)}
      }
    `;
    },
  };
}

/**
 * The filter gradient of a 3×3 stride-1 convolution (K input, N output channels, both multiples of 4) on the
 * Winograd path: `x` [batch, srcH, srcW, K] read as the forward reads it (`g.reflect`, padT/padL), `dy`
 * [batch, outH, outW, N]; the tile reduction (over the batch too) cut in `split.splits` slices `split.kChunk`
 * tiles long (conv_gemm.ts splitReduction) of the batched GEMM (tile configuration `cfg`). 4 dispatches (input,
 * dy, GEMM, weights) where the direct kernel takes 2.
 */
export function runWinogradFilter(backend: GPUBackendLike, a: WinogradAlgo, x: TensorInfo, dy: TensorInfo,
                                  g: Omit<WinogradGeom, 'flip'>, cfg: TileConfig,
                                  split: { splits: number; kChunk: number }): TensorInfo {
  const h = ceilDiv(g.outH, a.m), w = ceilDiv(g.outW, a.m);
  const tiles: Tiles = { h, w, P: g.batch * h * w };
  const V = backend.runWebGPUProgram(inputProgram(a, tiles.P, g.K, g.reflect), [x], 'float32', ioUniforms(g, tiles, g.K));
  const E = backend.runWebGPUProgram(gradProgram(a, tiles.P, g.N), [dy], 'float32',
    ioUniforms({ ...g, srcH: g.outH, srcW: g.outW, padT: 0, padL: 0 }, tiles, g.N));
  if (split.splits !== ceilDiv(tiles.P, split.kChunk)) {
    throw new Error(`runWinogradFilter: ${split.splits} slices of ${split.kChunk} for ${tiles.P} tiles`);
  }
  const gemm = batchedWgradGemm(cfg, a.n * a.n, g.K, g.N, tiles.P, split.kChunk);
  const M = backend.runWebGPUProgram(gemm.program, [V, E], 'float32', gemm.uniforms);
  backend.disposeData(V.dataId);
  backend.disposeData(E.dataId);
  const dW = backend.runWebGPUProgram(weightGradProgram(a, g.K, g.N), [M], 'float32', ints(g.K, g.N / 4, split.splits));
  backend.disposeData(M.dataId);
  return dW;
}
