// The FID Inception network (pytorch-fid's `fid_inception_v3`): torchvision's Inception3 with 1008 classes and
// no aux branch, patched as pytorch-fid patches it:
//   - FIDInceptionA, FIDInceptionC, FIDInceptionE_1: the branch_pool's 3×3 average pool excludes the padding
//     from the average (count_include_pad=False, TensorFlow's behaviour);
//   - FIDInceptionE_2 (Mixed_7c): a 3×3 max pool instead of the average pool.
// BasicConv2d = conv (no bias) + BatchNorm (eps 0.001) + ReLU; we fold each batch norm into its conv (inference
// only) and run one fused conv2d+bias+relu, which the native backend executes with oneDNN.
// Input: RGB in [0, 1], resized to 299×299 bilinearly with align_corners=False, then scaled to 2x − 1.
// Outputs (pytorch-fid's BLOCK_INDEX_BY_DIM): 64 = after the first max pool, 192 = after the second,
// 768 = Mixed_6e (the aux classifier's input), 2048 = the final average pool; every block output is
// average-pooled to one vector per image, as fid_score.get_activations does.
import { CycleGANError } from '../core/errors.js';
import { tf } from '../core/tf.js';
import type { StateDict } from '../weights/torch_pth.js';

export const FID_DIMS = [64, 192, 768, 2048] as const;
export type FidDims = (typeof FID_DIMS)[number];
/** pytorch-fid's default --dims: the final pool's features. */
export const FID_DEFAULT_DIMS: FidDims = 2048;
export const INCEPTION_SIZE = 299;

/** Checks a feature dimension (--dims): one of pytorch-fid's block outputs. */
export function checkFidDims(dims: number): FidDims {
  if (!(FID_DIMS as readonly number[]).includes(dims)) throw new CycleGANError(`--dims must be one of ${FID_DIMS.join(', ')}; got ${dims}`);
  return dims as FidDims;
}
const BN_EPS = 0.001;

interface ConvSpec {
  name: string;
  inC: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  ph: number;
  pw: number;
}

/** Every BasicConv2d of the network, with torchvision's shapes (the state dict is checked against these). */
function architecture(): ConvSpec[] {
  const out: ConvSpec[] = [];
  const c = (name: string, inC: number, outC: number, k: number | [number, number], o: { s?: number; p?: number | [number, number] } = {}) => {
    const [kh, kw] = typeof k === 'number' ? [k, k] : k;
    const [ph, pw] = o.p === undefined ? [0, 0] : typeof o.p === 'number' ? [o.p, o.p] : o.p;
    out.push({ name, inC, outC, kh, kw, stride: o.s ?? 1, ph, pw });
  };
  c('Conv2d_1a_3x3', 3, 32, 3, { s: 2 });
  c('Conv2d_2a_3x3', 32, 32, 3);
  c('Conv2d_2b_3x3', 32, 64, 3, { p: 1 });
  c('Conv2d_3b_1x1', 64, 80, 1);
  c('Conv2d_4a_3x3', 80, 192, 3);
  const A = (n: string, inC: number, pf: number) => {
    c(`${n}.branch1x1`, inC, 64, 1);
    c(`${n}.branch5x5_1`, inC, 48, 1);
    c(`${n}.branch5x5_2`, 48, 64, 5, { p: 2 });
    c(`${n}.branch3x3dbl_1`, inC, 64, 1);
    c(`${n}.branch3x3dbl_2`, 64, 96, 3, { p: 1 });
    c(`${n}.branch3x3dbl_3`, 96, 96, 3, { p: 1 });
    c(`${n}.branch_pool`, inC, pf, 1);
  };
  A('Mixed_5b', 192, 32);
  A('Mixed_5c', 256, 64);
  A('Mixed_5d', 288, 64);
  c('Mixed_6a.branch3x3', 288, 384, 3, { s: 2 });
  c('Mixed_6a.branch3x3dbl_1', 288, 64, 1);
  c('Mixed_6a.branch3x3dbl_2', 64, 96, 3, { p: 1 });
  c('Mixed_6a.branch3x3dbl_3', 96, 96, 3, { s: 2 });
  const C = (n: string, c7: number) => {
    c(`${n}.branch1x1`, 768, 192, 1);
    c(`${n}.branch7x7_1`, 768, c7, 1);
    c(`${n}.branch7x7_2`, c7, c7, [1, 7], { p: [0, 3] });
    c(`${n}.branch7x7_3`, c7, 192, [7, 1], { p: [3, 0] });
    c(`${n}.branch7x7dbl_1`, 768, c7, 1);
    c(`${n}.branch7x7dbl_2`, c7, c7, [7, 1], { p: [3, 0] });
    c(`${n}.branch7x7dbl_3`, c7, c7, [1, 7], { p: [0, 3] });
    c(`${n}.branch7x7dbl_4`, c7, c7, [7, 1], { p: [3, 0] });
    c(`${n}.branch7x7dbl_5`, c7, 192, [1, 7], { p: [0, 3] });
    c(`${n}.branch_pool`, 768, 192, 1);
  };
  C('Mixed_6b', 128);
  C('Mixed_6c', 160);
  C('Mixed_6d', 160);
  C('Mixed_6e', 192);
  c('Mixed_7a.branch3x3_1', 768, 192, 1);
  c('Mixed_7a.branch3x3_2', 192, 320, 3, { s: 2 });
  c('Mixed_7a.branch7x7x3_1', 768, 192, 1);
  c('Mixed_7a.branch7x7x3_2', 192, 192, [1, 7], { p: [0, 3] });
  c('Mixed_7a.branch7x7x3_3', 192, 192, [7, 1], { p: [3, 0] });
  c('Mixed_7a.branch7x7x3_4', 192, 192, 3, { s: 2 });
  const E = (n: string, inC: number) => {
    c(`${n}.branch1x1`, inC, 320, 1);
    c(`${n}.branch3x3_1`, inC, 384, 1);
    c(`${n}.branch3x3_2a`, 384, 384, [1, 3], { p: [0, 1] });
    c(`${n}.branch3x3_2b`, 384, 384, [3, 1], { p: [1, 0] });
    c(`${n}.branch3x3dbl_1`, inC, 448, 1);
    c(`${n}.branch3x3dbl_2`, 448, 384, 3, { p: 1 });
    c(`${n}.branch3x3dbl_3a`, 384, 384, [1, 3], { p: [0, 1] });
    c(`${n}.branch3x3dbl_3b`, 384, 384, [3, 1], { p: [1, 0] });
    c(`${n}.branch_pool`, inC, 192, 1);
  };
  E('Mixed_7b', 1280);
  E('Mixed_7c', 2048);
  return out;
}

const BN_KEYS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

interface FoldedConv {
  spec: ConvSpec;
  filter: tf.Tensor4D; // [kh, kw, in, out]
  bias: tf.Tensor1D;
}

/** The native backend runs slices and element-wise ops natively but pools in tfjs-cpu's JS loops. */
function nativeElementwise(): boolean {
  return tf.getBackend() === 'native';
}

/**
 * One step of a separable 3-tap pool: `op` over the three windows t[o .. o+len) (o = 0, 1, 2) along `axis`
 * (1 = rows, 2 = columns), freeing each partial result as it goes. `t` stays the caller's.
 */
function combine3(t: tf.Tensor4D, axis: 1 | 2, len: number,
                  op: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor): tf.Tensor4D {
  const size = t.shape.slice() as [number, number, number, number];
  size[axis] = len;
  const at = (o: number) => tf.slice(t, axis === 1 ? [0, o, 0, 0] : [0, 0, o, 0], size);
  let acc = at(0);
  for (const o of [1, 2]) {
    const sl = at(o);
    const next = op(acc, sl) as tf.Tensor4D;
    acc.dispose();
    sl.dispose();
    acc = next;
  }
  return acc;
}

export class FidInception {
  private constructor(private readonly convs: Map<string, FoldedConv>) {}

  /**
   * Builds the network from pytorch-fid's state dict (pt_inception-2015-12-05-6726825d.pth, or a file of the
   * same layout). Every conv/bn key must be there with its shape; `fc.*` and `num_batches_tracked` are
   * accepted and unused; anything else is an error naming the key.
   */
  static fromStateDict(sd: StateDict, label = 'Inception weights'): FidInception {
    const arch = architecture();
    const expected = new Set<string>();
    for (const s of arch) {
      expected.add(`${s.name}.conv.weight`);
      for (const k of BN_KEYS) expected.add(`${s.name}.bn.${k}`);
    }
    const missing = [...expected].filter((k) => !sd.has(k));
    const unexpected = [...sd.keys()].filter((k) => !expected.has(k) && k !== 'fc.weight' && k !== 'fc.bias' && !k.endsWith('.num_batches_tracked'));
    if (missing.length || unexpected.length) {
      const parts = [];
      if (missing.length) parts.push(`${missing.length} missing key(s), first '${missing[0]}'`);
      if (unexpected.length) parts.push(`${unexpected.length} unexpected key(s), first '${unexpected[0]}'`);
      throw new CycleGANError(`${label} is not the pytorch-fid Inception state dict: ${parts.join('; ')}`);
    }
    const shapeOf = (k: string) => sd.get(k)!.shape;
    const convs = new Map<string, FoldedConv>();
    try {
      for (const s of arch) {
        const w = sd.get(`${s.name}.conv.weight`)!;
        const want = [s.outC, s.inC, s.kh, s.kw];
        if (w.shape.join() !== want.join()) {
          throw new CycleGANError(`${label}: ${s.name}.conv.weight has shape [${w.shape}], expected [${want}]`);
        }
        for (const k of BN_KEYS) {
          if (shapeOf(`${s.name}.bn.${k}`).join() !== String(s.outC)) {
            throw new CycleGANError(`${label}: ${s.name}.bn.${k} has shape [${shapeOf(`${s.name}.bn.${k}`)}], expected [${s.outC}]`);
          }
        }
        const g = sd.get(`${s.name}.bn.weight`)!.data, b = sd.get(`${s.name}.bn.bias`)!.data;
        const mean = sd.get(`${s.name}.bn.running_mean`)!.data, vr = sd.get(`${s.name}.bn.running_var`)!.data;
        const scale = new Float64Array(s.outC);
        const bias = new Float32Array(s.outC);
        for (let o = 0; o < s.outC; o++) {
          scale[o] = g[o] / Math.sqrt(vr[o] + BN_EPS);
          bias[o] = b[o] - mean[o] * scale[o];
        }
        // [out, in, kh, kw] → [kh, kw, in, out], scaled per output channel
        const f = new Float32Array(w.data.length);
        const { inC, outC, kh, kw } = s;
        for (let o = 0; o < outC; o++) {
          for (let i = 0; i < inC; i++) {
            for (let y = 0; y < kh; y++) {
              for (let x = 0; x < kw; x++) {
                f[((y * kw + x) * inC + i) * outC + o] = w.data[((o * inC + i) * kh + y) * kw + x] * scale[o];
              }
            }
          }
        }
        for (const v of [f, bias]) {
          for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new CycleGANError(`${label}: ${s.name} has non-finite values`);
        }
        convs.set(s.name, { spec: s, filter: tf.tensor4d(f, [kh, kw, inC, outC]), bias: tf.tensor1d(bias) });
      }
    } catch (e) {
      for (const c of convs.values()) tf.dispose([c.filter, c.bias]);
      throw e;
    }
    return new FidInception(convs);
  }

  dispose(): void {
    for (const c of this.convs.values()) tf.dispose([c.filter, c.bias]);
    this.convs.clear();
  }

  private conv(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const c = this.convs.get(name);
    if (!c) throw new Error(`FidInception: no conv ${name}`);
    const s = c.spec;
    let pad: 'valid' | 'same';
    if (s.ph === 0 && s.pw === 0) pad = 'valid';
    else if (s.stride === 1 && 2 * s.ph === s.kh - 1 && 2 * s.pw === s.kw - 1) pad = 'same'; // symmetric (k−1)/2
    else throw new Error(`FidInception: unsupported padding for ${name}`);
    return tf.fused.conv2d({ x, filter: c.filter, strides: s.stride, pad, bias: c.bias, activation: 'relu' });
  }

  /** conv(…conv(x, names[0])…, names[n−1]), freeing each intermediate as soon as the next conv has used it. */
  private chain(x: tf.Tensor4D, ...names: string[]): tf.Tensor4D {
    let y = x;
    for (const n of names) {
      const z = this.conv(y, n);
      if (y !== x) y.dispose();
      y = z;
    }
    return y;
  }

  /** 3×3, stride 1, padding 1 average pool that excludes the padding from the average (count_include_pad=False). */
  private avgPoolExcludePad(x: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    const p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    // sum over the window (zero padding adds nothing), then divide by the number of real pixels in it
    let sum: tf.Tensor4D;
    if (nativeElementwise()) {
      // separable sums of shifted slices: native slices and adds, 3-4× faster than tfjs-cpu's AvgPool loop
      const rows = combine3(p, 1, h, tf.add);
      p.dispose();
      sum = combine3(rows, 2, w, tf.add);
      rows.dispose();
    } else {
      sum = tf.mul(tf.avgPool(p, 3, 1, 'valid'), 9);
    }
    const count = new Float32Array(h * w);
    for (let y = 0; y < h; y++) {
      const cy = (y > 0 ? 1 : 0) + 1 + (y < h - 1 ? 1 : 0);
      for (let xx = 0; xx < w; xx++) count[y * w + xx] = 1 / (cy * ((xx > 0 ? 1 : 0) + 1 + (xx < w - 1 ? 1 : 0)));
    }
    return tf.mul(sum, tf.tensor4d(count, [1, h, w, 1]));
  }

  /** 3×3, stride 2, unpadded max pool (nn.MaxPool2d(3, 2)). */
  private maxPool3s2(x: tf.Tensor4D): tf.Tensor4D {
    if (!nativeElementwise()) return tf.maxPool(x, 3, 2, 'valid');
    // separable max of shifted slices; the stride-2 subsampling is a reshape to pairs and a slice (tfjs's
    // StridedSlice is a slow per-element loop; tfjs-cpu's MaxPool is 2-5× slower than this on the native backend)
    const [n, h, w, c] = x.shape;
    const ho = Math.floor((h - 3) / 2) + 1, wo = Math.floor((w - 3) / 2) + 1;
    // each step in its own tidy so that its slices are freed before the next
    const rows = tf.tidy(() => combine3(x, 1, 2 * ho - 1, tf.maximum)); // [n, 2ho−1, w, c]: row i = max of rows i..i+2
    const evenRows = tf.tidy(() => tf.reshape(tf.slice(tf.reshape(tf.pad(rows, [[0, 0], [0, 1], [0, 0], [0, 0]]), [n, ho, 2, w, c]), [0, 0, 0, 0, 0], [n, ho, 1, w, c]), [n, ho, w, c]) as tf.Tensor4D);
    rows.dispose();
    const cols = tf.tidy(() => combine3(evenRows, 2, 2 * wo - 1, tf.maximum));
    evenRows.dispose();
    const y = tf.tidy(() => tf.reshape(tf.slice(tf.reshape(tf.pad(cols, [[0, 0], [0, 0], [0, 1], [0, 0]]), [n, ho, wo, 2, c]), [0, 0, 0, 0, 0], [n, ho, wo, 1, c]), [n, ho, wo, c]) as tf.Tensor4D);
    cols.dispose();
    return y;
  }

  private blockA(x: tf.Tensor4D, n: string): tf.Tensor4D {
    const b1 = this.conv(x, `${n}.branch1x1`);
    const b5 = this.chain(x, `${n}.branch5x5_1`, `${n}.branch5x5_2`);
    const b3 = this.chain(x, `${n}.branch3x3dbl_1`, `${n}.branch3x3dbl_2`, `${n}.branch3x3dbl_3`);
    const bp = this.conv(this.avgPoolExcludePad(x), `${n}.branch_pool`);
    return tf.concat([b1, b5, b3, bp], 3);
  }

  private blockC(x: tf.Tensor4D, n: string): tf.Tensor4D {
    const b1 = this.conv(x, `${n}.branch1x1`);
    const b7 = this.chain(x, `${n}.branch7x7_1`, `${n}.branch7x7_2`, `${n}.branch7x7_3`);
    const bd = this.chain(x, ...[1, 2, 3, 4, 5].map((i) => `${n}.branch7x7dbl_${i}`));
    const bp = this.conv(this.avgPoolExcludePad(x), `${n}.branch_pool`);
    return tf.concat([b1, b7, bd, bp], 3);
  }

  private blockE(x: tf.Tensor4D, n: string, maxPool: boolean): tf.Tensor4D {
    const b1 = this.conv(x, `${n}.branch1x1`);
    const t = this.conv(x, `${n}.branch3x3_1`);
    const b3 = tf.concat([this.conv(t, `${n}.branch3x3_2a`), this.conv(t, `${n}.branch3x3_2b`)], 3);
    const u = this.chain(x, `${n}.branch3x3dbl_1`, `${n}.branch3x3dbl_2`);
    const bd = tf.concat([this.conv(u, `${n}.branch3x3dbl_3a`), this.conv(u, `${n}.branch3x3dbl_3b`)], 3);
    const pooled = maxPool ? tf.maxPool(x, 3, 1, 'same') : this.avgPoolExcludePad(x);
    return tf.concat([b1, b3, bd, this.conv(pooled, `${n}.branch_pool`)], 3);
  }

  /**
   * Features of a batch already resized to 299×299 and scaled to [−1, 1] (NHWC): [batch, dims], each block's
   * output averaged over its spatial positions. The caller disposes the result.
   */
  features(x: tf.Tensor4D, dims: FidDims = FID_DEFAULT_DIMS): tf.Tensor2D {
    checkFidDims(dims);
    // Block by block, each in its own tidy that keeps only the block's output, so memory holds one block's
    // activations at a time (one tidy over the whole network would keep every intermediate of a 50-image batch).
    let h = x;
    const stage = (f: (t: tf.Tensor4D) => tf.Tensor4D) => {
      const y = tf.tidy(() => f(h));
      if (h !== x) h.dispose();
      h = y;
    };
    const pool = () => {
      const y = tf.tidy(() => tf.mean(h, [1, 2]) as tf.Tensor2D);
      if (h !== x) h.dispose();
      return y;
    };
    try {
      stage((t) => this.maxPool3s2(this.chain(t, 'Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3')));
      if (dims === 64) return pool();
      stage((t) => this.maxPool3s2(this.chain(t, 'Conv2d_3b_1x1', 'Conv2d_4a_3x3')));
      if (dims === 192) return pool();
      for (const n of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d']) stage((t) => this.blockA(t, n));
      stage((t) => { // Mixed_6a (InceptionB)
        const b3 = this.conv(t, 'Mixed_6a.branch3x3');
        const bd = this.chain(t, 'Mixed_6a.branch3x3dbl_1', 'Mixed_6a.branch3x3dbl_2', 'Mixed_6a.branch3x3dbl_3');
        return tf.concat([b3, bd, this.maxPool3s2(t)], 3);
      });
      for (const n of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) stage((t) => this.blockC(t, n));
      if (dims === 768) return pool();
      stage((t) => { // Mixed_7a (InceptionD)
        const d3 = this.chain(t, 'Mixed_7a.branch3x3_1', 'Mixed_7a.branch3x3_2');
        const d7 = this.chain(t, ...[1, 2, 3, 4].map((i) => `Mixed_7a.branch7x7x3_${i}`));
        return tf.concat([d3, d7, this.maxPool3s2(t)], 3);
      });
      stage((t) => this.blockE(t, 'Mixed_7b', false));
      stage((t) => this.blockE(t, 'Mixed_7c', true));
      return pool();
    } catch (e) {
      if (h !== x && !h.isDisposed) h.dispose();
      throw e;
    }
  }

}

/**
 * One image (8-bit RGB, HWC) → the network input: x/255, bilinear resize to 299×299 as
 * F.interpolate(mode='bilinear', align_corners=False) (no antialiasing), then 2x − 1. Written into `out`.
 */
export function prepareImage(rgb: Uint8Array, width: number, height: number, out: Float32Array, offset = 0): void {
  const S = INCEPTION_SIZE;
  const axis = (inSize: number) => {
    const i0 = new Int32Array(S), i1 = new Int32Array(S), f = new Float64Array(S);
    const scale = inSize / S;
    for (let o = 0; o < S; o++) {
      let src = (o + 0.5) * scale - 0.5;
      if (src < 0) src = 0;
      const lo = Math.min(Math.floor(src), inSize - 1);
      i0[o] = lo;
      i1[o] = Math.min(lo + 1, inSize - 1);
      f[o] = src - lo;
    }
    return { i0, i1, f };
  };
  const ys = axis(height), xs = axis(width);
  for (let oy = 0; oy < S; oy++) {
    const r0 = ys.i0[oy] * width, r1 = ys.i1[oy] * width, fy = ys.f[oy];
    for (let ox = 0; ox < S; ox++) {
      const c0 = xs.i0[ox], c1 = xs.i1[ox], fx = xs.f[ox];
      const o = offset + (oy * S + ox) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = rgb[(r0 + c0) * 3 + ch] * (1 - fx) + rgb[(r0 + c1) * 3 + ch] * fx;
        const bot = rgb[(r1 + c0) * 3 + ch] * (1 - fx) + rgb[(r1 + c1) * 3 + ch] * fx;
        out[o + ch] = ((top * (1 - fy) + bot * fy) / 255) * 2 - 1;
      }
    }
  }
}
