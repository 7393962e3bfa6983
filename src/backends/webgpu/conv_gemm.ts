// Convolutions as tiled implicit GEMM (no im2col buffer): each workgroup computes a 64×64 block of the
// product (64×16 for narrow layers, see tileN) with 16×16 threads holding 4×4 (4×1) accumulators, staging
// 16-deep slices of both operands in workgroup memory. The three convolution kernels differ only in how a GEMM element maps to tensors:
//   fwd   y[pixel, co]        = Σ_(kh,kw,ci) x[pixel·s + k − pad, ci] · W[kh,kw,ci,co]  (+ bias, activation)
//   dgrad dx[pixel, ci]       = Σ_(kh,kw,co) dy[(pixel + pad − k)/s, co] · W[kh,kw,ci,co] (also transposed conv)
//   wgrad dW[(kh,kw,ci), co]  = Σ_pixels x[pixel·s + k − pad, ci] · dy[pixel, co]
// When the output has too few 64×64 tiles to fill the GPU (wgrad, whose reduction runs over every output
// pixel of the batch, 65,536 at 256 px; and the discriminator's deep layers, with few pixels and long
// reductions) the reduction is split across workgroups (grid z), each writing a partial product, summed by
// a second small kernel that also applies fwd's bias and activation.
// Each operand tile is loaded with consecutive threads on the tensor's contiguous axis (coalesced).
import { tf } from '../../core/tf.js';
import { activationWGSL, ceilDiv, fields, floats, ints, REFLECT_INDEX, reflectAt, type FusedActivation, type GPUBackendLike, type Program,
  type TensorInfo, reduceSplits } from './program.js';
import { tiledProgram, validConfig, type TileConfig, type TiledMode } from './conv_tiled.js';
import { F2x2, F4x4, runWinograd, runWinogradFilter, type WinogradAlgo, type WinogradGeom } from './winograd.js';
import { envVar } from '../../core/limits.js';
import { NARROW_MAX_C, NARROW_WG, narrowProgram, narrowWgradProgram } from './conv_narrow.js';

export type GemmMode = 'fwd' | 'dgrad' | 'dgradPhase' | 'wgrad';

const TM = 64, TK = 16, THREADS = 16, PER = 4;
/**
 * Output channels per tile: 64, or 16 for layers with at most 16 (the 3-channel image layers, PatchGAN's
 * 1-channel output), which would otherwise compute 64 columns for 3 or 1.
 */
export const tileN = (n: number) => (n <= 16 ? 16 : 64);
/** Upper bound on wgrad's partial products (floats), to keep the split's scratch memory small. */
const MAX_PARTIAL_FLOATS = 1 << 23;
/** Enough workgroups to fill a large GPU (an H200 has 132 SMs). */
const TARGET_WORKGROUPS = 512;
/** Shortest slice of the pixel reduction worth a workgroup of its own. */
const MIN_CHUNK = 256;

const CONV_FIELDS = ['M', 'N', 'K', 'kChunk', 'kTiles', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'kH', 'kW',
  'strideH', 'strideW', 'padT', 'padL', 'dilH', 'dilW',
  // dgradPhase: the output pixels ih ≡ ih0, iw ≡ iw0 (mod stride), rowsH×rowsW of them per image, and the
  // only taps that reach them, kh = kh0 + stride·i (tapsH of them), likewise for w
  'ih0', 'iw0', 'rowsH', 'rowsW', 'kh0', 'kw0', 'tapsH', 'tapsW'];

/** Index arithmetic shared by the modes: decode a pixel row into (b, h, w) and a tap into (kh, kw, c). */
const DECODE = `
  fn decodePixel(m : i32, h : i32, w : i32) -> vec3<i32> {
    let hw = h * w;
    let b = m / hw;
    let r = m - b * hw;
    let y = r / w;
    return vec3<i32>(b, y, r - y * w);
  }
  fn decodeTap(k : i32, c : i32) -> vec3<i32> {
    let t = k / c;
    let kh = t / uniforms.kW;
    return vec3<i32>(kh, t - kh * uniforms.kW, k - t * c);
  }
`;

const PARTIAL_STORE = `fn store(m : i32, n : i32, v : f32) {
  result[(i32(workgroupId.z) * uniforms.M + m) * uniforms.N + n] = v;
}`;

function modeCode(mode: GemmMode, hasBias: boolean, act: FusedActivation, reflect: boolean): {
  rowA: string; loadA: string; loadB: string; aKFast: boolean; bKFast: boolean; store: string;
} {
  if (mode === 'fwd') {
    // reflect: inH/inW are the unpadded source's, padT/padL the reflection's; indices past a border mirror
    const at = reflectAt(reflect);
    const v = hasBias ? 'v + bias[n]' : 'v';
    return {
      aKFast: true, bKFast: false,
      // row: (image, top and left input corner of the output pixel's window)
      rowA: `fn rowA(m : i32) -> vec3<i32> {
        let p = decodePixel(m, uniforms.outH, uniforms.outW);
        return vec3<i32>(p.x, p.y * uniforms.strideH - uniforms.padT, p.z * uniforms.strideW - uniforms.padL);
      }`,
      loadA: `fn loadA(r : vec3<i32>, k : i32) -> f32 {
        let t = decodeTap(k, uniforms.inC);
        let ih = ${at('r.y + t.x * uniforms.dilH', 'uniforms.inH')};
        let iw = ${at('r.z + t.y * uniforms.dilW', 'uniforms.inW')};
        if (ih < 0 || ih >= uniforms.inH || iw < 0 || iw >= uniforms.inW) { return 0.0; }
        return x[((r.x * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + t.z];
      }`,
      loadB: `fn loadB(k : i32, n : i32) -> f32 { return W[k * uniforms.N + n]; }`,
      store: `fn store(m : i32, n : i32, v : f32) { let r = ${v}; result[m * uniforms.N + n] = ${activationWGSL(act, 'r')}; }`,
    };
  }
  if (mode === 'dgrad') {
    return {
      aKFast: true, bKFast: true,
      // row: (image, padded input position)
      rowA: `fn rowA(m : i32) -> vec3<i32> {
        let p = decodePixel(m, uniforms.inH, uniforms.inW);
        return vec3<i32>(p.x, p.y + uniforms.padT, p.z + uniforms.padL);
      }`,
      loadA: `fn loadA(p : vec3<i32>, k : i32) -> f32 {
        let t = decodeTap(k, uniforms.outC);
        let nh = p.y - t.x * uniforms.dilH;
        let nw = p.z - t.y * uniforms.dilW;
        if (nh < 0 || nw < 0) { return 0.0; }
        let oh = nh / uniforms.strideH;
        let ow = nw / uniforms.strideW;
        if (oh * uniforms.strideH != nh || ow * uniforms.strideW != nw || oh >= uniforms.outH || ow >= uniforms.outW) {
          return 0.0;
        }
        return dy[((p.x * uniforms.outH + oh) * uniforms.outW + ow) * uniforms.outC + t.z];
      }`,
      loadB: `fn loadB(k : i32, n : i32) -> f32 {
        let t = k / uniforms.outC;
        return W[(t * uniforms.inC + n) * uniforms.outC + (k - t * uniforms.outC)];
      }`,
      store: `fn store(m : i32, n : i32, v : f32) { result[m * uniforms.N + n] = v; }`,
    };
  }
  if (mode === 'dgradPhase') {
    // A strided convolution's input gradient, one residue class of output pixels at a time: only every
    // stride-th tap reaches a pixel, so the plain dgrad GEMM would multiply zeros for 1 − 1/stride² of K.
    const tap = `let t = k / uniforms.outC;
        let th = t / uniforms.tapsW;
        let kh = uniforms.kh0 + th * uniforms.strideH;
        let kw = uniforms.kw0 + (t - th * uniforms.tapsW) * uniforms.strideW;
        let co = k - t * uniforms.outC;`;
    return {
      aKFast: true, bKFast: true,
      // row: (image, padded input position)
      rowA: `fn rowA(m : i32) -> vec3<i32> {
        let p = decodePixel(m, uniforms.rowsH, uniforms.rowsW);
        return vec3<i32>(p.x, uniforms.ih0 + p.y * uniforms.strideH + uniforms.padT,
                         uniforms.iw0 + p.z * uniforms.strideW + uniforms.padL);
      }`,
      loadA: `fn loadA(p : vec3<i32>, k : i32) -> f32 {
        ${tap}
        let oh = (p.y - kh) / uniforms.strideH;
        let ow = (p.z - kw) / uniforms.strideW;
        if (p.y - kh < 0 || p.z - kw < 0 || oh >= uniforms.outH || ow >= uniforms.outW) {
          return 0.0;
        }
        return dy[((p.x * uniforms.outH + oh) * uniforms.outW + ow) * uniforms.outC + co];
      }`,
      loadB: `fn loadB(k : i32, n : i32) -> f32 {
        ${tap}
        return W[((kh * uniforms.kW + kw) * uniforms.inC + n) * uniforms.outC + co];
      }`,
      store: `fn store(m : i32, n : i32, v : f32) {
        let p = decodePixel(m, uniforms.rowsH, uniforms.rowsW);
        let ih = uniforms.ih0 + p.y * uniforms.strideH;
        let iw = uniforms.iw0 + p.z * uniforms.strideW;
        result[((p.x * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.N + n] = v;
      }`,
    };
  }
  // wgrad; reflect as in fwd (inH/inW the unpadded source's, padT/padL the reflection's)
  const at = reflectAt(reflect);
  return {
    aKFast: false, bKFast: false,
    // row: (tap's input offset h, w, input channel)
    rowA: `fn rowA(m : i32) -> vec3<i32> {
      let t = decodeTap(m, uniforms.inC);
      return vec3<i32>(t.x * uniforms.dilH - uniforms.padT, t.y * uniforms.dilW - uniforms.padL, t.z);
    }`,
    loadA: `fn loadA(r : vec3<i32>, k : i32) -> f32 {
      let p = decodePixel(k, uniforms.outH, uniforms.outW);
      let ih = ${at('p.y * uniforms.strideH + r.x', 'uniforms.inH')};
      let iw = ${at('p.z * uniforms.strideW + r.y', 'uniforms.inW')};
      if (ih < 0 || ih >= uniforms.inH || iw < 0 || iw >= uniforms.inW) { return 0.0; }
      return x[((p.x * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + r.z];
    }`,
    loadB: `fn loadB(k : i32, n : i32) -> f32 { return dy[k * uniforms.outC + n]; }`,
    store: PARTIAL_STORE,
  };
}

function gemmProgram(mode: GemmMode, outputShape: number[], dispatch: [number, number, number], hasBias: boolean,
                     act: FusedActivation, TN: number, reflect = false): Program {
  const PN = TN / THREADS; // accumulator columns per thread
  const split = dispatch[2] > 1;
  const variableNames = mode === 'fwd' ? (hasBias ? ['x', 'W', 'bias'] : ['x', 'W']) : mode === 'dgrad' || mode === 'dgradPhase' ? ['dy', 'W'] : ['x', 'dy'];
  const tileIndex = (kFast: boolean, other: number) => kFast
    ? `let kk = idx % ${TK}; let oo = idx / ${TK};`
    : `let oo = idx % ${other}; let kk = idx / ${other};`;
  const loadsA = (TM * TK) / (THREADS * THREADS), loadsB = (TN * TK) / (THREADS * THREADS);
  return {
    outputShape,
    shaderKey: `cgConvGemm_${mode}${reflect ? 'Reflect' : ''}_n${TN}_${split ? 'split' : `${hasBias ? 'b' : ''}${act}`}`,
    dispatchLayout: { x: [0], y: [1] },
    dispatch,
    variableNames,
    uniforms: fields('i32', CONV_FIELDS) + 'alpha : f32,',
    workgroupSize: [THREADS, THREADS, 1],
    // (the code is put together only when the pipeline is compiled, not on every dispatch)
    getUserCode: () => {
      const c = modeCode(mode, hasBias, act, reflect);
      if (split) c.store = PARTIAL_STORE;
      return `
      var<workgroup> As : array<f32, ${TM * TK}>;
      var<workgroup> Bs : array<f32, ${TN * TK}>;
      ${DECODE}
      ${reflect ? REFLECT_INDEX : ''}
      ${c.rowA}
      ${c.loadA}
      ${c.loadB}
      ${c.store}
      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * ${THREADS} + tx;
        let m0 = i32(workgroupId.x) * ${TM};
        let n0 = i32(workgroupId.y) * ${TN};
        let kBegin = i32(workgroupId.z) * uniforms.kChunk;
        let kEnd = min(uniforms.K, kBegin + uniforms.kChunk);
        var acc : array<f32, ${PER * PN}>;
        // Each thread loads the same rows of A in every K step: decode them once.
        var rows : array<vec3<i32>, ${loadsA}>;
        for (var i = 0; i < ${loadsA}; i++) {
          let idx = tid + i * ${THREADS * THREADS};
          ${tileIndex(c.aKFast, TM)}
          rows[i] = rowA(m0 + oo);
        }
        // Trip count from uniforms only, so the barriers stay in uniform control flow.
        for (var t = 0; t < uniforms.kTiles; t++) {
          let k0 = kBegin + t * ${TK};
          for (var i = 0; i < ${loadsA}; i++) {
            let idx = tid + i * ${THREADS * THREADS};
            ${tileIndex(c.aKFast, TM)}
            let m = m0 + oo;
            let k = k0 + kk;
            var a = 0.0;
            if (m < uniforms.M && k < kEnd) { a = loadA(rows[i], k); }
            As[kk * ${TM} + oo] = a;
          }
          for (var i = 0; i < ${loadsB}; i++) {
            let idx = tid + i * ${THREADS * THREADS};
            ${tileIndex(c.bKFast, TN)}
            let n = n0 + oo;
            let k = k0 + kk;
            var b = 0.0;
            if (n < uniforms.N && k < kEnd) { b = loadB(k, n); }
            Bs[kk * ${TN} + oo] = b;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TK}; kk++) {
            var av : array<f32, ${PER}>;
            var bv : array<f32, ${PN}>;
            for (var i = 0; i < ${PER}; i++) { av[i] = As[kk * ${TM} + ty + i * ${THREADS}]; }
            for (var j = 0; j < ${PN}; j++) { bv[j] = Bs[kk * ${TN} + tx + j * ${THREADS}]; }
            for (var i = 0; i < ${PER}; i++) {
              for (var j = 0; j < ${PN}; j++) {
                acc[i * ${PN} + j] = fma(av[i], bv[j], acc[i * ${PN} + j]);
              }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < ${PER}; i++) {
          let m = m0 + ty + i * ${THREADS};
          for (var j = 0; j < ${PN}; j++) {
            let n = n0 + tx + j * ${THREADS};
            if (m < uniforms.M && n < uniforms.N) { store(m, n, acc[i * ${PN} + j]); }
          }
        }
      }
    `;
    },
  };
}

type ConvInfo = tf.backend_util.Conv2DInfo;

type Phase = { ih0: number; iw0: number; rowsH: number; rowsW: number; kh0: number; kw0: number; tapsH: number;
  tapsW: number };
const NO_PHASE: Phase = { ih0: 0, iw0: 0, rowsH: 0, rowsW: 0, kh0: 0, kw0: 0, tapsH: 0, tapsW: 0 };

function convUniforms(info: ConvInfo, M: number, N: number, K: number, kChunk: number, alpha: number, ph = NO_PHASE) {
  return [...ints(M, N, K, kChunk, ceilDiv(kChunk, TK), info.inHeight, info.inWidth, info.inChannels, info.outHeight,
    info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left, info.dilationHeight, info.dilationWidth, ph.ih0, ph.iw0, ph.rowsH, ph.rowsW,
    ph.kh0, ph.kw0, ph.tapsH, ph.tapsW), ...floats(alpha)];
}

/**
 * The split rule of every GEMM's reduction (generic, tiled and the Winograd filter gradient's): a reduction of
 * length K cut into at most `want` slices, each at least MIN_CHUNK long and a whole number of TK-deep steps,
 * their partial products (floatsPerSlice each) within maxPartial; `forced` (ConvTuning.splits) instead, if given,
 * at most one slice per step. Returns the final slice count (the last slice may be shorter) and slice length.
 */
export function splitReduction(K: number, TK: number, want: number, floatsPerSlice: number, forced?: number,
                               maxPartial = MAX_PARTIAL_FLOATS): { splits: number; kChunk: number } {
  if (K === 0) return { splits: 1, kChunk: 0 };
  const s = forced ? Math.min(forced, ceilDiv(K, TK))
    : Math.min(want, Math.floor(K / MIN_CHUNK), Math.floor(maxPartial / floatsPerSlice));
  const kChunk = ceilDiv(ceilDiv(K, Math.max(1, s)), TK) * TK;
  return { splits: ceilDiv(K, kChunk), kChunk };
}

/** How many slices a reduction of length K is cut into for an M×N output (1: no split). */
export function gemmSplits(M: number, N: number, K: number): { splits: number; kChunk: number } {
  return splitReduction(K, TK, ceilDiv(TARGET_WORKGROUPS, ceilDiv(M, TM) * ceilDiv(N, tileN(N))), M * N);
}

/** Runs one GEMM mode, split or not; `outShape` has M·N elements. */
function runGemm(backend: GPUBackendLike, mode: GemmMode, inputs: TensorInfo[], bias: TensorInfo | undefined,
                 act: FusedActivation, alpha: number, info: ConvInfo, M: number, N: number, K: number,
                 outShape: number[], reflect = false): TensorInfo {
  const { splits, kChunk } = gemmSplits(M, N, K);
  const uniforms = convUniforms(info, M, N, K, kChunk, alpha);
  const tn = tileN(N);
  const dispatch: [number, number, number] = [ceilDiv(M, TM), ceilDiv(N, tn), splits];
  if (splits === 1) {
    return backend.runWebGPUProgram(gemmProgram(mode, outShape, dispatch, bias !== undefined, act, tn, reflect),
      bias ? [...inputs, bias] : inputs, 'float32', uniforms);
  }
  const partial = backend.runWebGPUProgram(gemmProgram(mode, [splits, M, N], dispatch, false, 'linear', tn, reflect),
    inputs, 'float32', uniforms);
  return reduceSplits(backend, partial, outShape, splits, N, bias, act, alpha);
}

/**
 * y = act(conv(x, W) + bias), NHWC, filter [kh, kw, in, out]; with `reflect` (convForwardReflect) x is read
 * through a reflection on every path, `info` being the valid conv on the padded shape.
 */
export function convForward(backend: GPUBackendLike, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined,
                            act: FusedActivation, alpha: number, info: ConvInfo, reflect?: Reflect): TensorInfo {
  const tiled = runWinogradConv(backend, 'fwd', [x, filter], bias, act, alpha, info, reflect) ??
    runNarrow(backend, 'fwd', [x, filter], bias, act, alpha, info, reflect) ??
    runTiled(backend, 'fwd', [x, filter], bias, act, alpha, info, reflect);
  if (tiled) return tiled;
  const M = info.batchSize * info.outHeight * info.outWidth, N = info.outChannels;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  return runGemm(backend, 'fwd', [x, filter], bias, act, alpha, reflect ? onSource(info, reflect) : info, M, N, K,
    [info.batchSize, info.outHeight, info.outWidth, N], !!reflect);
}

/**
 * dx of a convolution (also the forward pass of a transposed convolution), + `bias` per dx channel (a
 * transposed convolution's, CGConvTranspose2D): in the tiled kernel's epilogue, or added after by
 * tfjs-webgpu's Add on the other paths.
 */
export function convBackpropInput(backend: GPUBackendLike, dy: TensorInfo, filter: TensorInfo, info: ConvInfo,
                                  bias?: TensorInfo): TensorInfo {
  const wino = runWinogradConv(backend, 'dgrad', [dy, filter], bias, 'linear', 0, info);
  if (wino) return wino;
  if (!bias) return convBackpropInputNoBias(backend, dy, filter, info);
  // (the narrow path, where it applies, keeps precedence over the tiled one, as without a bias)
  const tiled = narrowPlan('dgrad', info) ? null : runTiled(backend, 'dgrad', [dy, filter], bias, 'linear', 0, info);
  if (tiled) return tiled;
  const dx = convBackpropInputNoBias(backend, dy, filter, info);
  const add = tf.getKernel('Add', 'webgpu');
  if (!add) throw new Error('webgpu: no Add kernel');
  const out = add.kernelFunc({ inputs: { a: dx, b: bias }, backend: backend as never, attrs: {} }) as TensorInfo;
  backend.disposeData(dx.dataId);
  return out;
}

/** dx off the Winograd path (convBackpropInput has tried it). */
function convBackpropInputNoBias(backend: GPUBackendLike, dy: TensorInfo, filter: TensorInfo, info: ConvInfo): TensorInfo {
  const tiled = runNarrow(backend, 'dgrad', [dy, filter], undefined, 'linear', 0, info) ??
    runTiled(backend, 'dgrad', [dy, filter], undefined, 'linear', 0, info);
  if (tiled) return tiled;
  const M = info.batchSize * info.inHeight * info.inWidth, N = info.inChannels;
  const K = info.filterHeight * info.filterWidth * info.outChannels;
  const outShape = [info.batchSize, info.inHeight, info.inWidth, N];
  const phases = dgradPhases(info);
  if (phases) {
    // One dispatch per residue class, all writing into the same output (each pixel exactly once).
    let out: TensorInfo | undefined;
    for (const ph of phases) {
      const Mp = info.batchSize * ph.rowsH * ph.rowsW, Kp = ph.tapsH * ph.tapsW * info.outChannels;
      const tn = tileN(N);
      const program = gemmProgram('dgradPhase', outShape, [ceilDiv(Mp, TM), ceilDiv(N, tn), 1], false, 'linear', tn);
      out = backend.runWebGPUProgram(program, [dy, filter], 'float32', convUniforms(info, Mp, N, Kp, Kp, 0, ph), out);
    }
    return out!;
  }
  return runGemm(backend, 'dgrad', [dy, filter], undefined, 'linear', 0, info, M, N, K, outShape);
}

/**
 * The residue classes of a strided dgrad (stride² of them), or null where the plain GEMM is used: stride 1,
 * dilation, or a reduction long enough per pixel class that the split-K path is wanted (it does not
 * scatter by class).
 */
export function dgradPhases(info: ConvInfo): Phase[] | null {
  const sh = info.strideHeight, sw = info.strideWidth;
  if ((sh === 1 && sw === 1) || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const axis = (n: number, s: number, pad: number, k: number) => {
    const out: Array<{ i0: number; rows: number; k0: number; taps: number }> = [];
    for (let i0 = 0; i0 < Math.min(s, n); i0++) {
      const k0 = (i0 + pad) % s;
      out.push({ i0, rows: ceilDiv(n - i0, s), k0, taps: k0 < k ? ceilDiv(k - k0, s) : 0 });
    }
    return out;
  };
  const hs = axis(info.inHeight, sh, info.padInfo.top, info.filterHeight);
  const ws = axis(info.inWidth, sw, info.padInfo.left, info.filterWidth);
  const phases: Phase[] = [];
  for (const h of hs) for (const w of ws) {
    phases.push({ ih0: h.i0, iw0: w.i0, rowsH: h.rows, rowsW: w.rows, kh0: h.k0, kw0: w.k0, tapsH: h.taps, tapsW: w.taps });
  }
  const biggest = phases[0];
  const split = gemmSplits(info.batchSize * biggest.rowsH * biggest.rowsW, info.inChannels,
    Math.max(...phases.map((p) => p.tapsH * p.tapsW)) * info.outChannels).splits;
  return split === 1 ? phases : null;
}

/** dW of a convolution, filter layout [kh, kw, in, out]; `reflect` as in convForward (convBackpropFilterReflect). */
export function convBackpropFilter(backend: GPUBackendLike, x: TensorInfo, dy: TensorInfo, info: ConvInfo,
                                   reflect?: Reflect): TensorInfo {
  const tiled = runWinogradFilterConv(backend, x, dy, info, reflect) ??
    runNarrow(backend, 'wgrad', [x, dy], undefined, 'linear', 0, info, reflect) ??
    runTiled(backend, 'wgrad', [x, dy], undefined, 'linear', 0, info, reflect);
  if (tiled) return tiled;
  const M = info.filterHeight * info.filterWidth * info.inChannels, N = info.outChannels;
  const K = info.batchSize * info.outHeight * info.outWidth;
  return runGemm(backend, 'wgrad', [x, dy], undefined, 'linear', 0, reflect ? onSource(info, reflect) : info, M, N, K,
    [info.filterHeight, info.filterWidth, info.inChannels, N], !!reflect);
}

// ---------------------------------------------------------------------------------------------------------
// The register-tiled vec4 path (conv_tiled.ts) for layers whose channel counts allow it; the generic kernel
// above stays for the rest (3- and 1-channel sides, dilated input gradients, strided input gradients that
// want a split reduction).

/** A forced choice, for the kernel sweep (scripts/gpu-conv-sweep.mjs) and the tests: config and split count. */
export interface ConvTuning {
  cfg?: TileConfig; splits?: number; generic?: boolean; narrow?: boolean;
  /**
   * Winograd for the 3×3 stride-1 forward, input-gradient and filter-gradient passes (winograd.ts): true or 2
   * F(2×2, 3×3), 4 F(4×4, 3×3), false off; see winogradTile.
   */
  winograd?: boolean | 2 | 4;
}
let tuning: ConvTuning | null = null;
let tuningGeneration = 0;
export function setConvTuning(t: ConvTuning | null): void {
  // A forced config is checked here, once; the shape rule's own configs are checked by the kernel tests.
  if (t?.cfg && !validConfig(t.cfg, 1 << 30)) throw new Error(`conv: invalid tile config ${JSON.stringify(t.cfg)}`);
  tuning = t;
  tuningGeneration++;
}
/** Counts setConvTuning's calls: a captured forward (replay.ts) made before the latest one is captured again. */
export const convTuningGeneration = (): number => tuningGeneration;

// The configurations the rule picks, from the H200 sweep of 2026-11-30 (BENCHMARKS.md, scripts/gpu-conv-sweep.mjs):
// 256-channel 64×64-pixel layers: fwd 128×64 blocks 0.17 ms (generic kernel 0.54), dgrad 64×32 blocks split in
// two 0.28 ms (generic 4.1), wgrad 64×64 blocks without prefetch split in 8 0.35 ms (generic 2.3).
const FWD_BIG: TileConfig = { TM: 128, TN: 64, TK: 16, PM: 8, PN: 4, pf: true };
const FWD_SMALL: TileConfig = { TM: 64, TN: 64, TK: 16, PM: 4, PN: 4, pf: true };
const DGRAD: TileConfig = { TM: 64, TN: 32, TK: 16, PM: 4, PN: 4, pf: true };
const WGRAD: TileConfig = { TM: 64, TN: 64, TK: 16, PM: 4, PN: 4, pf: false };
/** Channel counts that are multiples of 4 but not of 16: shallower slices. */
const shallow = (TK: number): TileConfig => ({ TM: 64, TN: 64, TK, PM: 8, PN: 8, pf: true });
// From the H200 sweep of 18:14 UTC (Run 5, wall time of 20 back-to-back calls, median of 3) on the ResNet
// block's 3×3 256→256 layers at 64×64: dgrad 64×64×8 blocks, 8×8 a thread, split in 4: 0.341 ms against
// 0.384 for DGRAD split in 2 (the rule's pick, forced); reflected wgrad 64×128×16 blocks, 8×8 a thread, split
// in 16: 0.237 ms against 0.272 for WGRAD split in 8 (its partial products, 9.4 M floats, may pass
// MAX_PARTIAL_FLOATS twice over). Taken only from that size up (BLOCK_*): smaller layers were not swept.
const DGRAD_WIDE = shallow(8);
const WGRAD_WIDE: TileConfig = { TM: 64, TN: 128, TK: 16, PM: 8, PN: 8, pf: true };
const BLOCK_M = 64 * 64, BLOCK_N = 256, BLOCK_WGRAD_M = 3 * 3 * 256;

/** Every configuration the rule or the sweep uses (the tests force each in turn). */
export const TILE_CONFIGS: readonly TileConfig[] = [FWD_BIG, FWD_SMALL, DGRAD, WGRAD, shallow(8), shallow(4), WGRAD_WIDE];

/**
 * The shape rule (C: the reduction side's channels, which a slice must divide; for wgrad, the pixels). The
 * 128×64 forward block wins where it alone gives 128 or more workgroups; below that the 64×64 one with a
 * split reduction.
 */
export function chooseTile(mode: TiledMode, M: number, N: number, C: number): TileConfig | null {
  if (mode === 'wgrad') return M >= BLOCK_WGRAD_M && N >= BLOCK_N && N % 128 === 0 && C >= BLOCK_M ? WGRAD_WIDE : WGRAD;
  if (C % 16 === 0) {
    if (mode === 'dgrad') return M >= BLOCK_M && N >= BLOCK_N ? DGRAD_WIDE : DGRAD;
    return ceilDiv(M, FWD_BIG.TM) * ceilDiv(N, FWD_BIG.TN) >= 128 ? FWD_BIG : FWD_SMALL;
  }
  for (const TK of [8, 4]) if (C % TK === 0) return shallow(TK);
  return null;
}

/**
 * Split count of the reduction: wgrad (a long pixel reduction onto few tiles) at least 8 slices; fwd and
 * dgrad enough workgroups for about 1024 (the 128×64 forward block none: it measured best unsplit). Slices
 * are at least MIN_CHUNK long and the partial products at most MAX_PARTIAL_FLOATS.
 */
export function tiledSplits(mode: TiledMode, cfg: TileConfig, M: number, N: number, K: number):
    { splits: number; kChunk: number } {
  const tiles = ceilDiv(M, cfg.TM) * ceilDiv(N, cfg.TN);
  const want = mode === 'wgrad' ? (cfg === WGRAD_WIDE ? 16 : Math.max(8, ceilDiv(600, tiles)))
    : cfg === FWD_BIG ? 1 : ceilDiv(1024, tiles);
  return splitReduction(K, cfg.TK, want, M * N, tuning?.splits,
    cfg === WGRAD_WIDE ? 2 * MAX_PARTIAL_FLOATS : MAX_PARTIAL_FLOATS);
}

type TiledGeom = { M: number; N: number; K: number; C: number; srcH: number; srcW: number; rowsH: number;
  rowsW: number; ph: Phase; offH: number; offW: number; outShape: number[] };

function tiledUniforms(info: ConvInfo, g: TiledGeom, kChunk: number, TK: number, alpha: number) {
  return [...ints(info.batchSize, info.filterHeight, g.M, g.N, g.K, g.C, kChunk, ceilDiv(kChunk, TK), g.srcH, g.srcW, info.inChannels, info.outHeight,
    info.outWidth, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    info.dilationHeight, info.dilationWidth, g.rowsH, g.rowsW, g.ph.ih0, g.ph.iw0, g.ph.kh0, g.ph.kw0, g.ph.tapsH,
    g.ph.tapsW, g.offH, g.offW, info.inHeight, info.inWidth), ...floats(alpha)];
}

/** Which path a convolution pass takes (the tests and the sweep check this); `phased`: strided dgrad. */
export function tiledPlan(mode: TiledMode, info: ConvInfo): { cfg: TileConfig; phased: boolean } | null {
  if (tuning?.generic) return null;
  const inC = info.inChannels, outC = info.outChannels;
  if (inC % 4 || outC % 4) return null;
  let M: number, N: number, C: number;
  let phased = false;
  if (mode === 'fwd') {
    M = info.batchSize * info.outHeight * info.outWidth; N = outC; C = inC;
  } else if (mode === 'wgrad') {
    M = info.filterHeight * info.filterWidth * inC; N = outC; C = info.batchSize * info.outHeight * info.outWidth;
  } else {
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
    phased = info.strideHeight > 1 || info.strideWidth > 1;
    // rows of the biggest residue class
    M = info.batchSize * ceilDiv(info.inHeight, info.strideHeight) * ceilDiv(info.inWidth, info.strideWidth);
    N = inC; C = outC;
  }
  const cfg = tuning?.cfg ?? chooseTile(mode, M, N, C);
  if (!cfg || (mode !== 'wgrad' && C % cfg.TK)) return null;
  return { cfg, phased };
}

/** A source read through a reflection: its real size and the padding the conv's `info` (valid) assumes. */
type Reflect = { srcH: number; srcW: number; pad: number };

function runTiled(backend: GPUBackendLike, mode: TiledMode, inputs: TensorInfo[], bias: TensorInfo | undefined,
                  act: FusedActivation, alpha: number, info0: ConvInfo, reflect?: Reflect): TensorInfo | null {
  const plan = tiledPlan(mode, info0);
  if (!plan) return null;
  // Reflected: the valid conv on the padded frame, its window corners shifted back by the padding.
  const info = reflect ? { ...info0, padInfo: { ...info0.padInfo, top: reflect.pad, left: reflect.pad } } : info0;
  const srcH = reflect?.srcH ?? info.inHeight, srcW = reflect?.srcW ?? info.inWidth;
  const { cfg, phased } = plan;
  const B = info.batchSize;
  const base = { ph: NO_PHASE, offH: 0, offW: 0, rowsH: 0, rowsW: 0 };
  const run = (g: TiledGeom): TensorInfo => {
    const { splits, kChunk } = tiledSplits(mode, cfg, g.M, g.N, g.K);
    const uniforms = tiledUniforms(info, g, kChunk, cfg.TK, alpha);
    const dispatch: [number, number, number] = [ceilDiv(g.M, cfg.TM), ceilDiv(g.N, cfg.TN), splits];
    if (splits === 1) {
      return backend.runWebGPUProgram(tiledProgram(mode, cfg, g.outShape, dispatch, bias !== undefined, act, false,
        false, !!reflect), bias ? [...inputs, bias] : inputs, 'float32', uniforms);
    }
    const partial = backend.runWebGPUProgram(tiledProgram(mode, cfg, [splits, g.M, g.N], dispatch, false, 'linear', true,
      false, !!reflect), inputs, 'float32', uniforms);
    return reduceSplits(backend, partial, g.outShape, splits, g.N, bias, act, alpha);
  };
  if (mode === 'fwd') {
    return run({ ...base, M: B * info.outHeight * info.outWidth, N: info.outChannels,
      K: info.filterHeight * info.filterWidth * info.inChannels, C: info.inChannels, srcH, srcW,
      ph: { ...NO_PHASE, tapsH: info.filterHeight, tapsW: info.filterWidth },
      outShape: [B, info.outHeight, info.outWidth, info.outChannels] });
  }
  if (mode === 'wgrad') {
    return run({ ...base, M: info.filterHeight * info.filterWidth * info.inChannels, N: info.outChannels,
      K: B * info.outHeight * info.outWidth, C: 0, srcH, srcW,
      outShape: [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels] });
  }
  if (reflect) throw new Error('conv: a reflected source is for fwd and wgrad only');
  const outShape = [B, info.inHeight, info.inWidth, info.inChannels];
  const N = info.inChannels, C = info.outChannels;
  if (!phased) {
    // stride 1: dx = dy convolved with the flipped taps; one class, rows = dx's pixels, taps all of them
    return run({ M: B * info.inHeight * info.inWidth, N, K: info.filterHeight * info.filterWidth * C, C,
      srcH: info.outHeight, srcW: info.outWidth, rowsH: info.inHeight, rowsW: info.inWidth,
      ph: { ...NO_PHASE, tapsH: info.filterHeight, tapsW: info.filterWidth }, offH: info.padInfo.top,
      offW: info.padInfo.left, outShape });
  }
  // Every residue class in one dispatch (grid z), each workgroup deriving its class; never split.
  const rows = B * ceilDiv(info.inHeight, info.strideHeight) * ceilDiv(info.inWidth, info.strideWidth);
  const g: TiledGeom = { ...base, M: rows, N, K: 0, C, srcH: info.outHeight, srcW: info.outWidth, outShape };
  return backend.runWebGPUProgram(tiledProgram('dgrad', cfg, outShape,
    [ceilDiv(rows, cfg.TM), ceilDiv(N, cfg.TN), info.strideHeight * info.strideWidth], bias !== undefined, 'linear', false,
    true), bias ? [...inputs, bias] : inputs, 'float32', tiledUniforms(info, g, 0, cfg.TK, 0));
}

/**
 * The valid convolution of x reflection-padded by `pad` (CGReflectConv2D), + bias, then `act`, reading x
 * through the reflection on every forward path: tiled (channels % 4), narrow (the 64 → 3 image layer) and the
 * generic kernel (the 3 → 64 stem, small layers); null only where the reflection itself is not defined
 * (pad ≥ size, dilation: the caller pads, then convolves). `info`: the conv on the padded shape, 'valid'.
 */
export function convForwardReflect(backend: GPUBackendLike, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined,
                                   info: ConvInfo, pad: number, act: FusedActivation = 'linear'): TensorInfo | null {
  const reflect = reflectOf(x, pad, info);
  return reflect && convForward(backend, x, filter, bias, act, 0, info, reflect);
}

/**
 * dW of CGReflectConv2D (CGReflectConv2DBackpropFilter), x read through the reflection on every path (narrow,
 * tiled, generic) as in convForwardReflect; null where the reflection is not defined (the caller pads first).
 */
export function convBackpropFilterReflect(backend: GPUBackendLike, x: TensorInfo, dy: TensorInfo, info: ConvInfo,
                                          pad: number): TensorInfo | null {
  const reflect = reflectOf(x, pad, info);
  return reflect && convBackpropFilter(backend, x, dy, info, reflect);
}

/**
 * x read through a reflection by `pad` where one is defined: pad < size on both axes (as MirrorPad's 'reflect'
 * needs) and an undilated filter; null otherwise (the caller pads, then convolves).
 */
function reflectOf(x: TensorInfo, pad: number, info: ConvInfo): Reflect | null {
  if (!(pad >= 0 && pad < x.shape[1] && pad < x.shape[2]) || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return { srcH: x.shape[1], srcW: x.shape[2], pad };
}

/**
 * `info` (the valid conv on the padded shape) restated on the reflected, unpadded source: its size, the window
 * corners shifted back by the padding (the narrow and generic kernels read it so; reflectIndex does the rest).
 */
function onSource(info: ConvInfo, reflect: Reflect): ConvInfo {
  return { ...info, inHeight: reflect.srcH, inWidth: reflect.srcW,
    padInfo: { ...info.padInfo, top: reflect.pad, left: reflect.pad } };
}

// ---------------------------------------------------------------------------------------------------------
// The narrow path (conv_narrow.ts): N of 1 to 4 channels, the reduction side's channels a multiple of 4.

/** Pixels below which the narrow kernels would leave the GPU idle (the generic kernel splits K instead). */
const NARROW_MIN_PIXELS = 4096;

/** Whether a pass takes the narrow path. */
export function narrowPlan(mode: TiledMode, info: ConvInfo): boolean {
  if (tuning?.generic || tuning?.narrow === false) return false;
  const inC = info.inChannels, outC = info.outChannels;
  if (mode === 'fwd') {
    return outC <= 4 && inC % 4 === 0 && inC <= NARROW_MAX_C &&
      info.batchSize * info.outHeight * info.outWidth >= NARROW_MIN_PIXELS;
  }
  if (mode === 'dgrad') {
    return inC <= 4 && outC % 4 === 0 && outC <= NARROW_MAX_C && info.strideHeight === 1 && info.strideWidth === 1 &&
      info.dilationHeight === 1 && info.dilationWidth === 1 &&
      info.batchSize * info.inHeight * info.inWidth >= NARROW_MIN_PIXELS;
  }
  return outC <= 4 && inC % 4 === 0 && info.batchSize * info.outHeight * info.outWidth >= NARROW_MIN_PIXELS;
}

function runNarrow(backend: GPUBackendLike, mode: TiledMode, inputs: TensorInfo[], bias: TensorInfo | undefined,
                   act: FusedActivation, alpha: number, info0: ConvInfo, reflect?: Reflect): TensorInfo | null {
  if (!narrowPlan(mode, info0)) return null;
  if (reflect && mode === 'dgrad') throw new Error('conv: the narrow path reads a reflected source for fwd and wgrad only');
  const info = reflect ? onSource(info0, reflect) : info0;
  const B = info.batchSize, kH = info.filterHeight, kW = info.filterWidth;
  const u = (M: number, N: number, C: number, srcH: number, srcW: number, outH: number, outW: number, kChunk = 0,
             K = 0) => [...ints(M, N, C, srcH, srcW, outH, outW, kH, kW, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left, info.dilationHeight, info.dilationWidth, kChunk, K), ...floats(alpha)];
  if (mode === 'fwd') {
    const M = B * info.outHeight * info.outWidth, N = info.outChannels;
    return backend.runWebGPUProgram(narrowProgram('fwd', N, [B, info.outHeight, info.outWidth, N],
      [ceilDiv(M, NARROW_WG), 1, 1], bias !== undefined, act, !!reflect), bias ? [...inputs, bias] : inputs, 'float32',
      u(M, N, info.inChannels, info.inHeight, info.inWidth, info.outHeight, info.outWidth));
  }
  if (mode === 'dgrad') {
    const M = B * info.inHeight * info.inWidth, N = info.inChannels;
    return backend.runWebGPUProgram(narrowProgram('dgrad', N, [B, info.inHeight, info.inWidth, N],
      [ceilDiv(M, NARROW_WG), 1, 1], false, 'linear'), inputs, 'float32',
      u(M, N, info.outChannels, info.outHeight, info.outWidth, info.inHeight, info.inWidth));
  }
  const M = kH * kW * info.inChannels, N = info.outChannels, K = B * info.outHeight * info.outWidth;
  const groups = ceilDiv(M / 4, 64);
  // Enough slices to fill the GPU, each at least 512 pixels, a whole number of the kernel's staged blocks.
  let splits = Math.max(1, Math.min(ceilDiv(TARGET_WORKGROUPS, groups), Math.floor(K / 512)));
  if (tuning?.splits) splits = tuning.splits;
  const kChunk = ceilDiv(ceilDiv(K, splits), 128) * 128;
  splits = ceilDiv(K, kChunk);
  const partial = backend.runWebGPUProgram(narrowWgradProgram(N, [splits, M, N], [groups, splits, 1], !!reflect), inputs,
    'float32', u(M, N, info.inChannels, info.inHeight, info.inWidth, info.outHeight, info.outWidth, kChunk, K));
  return reduceSplits(backend, partial, [kH, kW, info.inChannels, N], splits, N);
}

// ---------------------------------------------------------------------------------------------------------
// Winograd F(2×2, 3×3) or F(4×4, 3×3) (winograd.ts) for 3×3 stride-1 convolutions: CGReflectConv2D,
// Conv2D / FusedConv2D, the stride-1 input gradient (Conv2DBackpropInput) and the filter gradient
// (CGReflectConv2DBackpropFilter, Conv2DBackpropFilter), channels multiples of 4.

/** CYCLEGAN_WEBGPU_WINOGRAD, read once: 1 or 2 → F(2×2, 3×3), 4 → F(4×4, 3×3), anything else off. */
let envWinograd: 0 | 2 | 4 | undefined;

/**
 * The one switch of the Winograd path, as its output tile size (0: off): setConvTuning's `winograd` whenever a
 * tuning is set (a forced tile config or split runs without Winograd unless it says so), else
 * CYCLEGAN_WEBGPU_WINOGRAD. Off by default: F(2×2) does 2.25× fewer multiplies than the direct GEMM (F(4×4)
 * 4×, with more rounding) but adds 3 dispatches and two memory-bound passes per forward or input gradient (the
 * filter gradient: 2 more than the direct kernel's GEMM + split sum, and three memory-bound passes), and none of
 * the three has been measured on a GPU yet (no GPU was lent to the sessions that wrote them; lavapipe's figures
 * in BENCHMARKS.md are a smoke test). At 128 px a GPU step is host-bound, where more dispatches cost. Turn it on by default only
 * after a GPU run (scripts/gpu-bench.sh VARIANTS) shows it faster.
 */
export function winogradTile(): 0 | 2 | 4 {
  if (tuning) return tuning.winograd === 4 ? 4 : tuning.winograd ? 2 : 0;
  if (envWinograd === undefined) {
    const v = envVar('CYCLEGAN_WEBGPU_WINOGRAD');
    envWinograd = v === '1' || v === '2' ? 2 : v === '4' ? 4 : 0;
  }
  return envWinograd;
}

/** A 3×3 stride-1 pass on the Winograd path: the algorithm and the batched GEMM's tile configuration. */
export interface WinogradPlan { algo: WinogradAlgo; cfg: TileConfig }
/** The filter gradient's, with the split of its tile reduction (splitReduction: final count, slice length). */
export interface WinogradWgradPlan extends WinogradPlan { splits: number; kChunk: number }

/**
 * The plan if a 3×3 stride-1 pass (fwd, dgrad: the convolution of dy with the flipped filter, or wgrad) takes
 * the Winograd path, else null.
 */
export function winogradPlan(mode: 'wgrad', info: ConvInfo): WinogradWgradPlan | null;
export function winogradPlan(mode: 'fwd' | 'dgrad', info: ConvInfo): WinogradPlan | null;
export function winogradPlan(mode: 'fwd' | 'dgrad' | 'wgrad', info: ConvInfo): WinogradPlan | WinogradWgradPlan | null {
  const m = winogradTile();
  if (!m || tuning?.generic) return null;
  if (info.filterHeight !== 3 || info.filterWidth !== 3 || info.strideHeight !== 1 || info.strideWidth !== 1 ||
      info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.inChannels % 4 || info.outChannels % 4) return null;
  const algo = m === 4 ? F4x4 : F2x2;
  if (mode === 'wgrad') {
    // n² products [Cin × tiles]·[tiles × Cout] (any tile config: the reduction's slices need not divide it) on
    // WGRAD, not chooseTile's pick: its rule was swept on the direct filter gradient's GEMM ([9·Cin × pixels]·
    // [pixels × Cout]), this shape has not been swept yet. The tile reduction split by the shared rule
    // (splitReduction): enough workgroups to fill a large GPU, slices of at least MIN_CHUNK tiles, partial
    // products within MAX_PARTIAL_FLOATS (a forced split wins)
    const n2 = algo.n * algo.n, Cin = info.inChannels, Cout = info.outChannels;
    const P = info.batchSize * ceilDiv(info.outHeight, m) * ceilDiv(info.outWidth, m);
    const cfg = tuning?.cfg ?? WGRAD;
    const blocks = n2 * ceilDiv(Cin, cfg.TM) * ceilDiv(Cout, cfg.TN);
    return { algo, cfg, ...splitReduction(P, cfg.TK, ceilDiv(TARGET_WORKGROUPS, blocks), n2 * Cin * Cout, tuning?.splits) };
  }
  const K = mode === 'fwd' ? info.inChannels : info.outChannels, N = mode === 'fwd' ? info.outChannels : info.inChannels;
  const H = mode === 'fwd' ? info.outHeight : info.inHeight, W = mode === 'fwd' ? info.outWidth : info.inWidth;
  const P = info.batchSize * ceilDiv(H, m) * ceilDiv(W, m);
  // chooseTile returns only configurations whose slices divide K (batchedGemm checks it again)
  const cfg = tuning?.cfg && K % tuning.cfg.TK === 0 ? tuning.cfg : chooseTile('fwd', algo.n * algo.n * P, N, K);
  return cfg ? { algo, cfg } : null;
}

/**
 * The forward's geometry (its filter unflipped): x [batch, inH, inW, inC] read through `reflect` if given (the
 * unpadded source, its window corners shifted back by the padding) or zero-padded by info's padding, onto y's
 * pixels. The filter gradient reads x the same way.
 */
function fwdGeom(info: ConvInfo, reflect?: Reflect): Omit<WinogradGeom, 'flip'> {
  return { batch: info.batchSize, srcH: reflect?.srcH ?? info.inHeight, srcW: reflect?.srcW ?? info.inWidth,
    K: info.inChannels, N: info.outChannels, outH: info.outHeight, outW: info.outWidth,
    padT: reflect?.pad ?? info.padInfo.top, padL: reflect?.pad ?? info.padInfo.left, reflect: !!reflect };
}

/**
 * A 3×3 stride-1 pass on the Winograd path (`inputs`: [x, filter] for fwd, [dy, filter] for dgrad), + bias,
 * then `act`; null where it does not apply (winogradPlan). fwd reads x as fwdGeom says. dgrad:
 * dx[i] = Σ_k dy[i + pad − k] W[k] = Σ_k' dy[i − (2 − pad) + k'] W[2 − k'], a forward convolution of dy
 * zero-padded by 2 − pad with the flipped, channel-swapped filter, over dx's pixels.
 */
function runWinogradConv(backend: GPUBackendLike, mode: 'fwd' | 'dgrad', inputs: TensorInfo[], bias: TensorInfo | undefined,
                         act: FusedActivation, alpha: number, info: ConvInfo, reflect?: Reflect): TensorInfo | null {
  const plan = winogradPlan(mode, info);
  if (!plan) return null;
  const [src, filter] = inputs;
  if (mode === 'fwd') {
    return runWinograd(backend, plan.algo, src, filter, bias, act, alpha, { ...fwdGeom(info, reflect), flip: false },
      plan.cfg);
  }
  if (reflect) throw new Error('conv: the Winograd path reads a reflected source for fwd only');
  return runWinograd(backend, plan.algo, src, filter, bias, act, alpha, { batch: info.batchSize, srcH: info.outHeight,
    srcW: info.outWidth, K: info.outChannels, N: info.inChannels, outH: info.inHeight, outW: info.inWidth,
    padT: 2 - info.padInfo.top, padL: 2 - info.padInfo.left, reflect: false, flip: true }, plan.cfg);
}

/**
 * dW of a 3×3 stride-1 convolution on the Winograd path (winograd.ts runWinogradFilter), x read as the forward
 * reads it (through `reflect`, or zero-padded by info's padding); null where it does not apply (winogradPlan).
 */
function runWinogradFilterConv(backend: GPUBackendLike, x: TensorInfo, dy: TensorInfo, info: ConvInfo,
                               reflect?: Reflect): TensorInfo | null {
  const plan = winogradPlan('wgrad', info);
  if (!plan) return null;
  return runWinogradFilter(backend, plan.algo, x, dy, fwdGeom(info, reflect), plan.cfg, plan);
}
