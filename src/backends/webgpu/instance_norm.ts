// Instance norm on the GPU, parallel over pixels as well as over (image, channel): a 256-px, 64-channel
// layer has only 4 groups of 16 channels, far too few workgroups for a large GPU, so each image's pixels
// are cut into chunks, every (16 channels, chunk) workgroup reduces its part, a small kernel merges the
// chunks per (image, channel), and an elementwise kernel applies the result.
//   forward:  chunk (mean, M2) two-pass within the chunk → merged (Chan et al.) to mean, 1/sqrt(var + eps)
//             → y = act((x − mean)·rstd)
//   backward: the same statistics, then chunk sums of g and g·x̂ (g = dy·act'(y)) → means
//             → dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
// The activation is a uniform (0 none, 1 ReLU, 2 LeakyReLU), so one pipeline per stage serves all three.
// No subgroup path (checked 30 Nov 2026): Dawn (npm webgpu 0.6.2) offers 'subgroups' on lavapipe (size 8) and a
// device could ask for it, and the runner could put `enable subgroups;` in front of tfjs-webgpu's module text, but
// (1) the statistics reduce over pixel lanes (localId.y) while the channel lanes (localId.x) are the fastest index,
// so that a row of threads reads neighbouring NHWC floats: a subgroup is a run of consecutive invocations (on
// lavapipe subgroupAdd over a 16×4 workgroup summed local indices 0–7, 8–15, …), i.e. channel lanes of one pixel
// row, so subgroupAdd would sum different channels; turning the layout around makes every load strided;
// (2) lane-exact shuffles need the subgroup_invocation_id / subgroup_size builtins, which only entry-point
// parameters give, and tfjs-webgpu writes the entry point (_start) itself without them. What would be replaced is
// 4 barrier steps on 16×16 floats after each thread's loop over its pixels.
import { ceilDiv, floats, ints, type GPUBackendLike, type Program, type TensorInfo } from './program.js';
import { attachCompanion, takeCompanion } from './runner.js';
import type { CGInstanceNormAttrs } from '../../core/ops/kernel_names.js';

export const IN_LANES = 16;
/** Enough workgroups for a large GPU; chunks never shorter than MIN_CHUNK pixels. */
const TARGET_WORKGROUPS = 512;
const MIN_CHUNK = 256;

export const ACT_CODE: Record<string, number> = { none: 0, relu: 1, leakyrelu: 2 };

export function instanceNormAttrs(attrs: unknown): { eps: number; act: number; alpha: number } {
  const a = (attrs ?? {}) as Partial<CGInstanceNormAttrs>;
  return { eps: a.eps ?? 1e-5, act: ACT_CODE[a.activation ?? 'none'] ?? 0, alpha: a.alpha ?? 0.2 };
}

/** Pixel chunks per image for an [n, hw, c] tensor. */
export function pixelChunks(n: number, hw: number, c: number): { chunks: number; chunk: number } {
  const groups = n * ceilDiv(c, IN_LANES);
  const chunks = Math.max(1, Math.min(ceilDiv(TARGET_WORKGROUPS, groups), Math.floor(hw / MIN_CHUNK)));
  const chunk = ceilDiv(hw, chunks);
  return { chunks: ceilDiv(hw, chunk), chunk };
}

const UNIFORMS = 'hw : i32, c : i32, chunk : i32, chunks : i32, act : i32, eps : f32, alpha : f32,';

const ACT_FNS = `
  fn activate(v : f32) -> f32 {
    if (uniforms.act == 1) { return max(v, 0.0); }
    if (uniforms.act == 2) { return select(uniforms.alpha * v, v, v > 0.0); }
    return v;
  }
  fn actGrad(yv : f32) -> f32 {
    if (uniforms.act == 1) { return select(0.0, 1.0, yv > 0.0); }
    if (uniforms.act == 2) { return select(uniforms.alpha, 1.0, yv > 0.0); }
    return 1.0;
  }
`;

/**
 * Per (image, chunk, channel) two values, reduced over the chunk's pixels by a 16×16 workgroup (x: channel
 * lane, so a row of threads reads 16 neighbouring floats of an NHWC pixel; y: pixel lane).
 *   'stats': (mean of the chunk, sum of squared deviations from it)
 *   'grad':  (Σ g, Σ g·x̂) given the merged statistics
 */
function chunkProgram(kind: 'stats' | 'grad', n: number, chunks: number, c: number): Program {
  // (bodies put together only when the pipeline is compiled, not on every dispatch)
  const body = () => kind === 'stats' ? `
        var s = 0.0;
        if (valid) { for (var p = p0 + py; p < p1; p += ${IN_LANES}) { s = s + x[base + p * c]; } }
        let mean = lanesSum(s, cx, py) / f32(max(p1 - p0, 1));
        var q = 0.0;
        if (valid) { for (var p = p0 + py; p < p1; p += ${IN_LANES}) { let d = x[base + p * c] - mean; q = q + d * d; } }
        let m2 = lanesSum(q, cx, py);
        if (valid && py == 0) { result[out] = mean; result[out + 1] = m2; }` : `
        var mean = 0.0;
        var rstd = 0.0;
        if (valid) { mean = stats[(img * c + ch) * 2]; rstd = stats[(img * c + ch) * 2 + 1]; }
        var sg = 0.0;
        var sgx = 0.0;
        if (valid) {
          for (var p = p0 + py; p < p1; p += ${IN_LANES}) {
            let i = base + p * c;
            let g = dy[i] * actGrad(y[i]);
            sg = sg + g;
            sgx = sgx + g * ((x[i] - mean) * rstd);
          }
        }
        let a = lanesSum(sg, cx, py);
        let b = lanesSum(sgx, cx, py);
        if (valid && py == 0) { result[out] = a; result[out + 1] = b; }`;
  return {
    outputShape: [n, chunks, c, 2],
    shaderKey: `cgInstanceNorm_chunk_${kind}`,
    dispatchLayout: { x: [0], y: [1] },
    dispatch: [ceilDiv(c, IN_LANES), n, chunks],
    variableNames: kind === 'stats' ? ['x'] : ['x', 'y', 'dy', 'stats'],
    uniforms: UNIFORMS,
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
      ${ACT_FNS}
      fn main() {
        let cx = i32(localId.x);
        let py = i32(localId.y);
        let c = uniforms.c;
        let ch = i32(workgroupId.x) * ${IN_LANES} + cx;
        let img = i32(workgroupId.y);
        let k = i32(workgroupId.z);
        let valid = ch < c;
        let base = img * uniforms.hw * c + ch;
        let p0 = k * uniforms.chunk;
        let p1 = min(uniforms.hw, p0 + uniforms.chunk);
        let out = ((img * uniforms.chunks + k) * c + ch) * 2;
        ${body()}
      }
    `,
  };
}

/**
 * Merges the chunks per (image, channel): 'stats' → (mean, rstd) by Chan's pairwise update of (count,
 * mean, M2); 'grad' → (mean of g, mean of g·x̂).
 */
function mergeProgram(kind: 'stats' | 'grad', n: number, c: number): Program {
  const body = () => kind === 'stats' ? `
        var cnt = 0.0;
        var mean = 0.0;
        var m2 = 0.0;
        for (var k = 0; k < uniforms.chunks; k++) {
          let nk = f32(min(uniforms.hw, (k + 1) * uniforms.chunk) - k * uniforms.chunk);
          let i = ((img * uniforms.chunks + k) * c + ch) * 2;
          let d = part[i] - mean;
          let tot = cnt + nk;
          mean = mean + d * (nk / tot);
          m2 = m2 + part[i + 1] + d * d * (cnt * nk / tot);
          cnt = tot;
        }
        result[index * 2] = mean;
        result[index * 2 + 1] = 1.0 / sqrt(m2 / f32(uniforms.hw) + uniforms.eps);` : `
        var a = 0.0;
        var b = 0.0;
        for (var k = 0; k < uniforms.chunks; k++) {
          let i = ((img * uniforms.chunks + k) * c + ch) * 2;
          a = a + part[i];
          b = b + part[i + 1];
        }
        result[index * 2] = a / f32(uniforms.hw);
        result[index * 2 + 1] = b / f32(uniforms.hw);`;
  return {
    outputShape: [n, c, 2],
    shaderKey: `cgInstanceNorm_merge_${kind}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [ceilDiv(n * c, 64), 1, 1],
    variableNames: ['part'],
    uniforms: UNIFORMS + ' count : i32,',
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.count) { return; }
        let c = uniforms.c;
        let img = index / c;
        let ch = index - img * c;
        ${body()}
      }
    `,
  };
}

const ACT_FNS4 = `
  fn activate4(v : vec4<f32>) -> vec4<f32> {
    if (uniforms.act == 1) { return max(v, vec4<f32>(0.0)); }
    if (uniforms.act == 2) { return select(uniforms.alpha * v, v, v > vec4<f32>(0.0)); }
    return v;
  }
  fn actGrad4(yv : vec4<f32>) -> vec4<f32> {
    if (uniforms.act == 1) { return select(vec4<f32>(0.0), vec4<f32>(1.0), yv > vec4<f32>(0.0)); }
    if (uniforms.act == 2) { return select(vec4<f32>(uniforms.alpha), vec4<f32>(1.0), yv > vec4<f32>(0.0)); }
    return vec4<f32>(1.0);
  }
`;

/**
 * The elementwise last stage: y = act((x − mean)·rstd), or dx from g, x̂ and the merged grad means. Where the
 * channels are a multiple of 4 (every CycleGAN norm layer), each thread does 4 neighbouring channels with
 * vec4 loads and stores: a quarter of the threads and of the index arithmetic.
 */
function applyProgram(kind: 'fwd' | 'grad', shape: number[], residual = false): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  const vec4 = shape[3] % 4 === 0;
  // The forward's optional residual (CGInstanceNormAdd): added after the activation.
  const res = kind === 'fwd' && residual;
  const names = kind === 'fwd' ? (res ? ['x', 'stats', 'res'] : ['x', 'stats']) : ['x', 'y', 'dy', 'stats', 'gm'];
  if (vec4) {
    // (mean, rstd) pairs of channels ch..ch+3 are interleaved in stats (and in gm)
    const pair = (t: string, k: number) => `vec4<f32>(${t}[s + ${k}], ${t}[s + ${k + 2}], ${t}[s + ${k + 4}], ${t}[s + ${k + 6}])`;
    const body = () => kind === 'fwd' ? `
        result[index] = activate4((x[index] - ${pair('stats', 0)}) * ${pair('stats', 1)})${res ? ' + res[index]' : ''};` : `
        let rstd = ${pair('stats', 1)};
        let xh = (x[index] - ${pair('stats', 0)}) * rstd;
        let g = dy[index] * actGrad4(y[index]);
        result[index] = rstd * (g - ${pair('gm', 0)} - xh * ${pair('gm', 1)});`;
    return {
      outputShape: shape,
      shaderKey: `cgInstanceNorm_apply4_${kind}${res ? '_res' : ''}`,
      dispatchLayout: { x: shape.map((_, i) => i) },
      dispatch: [ceilDiv(size / 4, 64), 1, 1],
      variableNames: names,
      uniforms: UNIFORMS,
      workgroupSize: [64, 1, 1],
      size: true,
      outputComponent: 4,
      variableComponents: kind === 'fwd' ? (res ? [4, 1, 4] : [4, 1]) : [4, 4, 4, 1, 1],
      getUserCode: () => `
        ${ACT_FNS4}
        fn main(index : i32) {
          if (index >= uniforms.size) { return; }
          let c = uniforms.c;
          let e = index * 4;
          let s = ((e / (uniforms.hw * c)) * c + e % c) * 2;
          ${body()}
        }
      `,
    };
  }
  const body = () => kind === 'fwd' ? `
        result[index] = activate((x[index] - stats[s]) * stats[s + 1])${res ? ' + res[index]' : ''};` : `
        let rstd = stats[s + 1];
        let xh = (x[index] - stats[s]) * rstd;
        let g = dy[index] * actGrad(y[index]);
        result[index] = rstd * (g - gm[s] - xh * gm[s + 1]);`;
  return {
    outputShape: shape,
    shaderKey: `cgInstanceNorm_apply_${kind}${res ? '_res' : ''}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [ceilDiv(size, 64), 1, 1],
    variableNames: names,
    uniforms: UNIFORMS,
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      ${ACT_FNS}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = uniforms.c;
        let s = ((index / (uniforms.hw * c)) * c + index % c) * 2;
        ${body()}
      }
    `,
  };
}

function run(backend: GPUBackendLike, p: Program, inputs: TensorInfo[], u: ReturnType<typeof ints>): TensorInfo {
  return backend.runWebGPUProgram(p, inputs, 'float32', u);
}

/** (mean, rstd) per (image, channel) of an NHWC tensor, as an [n, c, 2] tensor. */
function statistics(backend: GPUBackendLike, x: TensorInfo, u: ReturnType<typeof ints>, chunks: number): TensorInfo {
  const [n, , , c] = x.shape;
  const part = run(backend, chunkProgram('stats', n, chunks, c), [x], u);
  const stats = run(backend, mergeProgram('stats', n, c), [part], [...u, ...ints(n * c)]);
  backend.disposeData(part.dataId);
  return stats;
}

function uniformsFor(x: TensorInfo, attrs: { eps: number; act: number; alpha: number }) {
  const [n, h, w, c] = x.shape;
  const { chunks, chunk } = pixelChunks(n, h * w, c);
  return { chunks, u: [...ints(h * w, c, chunk, chunks, attrs.act), ...floats(attrs.eps, attrs.alpha)] };
}

/** Which input and eps the statistics kept beside an output were computed from. */
type StatsTag = { x: object; eps: number };

export function instanceNormForward(backend: GPUBackendLike, x: TensorInfo, attrs: { eps: number; act: number; alpha: number }): TensorInfo {
  const { chunks, u } = uniformsFor(x, attrs);
  const stats = statistics(backend, x, u, chunks);
  const y = run(backend, applyProgram('fwd', x.shape), [x, stats], u);
  // The gradient gets y (and the same x): it takes these statistics instead of computing them again
  // (two dispatches fewer per backward). They go with y's data otherwise.
  attachCompanion(backend, y, stats, { x: x.dataId, eps: attrs.eps } satisfies StatsTag);
  return y;
}

/**
 * act(norm(x)) + residual in the apply pass (CGInstanceNormAdd). The statistics stay beside y as for
 * CGInstanceNorm: the reverse pass differentiates the norm with y = this sum (activation 'none', so the
 * gradient reads y's values for nothing) and takes them from there.
 */
export function instanceNormAddForward(backend: GPUBackendLike, x: TensorInfo, residual: TensorInfo,
                                       attrs: { eps: number; act: number; alpha: number }): TensorInfo {
  const { chunks, u } = uniformsFor(x, attrs);
  const stats = statistics(backend, x, u, chunks);
  const y = run(backend, applyProgram('fwd', x.shape, true), [x, stats, residual], u);
  attachCompanion(backend, y, stats, { x: x.dataId, eps: attrs.eps } satisfies StatsTag);
  return y;
}

export function instanceNormBackward(backend: GPUBackendLike, x: TensorInfo, y: TensorInfo, dy: TensorInfo,
                                     attrs: { eps: number; act: number; alpha: number }): TensorInfo {
  const [n, , , c] = x.shape;
  const { chunks, u } = uniformsFor(x, attrs);
  const kept = takeCompanion(backend, y);
  const tag = kept?.tag as StatsTag | undefined;
  let stats: TensorInfo;
  if (kept && tag && tag.x === x.dataId && tag.eps === attrs.eps) stats = kept.info;
  else {
    if (kept) backend.disposeData(kept.info.dataId);
    stats = statistics(backend, x, u, chunks);
  }
  const part = run(backend, chunkProgram('grad', n, chunks, c), [x, y, dy, stats], u);
  const gm = run(backend, mergeProgram('grad', n, c), [part], [...u, ...ints(n * c)]);
  backend.disposeData(part.dataId);
  const dx = run(backend, applyProgram('grad', x.shape), [x, y, dy, stats, gm], u);
  backend.disposeData(stats.dataId);
  backend.disposeData(gm.dataId);
  return dx;
}
