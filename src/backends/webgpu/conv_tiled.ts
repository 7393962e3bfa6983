// Register-tiled implicit GEMM for convolutions whose channel counts are multiples of 4 (every layer of the
// networks except the 3- and 1-channel image sides): vec4 loads and stores, a TM×TN block of the product per
// workgroup with PM×PN accumulators per thread (vec4s along N), TK-deep slices of both operands staged in
// workgroup memory, optionally prefetched into registers one slice ahead (`pf`) so global loads overlap the
// FMAs. The reduction over (kh, kw, channel) is walked with the taps outer and the channels inner: one slice
// of TK channels always lies within one tap (channels % TK == 0), so the bounds check and the address of a
// row are computed once per slice and row, with no integer division per element (conv_gemm.ts's generic
// kernel decodes every element).
//   fwd   y[pixel, co]       = Σ_(kh,kw,ci) x[pixel·s − pad + k·dil, ci] · W[kh,kw,ci,co]   (+ bias, activation)
//   dgrad dx[pixel, ci]      = Σ_(th,tw,co) dy[off + pixel − t, co] · W[k0 + t·s, ci, co], one residue class
//                              of output pixels per dispatch (stride 1: a single class, a plain convolution
//                              of dy with the flipped taps)
//   wgrad dW[(kh,kw,ci), co] = Σ_pixels x[pixel·s − pad + k·dil, ci] · dy[pixel, co]   (split over pixels)
import { activationWGSL, ceilDiv, fields, floats, ints, REFLECT_INDEX, type FusedActivation, type Program,
  type UniformValue } from './program.js';

export type TiledMode = 'fwd' | 'dgrad' | 'wgrad';

/** One kernel configuration: block TM×TN×TK, PM×PN outputs per thread, register prefetch. */
export interface TileConfig { TM: number; TN: number; TK: number; PM: number; PN: number; pf: boolean }

const tileThreads = (c: TileConfig) => (c.TM / c.PM) * (c.TN / c.PN);

export function configName(c: TileConfig): string {
  return `${c.TM}x${c.TN}x${c.TK}/${c.PM}x${c.PN}${c.pf ? 'p' : ''}`;
}

/** Whether a configuration is well formed (every thread loads whole vec4 rows, workgroup memory fits). */
export function validConfig(c: TileConfig, maxWorkgroupBytes = 16384): boolean {
  const T = tileThreads(c);
  const ok4 = (x: number) => x % 4 === 0 && x > 0;
  if (![c.TM, c.TN, c.TK, c.PM, c.PN].every(ok4) || c.TM % c.PM || c.TN % c.PN) return false;
  if (T < 32 || T > 256) return false;
  // Loader shapes: k-fast rows need T % (TK/4) == 0, m/n-fast rows T % (TM/4), T % (TN/4); every load slot full.
  if (T % (c.TK / 4) || T % (c.TM / 4) || T % (c.TN / 4)) return false;
  if ((c.TM * c.TK / 4) % T || (c.TN * c.TK / 4) % T) return false;
  return tiledSharedBytes(c) <= maxWorkgroupBytes;
}

function tiledSharedBytes(c: TileConfig): number {
  return 4 * c.TK * ((c.TM + 4) + (c.TN + 4));
}

const TILED_FIELDS = ['batch', 'kH', 'M', 'N', 'K', 'C', 'kChunk', 'kTiles', 'srcH', 'srcW', 'inC', 'outH', 'outW', 'kW',
  'strideH', 'strideW', 'padT', 'padL', 'dilH', 'dilW', 'rowsH', 'rowsW', 'ih0', 'iw0', 'kh0', 'kw0', 'tapsH',
  'tapsW', 'offH', 'offW', 'dstH', 'dstW'];

/**
 * The WGSL program. Inputs are bound as vec4 arrays (`variableComponents`), the output too
 * (`outputComponent` 4): every N is a multiple of 4 on this path. `split`: write partial products
 * [splits, M, N] for conv_gemm.ts's reduction instead of the epilogue. `phased` (dgrad, stride > 1): grid z
 * runs over the stride² residue classes of dx's pixels (one dispatch for all), each workgroup deriving its
 * class's rows, taps and reduction length; its trip count comes through workgroupUniformLoad so that the
 * barriers stay in uniform control flow. `reflect` (fwd, wgrad): the source is read through a reflection
 * (index −i for i < 0, 2·(n − 1) − i for i ≥ n), i.e. as if reflection-padded by padT/padL. `batched` (fwd, 1×1,
 * see batchedGemm): grid z runs over independent GEMMs stored one after another in x, W and the output; (wgrad,
 * see batchedWgradGemm) over the independent Aᵀ·B products × the splits of each one's reduction.
 */
export function tiledProgram(mode: TiledMode, cfg: TileConfig, outputShape: number[], dispatch: [number, number, number],
                             hasBias: boolean, act: FusedActivation, split: boolean, phased = false,
                             reflect = false, batched = false): TiledProgram {
  // The code and the fields besides the shape and grid depend only on these arguments: made once per variant
  // (the shader text was otherwise rebuilt on every dispatch, a host cost of each convolution); each call
  // gets its own object, since the runner writes its shaderKey and pipeline.
  let byVariant = templates.get(cfg);
  if (!byVariant) templates.set(cfg, byVariant = new Map());
  const variant = `${mode}${+hasBias}${+split}${+phased}${+reflect}${+batched}${act}`;
  let t = byVariant.get(variant);
  if (!t) byVariant.set(variant, t = tiledTemplate(mode, cfg, hasBias, act, split, phased, reflect, batched));
  return { ...t, outputShape, dispatch, workgroupSize: [...t.workgroupSize] as [number, number, number] };
}

type TiledProgram = Program & { variableComponents: number[]; outputComponent: number };
const templates = new WeakMap<TileConfig, Map<string, Omit<TiledProgram, 'outputShape' | 'dispatch'>>>();

function tiledTemplate(mode: TiledMode, cfg: TileConfig, hasBias: boolean, act: FusedActivation, split: boolean,
                       phased: boolean, reflect: boolean, batched: boolean): Omit<TiledProgram, 'outputShape' | 'dispatch'> {
  const { TM, TN, TK, PM, PN, pf } = cfg;
  const WM = TM / PM, WN = TN / PN, T = WM * WN;
  const SA4 = (TM + 4) / 4, SB4 = (TN + 4) / 4; // row strides of the staged slices, in vec4s (padded: fewer bank conflicts)
  const LA = (TM * TK / 4) / T, LB = (TN * TK / 4) / T; // vec4 loads per thread per slice
  const K4 = TK / 4;
  // dgrad's bias: a transposed convolution's (CGConvTranspose2D), added in its epilogue
  const variableNames = mode === 'fwd' ? (hasBias ? ['x', 'W', 'bias'] : ['x', 'W'])
    : mode === 'dgrad' ? (hasBias ? ['dy', 'W', 'bias'] : ['dy', 'W']) : ['x', 'dy'];
  const src = mode === 'dgrad' ? 'dy' : 'x';
  const kFastA = mode !== 'wgrad';
  const kFastB = mode === 'dgrad';

  // Per-thread constant parts of the loads, decoded once.
  let setup: string, loadA: string, loadB: string, storeA: string, storeB: string, advance: string, init: string;
  if (kFastA) {
    // A row: (image, top, left) of the row's source window; rows past M point far outside every image.
    const rowDecode = mode === 'fwd'
      ? `let oh = r / uniforms.outW; let ow = r - oh * uniforms.outW;
         rowH[i] = oh * uniforms.strideH - uniforms.padT; rowW[i] = ow * uniforms.strideW - uniforms.padL;`
      : `let oh = r / pRowsW; let ow = r - oh * pRowsW;
         rowH[i] = pOffH + oh; rowW[i] = pOffW + ow;`;
    const hw = mode === 'fwd' ? 'uniforms.outH * uniforms.outW' : 'pRowsH * pRowsW';
    const dh = mode === 'fwd' ? 'th * uniforms.dilH' : '-th';
    const dw = mode === 'fwd' ? 'tw * uniforms.dilW' : '-tw';
    setup = `
        let kqA = tid % ${K4};
        var rowB : array<i32, ${LA}>;
        var rowH : array<i32, ${LA}>;
        var rowW : array<i32, ${LA}>;
        for (var i = 0; i < ${LA}; i++) {
          let m = m0 + (tid + i * ${T}) / ${K4};
          let b = m / (${hw});
          let r = m - b * (${hw});
          rowB[i] = b;
          ${rowDecode}
          if (m >= pM) { ${reflect ? 'rowB[i] = 0; rowH[i] = 0; rowW[i] = 0;' : 'rowH[i] = -1000000;'} }
        }`;
    loadA = `for (var i = 0; i < ${LA}; i++) {
          ${reflect ? `let h = reflectIndex(rowH[i] + ${dh}, uniforms.srcH);
          let w = reflectIndex(rowW[i] + ${dw}, uniforms.srcW);` : `let h = rowH[i] + ${dh};
          let w = rowW[i] + ${dw};`}
          var v = vec4<f32>(0.0);
          if (k0 < kEnd && h >= 0 && h < uniforms.srcH && w >= 0 && w < uniforms.srcW) {
            v = ${src}[${batched ? 'zA + ' : ''}((rowB[i] * uniforms.srcH + h) * uniforms.srcW + w) * (uniforms.C / 4) + c0 / 4 + kqA];
          }
          ra[i] = v;
        }`;
    storeA = `for (var i = 0; i < ${LA}; i++) {
          let ml = (tid + i * ${T}) / ${K4};
          for (var j = 0; j < 4; j++) { As[(kqA * 4 + j) * ${SA4} + ml / 4][ml % 4] = ra[i][j]; }
        }`;
    init = `let t0 = kBegin / uniforms.C;
        var c0 = kBegin - t0 * uniforms.C;
        var th = t0 / max(pTapsW, 1);
        var tw = t0 - th * pTapsW;`;
    advance = `c0 = c0 + ${TK};
          if (c0 >= uniforms.C) { c0 = 0; tw = tw + 1; if (tw >= pTapsW) { tw = 0; th = th + 1; } }`;
  } else {
    // wgrad: A = x, rows (tap, input channel) fixed per thread, the slice runs over output pixels; batched
    // (batchedWgradGemm): one tap, x[z] a plain [K, inC] matrix read at row k (no pixel decode).
    setup = `
        let m4A = tid % ${TM / 4};
        let mA = m0 + m4A * 4;${batched ? '' : `
        let tapA = mA / uniforms.inC;
        let ciA = mA - tapA * uniforms.inC;
        let khA = tapA / uniforms.kW;
        let hOffA = khA * uniforms.dilH - uniforms.padT;
        let wOffA = (tapA - khA * uniforms.kW) * uniforms.dilW - uniforms.padL;`}
        let okA = mA < pM;`;
    loadA = batched ? `for (var i = 0; i < ${LA}; i++) {
          let k = k0 + (tid + i * ${T}) / ${TM / 4};
          var v = vec4<f32>(0.0);
          if (okA && k < kEnd) { v = x[zA + k * (uniforms.inC / 4) + mA / 4]; }
          ra[i] = v;
        }` : `for (var i = 0; i < ${LA}; i++) {
          let k = k0 + (tid + i * ${T}) / ${TM / 4};
          var v = vec4<f32>(0.0);
          if (okA && k < kEnd) {
            let hw = uniforms.outH * uniforms.outW;
            let b = k / hw;
            let r = k - b * hw;
            let oh = r / uniforms.outW;
            ${reflect ? `let h = reflectIndex(oh * uniforms.strideH + hOffA, uniforms.srcH);
            let w = reflectIndex((r - oh * uniforms.outW) * uniforms.strideW + wOffA, uniforms.srcW);` : `let h = oh * uniforms.strideH + hOffA;
            let w = (r - oh * uniforms.outW) * uniforms.strideW + wOffA;`}
            if (h >= 0 && h < uniforms.srcH && w >= 0 && w < uniforms.srcW) {
              v = x[((b * uniforms.srcH + h) * uniforms.srcW + w) * (uniforms.inC / 4) + ciA / 4];
            }
          }
          ra[i] = v;
        }`;
    storeA = `for (var i = 0; i < ${LA}; i++) {
          let kk = (tid + i * ${T}) / ${TM / 4};
          As[kk * ${SA4} + m4A] = ra[i];
        }`;
    init = '';
    advance = '';
  }
  if (!kFastB) {
    // B n-fast: fwd W[(tap·C + c)·N + n], wgrad dy[pixel·N + n].
    const row = mode === 'fwd' ? '(th * uniforms.kW + tw) * uniforms.C + c0 + kk' : 'k0 + kk';
    const guard = mode === 'fwd' ? 'okB && k0 < kEnd' : 'okB && k0 + kk < kEnd';
    const bName = mode === 'fwd' ? 'W' : 'dy';
    setup += `
        let n4B = tid % ${TN / 4};
        let okB = n0 + n4B * 4 < uniforms.N;`;
    loadB = `for (var i = 0; i < ${LB}; i++) {
          let kk = (tid + i * ${T}) / ${TN / 4};
          var v = vec4<f32>(0.0);
          if (${guard}) { v = ${bName}[${batched ? 'zB + ' : ''}(${row}) * (uniforms.N / 4) + n0 / 4 + n4B]; }
          rb[i] = v;
        }`;
    storeB = `for (var i = 0; i < ${LB}; i++) {
          let kk = (tid + i * ${T}) / ${TN / 4};
          Bs[kk * ${SB4} + n4B] = rb[i];
        }`;
  } else {
    // dgrad: B[k = (t, co), n = ci] = W[kh, kw, ci, co], contiguous along co (k).
    setup += `
        let kqB = tid % ${K4};`;
    loadB = `for (var i = 0; i < ${LB}; i++) {
          let n = n0 + (tid + i * ${T}) / ${K4};
          var v = vec4<f32>(0.0);
          if (k0 < kEnd && n < uniforms.N) {
            let kh = pKh0 + th * uniforms.strideH;
            let kw = pKw0 + tw * uniforms.strideW;
            v = W[(((kh * uniforms.kW + kw) * uniforms.N + n) * uniforms.C + c0) / 4 + kqB];
          }
          rb[i] = v;
        }`;
    storeB = `for (var i = 0; i < ${LB}; i++) {
          let nl = (tid + i * ${T}) / ${K4};
          for (var j = 0; j < 4; j++) { Bs[(kqB * 4 + j) * ${SB4} + nl / 4][nl % 4] = rb[i][j]; }
        }`;
  }

  // Epilogue: one vec4 of four consecutive columns per call.
  let store: string;
  if (split || batched) {
    // (batched: the same layout, one [M, N] product per z)
    store = `fn store4(m : i32, n : i32, v : vec4<f32>) {
      result[(i32(workgroupId.z) * pM + m) * (uniforms.N / 4) + n / 4] = v;
    }`;
  } else if (mode === 'fwd') {
    store = `fn actf(r : f32) -> f32 { return ${activationWGSL(act, 'r')}; }
    fn store4(m : i32, n : i32, v : vec4<f32>) {
      let r = ${hasBias ? 'v + bias[n / 4]' : 'v'};
      result[m * (uniforms.N / 4) + n / 4] = vec4<f32>(actf(r.x), actf(r.y), actf(r.z), actf(r.w));
    }`;
  } else if (mode === 'dgrad') {
    store = `fn store4(m : i32, n : i32, v : vec4<f32>) {
      let hw = pRowsH * pRowsW;
      let b = m / hw;
      let r = m - b * hw;
      let i = r / pRowsW;
      let h = pIh0 + i * uniforms.strideH;
      let w = pIw0 + (r - i * pRowsW) * uniforms.strideW;
      result[((b * uniforms.dstH + h) * uniforms.dstW + w) * (uniforms.N / 4) + n / 4] = ${hasBias ? 'v + bias[n / 4]' : 'v'};
    }`;
  } else {
    store = `fn store4(m : i32, n : i32, v : vec4<f32>) { result[m * (uniforms.N / 4) + n / 4] = v; }`;
  }

  const loads = `${loadA}
        ${loadB}`;
  const stores = `${storeA}
        ${storeB}`;
  const compute = `for (var kk = 0; kk < ${TK}; kk++) {
          var av : array<vec4<f32>, ${PM / 4}>;
          var bv : array<vec4<f32>, ${PN / 4}>;
          for (var r = 0; r < ${PM / 4}; r++) { av[r] = As[kk * ${SA4} + ty + r * ${WM}]; }
          for (var c = 0; c < ${PN / 4}; c++) { bv[c] = Bs[kk * ${SB4} + tx + c * ${WN}]; }
          for (var r = 0; r < ${PM / 4}; r++) {
            for (var i = 0; i < 4; i++) {
              let a = av[r][i];
              for (var c = 0; c < ${PN / 4}; c++) {
                acc[(r * 4 + i) * ${PN / 4} + c] = fma(vec4<f32>(a), bv[c], acc[(r * 4 + i) * ${PN / 4} + c]);
              }
            }
          }
        }`;
  // k0 is the slice the loads read; kFast modes track (th, tw, c0) beside it.
  const body = pf ? `
        ${loads}
        for (var t = 0; t < kTiles; t++) {
          ${stores}
          workgroupBarrier();
          k0 = k0 + ${TK};
          ${advance}
          if (t + 1 < kTiles) {
            ${loads}
          }
          ${compute}
          workgroupBarrier();
        }` : `
        for (var t = 0; t < kTiles; t++) {
          ${loads}
          ${stores}
          workgroupBarrier();
          k0 = k0 + ${TK};
          ${advance}
          ${compute}
          workgroupBarrier();
        }`;

  return {
    shaderKey: `cgConvTiled_${mode}${phased ? 'Phased' : ''}${reflect ? 'Reflect' : ''}${batched ? 'Batched' : ''}_${configName(cfg)}_${split ? 'split' : `${hasBias ? 'b' : ''}${act}`}`,
    dispatchLayout: { x: [0], y: [1] },
    variableNames,
    variableComponents: variableNames.map(() => 4),
    outputComponent: 4,
    uniforms: fields('i32', TILED_FIELDS) + 'alpha : f32,',
    workgroupSize: [WN, WM, 1],
    getUserCode: () => `
      var<workgroup> As : array<vec4<f32>, ${TK * SA4}>;
      var<workgroup> Bs : array<vec4<f32>, ${TK * SB4}>;
      var<workgroup> wgTiles : i32;
      ${REFLECT_INDEX}
      // The GEMM's rows and reduction: uniforms, or (phased) derived per workgroup from its residue class.
      var<private> pM : i32; var<private> pK : i32; var<private> pRowsH : i32; var<private> pRowsW : i32;
      var<private> pOffH : i32; var<private> pOffW : i32; var<private> pKh0 : i32; var<private> pKw0 : i32;
      var<private> pTapsH : i32; var<private> pTapsW : i32; var<private> pIh0 : i32; var<private> pIw0 : i32;
      ${store}
      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * ${WN} + tx;
        let m0 = i32(workgroupId.x) * ${TM};
        let n0 = i32(workgroupId.y) * ${TN};
        ${phased ? `let z = i32(workgroupId.z);
        let phH = z / uniforms.strideW;
        let phW = z - phH * uniforms.strideW;
        pKh0 = (phH + uniforms.padT) % uniforms.strideH;
        pKw0 = (phW + uniforms.padL) % uniforms.strideW;
        pTapsH = select(0, (uniforms.kH - pKh0 + uniforms.strideH - 1) / uniforms.strideH, pKh0 < uniforms.kH);
        pTapsW = select(0, (uniforms.kW - pKw0 + uniforms.strideW - 1) / uniforms.strideW, pKw0 < uniforms.kW);
        pIh0 = phH;
        pIw0 = phW;
        pRowsH = max(0, (uniforms.dstH - phH + uniforms.strideH - 1) / uniforms.strideH);
        pRowsW = max(0, (uniforms.dstW - phW + uniforms.strideW - 1) / uniforms.strideW);
        pOffH = (phH + uniforms.padT - pKh0) / uniforms.strideH;
        pOffW = (phW + uniforms.padL - pKw0) / uniforms.strideW;
        pM = uniforms.batch * pRowsH * pRowsW;
        pK = pTapsH * pTapsW * uniforms.C;
        if (localIndex == 0u) { wgTiles = (pK + ${TK - 1}) / ${TK}; }
        let kTiles = workgroupUniformLoad(&wgTiles);
        let kBegin = 0;
        let kEnd = pK;` : `pM = uniforms.M; pK = uniforms.K;
        pRowsH = uniforms.rowsH; pRowsW = uniforms.rowsW; pOffH = uniforms.offH; pOffW = uniforms.offW;
        pKh0 = uniforms.kh0; pKw0 = uniforms.kw0; pTapsH = uniforms.tapsH; pTapsW = uniforms.tapsW;
        pIh0 = uniforms.ih0; pIw0 = uniforms.iw0;
        let kTiles = uniforms.kTiles;
        ${batched && mode === 'wgrad' ? `let zSplits = (uniforms.K + uniforms.kChunk - 1) / uniforms.kChunk;
        let zq = i32(workgroupId.z) / zSplits;
        let kBegin = (i32(workgroupId.z) - zq * zSplits) * uniforms.kChunk;
        let zA = zq * uniforms.K * (uniforms.inC / 4);
        let zB = zq * uniforms.K * (uniforms.N / 4);` : batched ? `let kBegin = 0;
        let zA = i32(workgroupId.z) * uniforms.M * (uniforms.C / 4);
        let zB = i32(workgroupId.z) * uniforms.K * (uniforms.N / 4);` : 'let kBegin = i32(workgroupId.z) * uniforms.kChunk;'}
        let kEnd = min(pK, kBegin + uniforms.kChunk);`}
        var k0 = kBegin;
        ${init}
        var acc : array<vec4<f32>, ${PM * PN / 4}>;
        var ra : array<vec4<f32>, ${LA}>;
        var rb : array<vec4<f32>, ${LB}>;
        ${setup}
        ${body}
        for (var r = 0; r < ${PM / 4}; r++) {
          for (var i = 0; i < 4; i++) {
            let m = m0 + (ty + r * ${WM}) * 4 + i;
            if (m < pM) {
              for (var c = 0; c < ${PN / 4}; c++) {
                let n = n0 + (tx + c * ${WN}) * 4;
                if (n < uniforms.N) { store4(m, n, acc[(r * 4 + i) * ${PN / 4} + c]); }
              }
            }
          }
        }
      }
    `,
  };
}

/**
 * `batches` independent products C[z] = A[z]·B[z] (A [batches, M, K], B [batches, K, N], C [batches, M, N], K and
 * N multiples of 4 and K of cfg.TK) in one dispatch: the forward kernel as a 1×1 convolution over a 1×M image,
 * grid z choosing the product (the Winograd convolution's 16 position-wise GEMMs, winograd.ts). Never split.
 */
export function batchedGemm(cfg: TileConfig, batches: number, M: number, N: number, K: number):
    { program: ReturnType<typeof tiledProgram>; uniforms: UniformValue[] } {
  if (K % cfg.TK || N % 4) throw new Error(`batchedGemm: K ${K} must be a multiple of ${cfg.TK}, N ${N} of 4`);
  const program = tiledProgram('fwd', cfg, [batches, M, N], [ceilDiv(M, cfg.TM), ceilDiv(N, cfg.TN), batches], false,
    'linear', false, false, false, true);
  const v: Record<string, number> = { batch: 1, kH: 1, kW: 1, M, N, K, C: K, kChunk: K, kTiles: ceilDiv(K, cfg.TK),
    srcH: 1, srcW: M, inC: K, outH: 1, outW: M, strideH: 1, strideW: 1, dilH: 1, dilW: 1, tapsH: 1, tapsW: 1 };
  return { program, uniforms: [...ints(...TILED_FIELDS.map((f) => v[f] ?? 0)), ...floats(0)] };
}

/**
 * `batches` independent products C[z] = A[z]ᵀ·B[z] (A [batches, K, M], B [batches, K, N], M and N multiples of 4),
 * their long reduction (K) cut in slices kChunk long (conv_gemm.ts splitReduction's), in one dispatch: the
 * filter-gradient kernel with one tap, grid z over (product, slice). Writes the partial products [batches,
 * ⌈K / kChunk⌉, M, N] for the caller to sum (the Winograd filter gradient's 16 or 36 position-wise products,
 * winograd.ts, summed in its output transform).
 */
export function batchedWgradGemm(cfg: TileConfig, batches: number, M: number, N: number, K: number, kChunk: number):
    { program: ReturnType<typeof tiledProgram>; uniforms: UniformValue[] } {
  if (M % 4 || N % 4) throw new Error(`batchedWgradGemm: M ${M} and N ${N} must be multiples of 4`);
  if (kChunk <= 0 || kChunk % cfg.TK) throw new Error(`batchedWgradGemm: kChunk ${kChunk} must be a positive multiple of ${cfg.TK}`);
  const s = ceilDiv(K, kChunk);
  const program = tiledProgram('wgrad', cfg, [batches, s, M, N], [ceilDiv(M, cfg.TM), ceilDiv(N, cfg.TN), batches * s],
    false, 'linear', true, false, false, true);
  const v: Record<string, number> = { batch: 1, kH: 1, kW: 1, M, N, K, C: 0, kChunk, kTiles: ceilDiv(kChunk, cfg.TK),
    srcH: 1, srcW: K, inC: M, outH: 1, outW: K, strideH: 1, strideW: 1, dilH: 1, dilW: 1, tapsH: 1, tapsW: 1 };
  return { program, uniforms: [...ints(...TILED_FIELDS.map((f) => v[f] ?? 0)), ...floats(0)] };
}
