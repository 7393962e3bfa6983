// TF.js kernels of the 'native' backend. Tensor storage is tfjs-cpu's (a Float32Array per dataId), so each
// kernel hands the input arrays to the addon as they are and wraps a fresh output array; anything a native
// kernel does not cover (other dtypes, NCHW, PReLU, odd reductions) goes to the tfjs-cpu kernel it replaced.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../core/tf.js';
import { ACT, BIN, UN, type NativeAddon } from './addon.js';
import { CGAdam, CGInstanceNorm, CGInstanceNormGrad, CGMirrorPadGrad, kernelAttrs, kernelInputs, type CGInstanceNormAttrs } from '../../core/ops/kernel_names.js';

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: tf.NamedAttrMap };
type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Records the oneDNN implementation chosen per conv kernel (for `bench` and tests). */
export const convImpls = new Map<string, string>();

function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : null;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** ArrayBuffers allocated by native kernels: the backend frees these eagerly (see index.ts). */
export const nativeBuffers = new WeakSet<ArrayBufferLike>();

let allocFromAddon: ((n: number) => Float32Array) | null = null;

/** An output array that is not zeroed first (every native kernel writes all of its output). */
function alloc(n: number): Float32Array {
  if (n === 0 || !allocFromAddon) return new Float32Array(n);
  const a = allocFromAddon(n);
  nativeBuffers.add(a.buffer);
  return a;
}

/** Row-major element strides. */
function strides(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

function convParams(info: tf.backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight,
    info.filterWidth, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight,
    info.dilationWidth, p.top, p.bottom, p.left, p.right];
}

function isNHWC(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Native replacements keyed by kernel name; `fallback(name)` returns the tfjs-cpu kernel. */
export function nativeKernels(addon: NativeAddon, fallback: (name: string) => Kernel): Map<string, Kernel> {
  const k = new Map<string, Kernel>();
  allocFromAddon = (n) => addon.alloc(n);

  const conv = (name: string, fused: boolean): Kernel => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as Record<string, unknown>;
    const activation = fused ? ((a.activation as string | undefined) ?? 'linear') : 'linear';
    const act = activation === 'linear' ? ACT.none : (ACT as Record<string, number>)[activation];
    const xv = f32(backend, x), wv = f32(backend, filter);
    const bv = fused && bias ? f32(backend, bias) : null;
    if (!xv || !wv || !isNHWC(a.dataFormat) || x.shape.length !== 4 || act === undefined || preluActivationWeights ||
        (fused && bias && (!bv || bv.length !== filter.shape[3]))) {
      return fallback(name)(args);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides as [number, number] | number,
      (a.dilations ?? 1) as [number, number] | number, a.pad as 'same', a.dimRoundingMode as 'floor' | undefined,
      false, 'channelsLast');
    const y = alloc(info.batchSize * info.outHeight * info.outWidth * info.outChannels);
    const alpha = (a.leakyreluAlpha as number | undefined) ?? 0.2;
    convImpls.set('fwd', addon.convForward(xv, wv, bv, y, convParams(info), act, alpha));
    return out(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], y);
  };
  k.set('Conv2D', conv('Conv2D', false));
  k.set('FusedConv2D', conv('FusedConv2D', true));

  k.set('Conv2DBackpropInput', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as Record<string, unknown>;
    const dyv = f32(backend, dy), wv = f32(backend, filter);
    const inputShape = a.inputShape as number[];
    if (!dyv || !wv || !isNHWC(a.dataFormat) || inputShape.length !== 4) return fallback('Conv2DBackpropInput')(args);
    const info = tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number], a.strides as [number, number] | number, 1,
      a.pad as 'same', a.dimRoundingMode as 'floor' | undefined, false, 'channelsLast');
    const dx = alloc(size(inputShape));
    convImpls.set('bwd_data', addon.convBackwardData(dyv, wv, dx, convParams(info)));
    return out(backend, inputShape, dx);
  });

  k.set('Conv2DBackpropFilter', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as Record<string, unknown>;
    const xv = f32(backend, x), dyv = f32(backend, dy);
    const filterShape = a.filterShape as number[];
    if (!xv || !dyv || !isNHWC(a.dataFormat) || x.shape.length !== 4) return fallback('Conv2DBackpropFilter')(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filterShape as [number, number, number, number], a.strides as [number, number] | number, 1,
      a.pad as 'same', a.dimRoundingMode as 'floor' | undefined, false, 'channelsLast');
    const dw = alloc(size(filterShape));
    convImpls.set('bwd_weights', addon.convBackwardFilter(xv, dyv, dw, convParams(info)));
    return out(backend, filterShape, dw);
  });

  for (const [name, op] of Object.entries(BIN)) {
    k.set(name, (args) => {
      const backend = args.backend as MathBackendCPU;
      const { a, b } = args.inputs as Record<string, TensorInfo>;
      const av = f32(backend, a), bv = f32(backend, b);
      if (!av || !bv) return fallback(name)(args);
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const o = alloc(size(shape));
      addon.binary(op, av, a.shape, bv, b.shape, o);
      return out(backend, shape, o);
    });
  }

  // Gradient accumulation sums many same-shape tensors: add in place into one fresh array.
  k.set('AddN', (args) => {
    const backend = args.backend as MathBackendCPU;
    const ts = Object.values(args.inputs) as TensorInfo[];
    const vs = ts.map((t) => f32(backend, t));
    if (ts.length < 2 || vs.some((v) => !v || v.length !== vs[0]!.length)) return fallback('AddN')(args);
    const o = alloc(vs[0]!.length);
    const shape = ts[0].shape;
    addon.binary(BIN.Add, vs[0]!, shape, vs[1]!, shape, o);
    for (let i = 2; i < vs.length; i++) addon.binary(BIN.Add, o, shape, vs[i]!, shape, o);
    return out(backend, shape, o);
  });

  for (const [name, op] of Object.entries(UN)) {
    k.set(name, (args) => {
      const backend = args.backend as MathBackendCPU;
      const { x } = args.inputs as Record<string, TensorInfo>;
      const xv = f32(backend, x);
      if (!xv) return fallback(name)(args);
      const alpha = Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0);
      const o = alloc(xv.length);
      addon.unary(op, xv, o, alpha);
      return out(backend, x.shape, o);
    });
  }

  // LeakyRelu's gradient is where(x > 0, dy, alpha·dy): both halves are JS loops in tfjs-cpu.
  k.set('Greater', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const av = f32(backend, a), bv = f32(backend, b);
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (!av || !bv || !(sameShape || bv.length === 1)) return fallback('Greater')(args);
    const o = new Uint8Array(av.length);
    addon.greater(av, bv, o);
    return backend.makeTensorInfo(a.shape, 'bool', o);
  });

  k.set('Select', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { condition, t, e } = args.inputs as Record<string, TensorInfo>;
    const cv = condition.dtype === 'bool' ? backend.data.get(condition.dataId)?.values : null;
    const tv = f32(backend, t), ev = f32(backend, e);
    if (!(cv instanceof Uint8Array) || !tv || !ev || cv.length !== tv.length || ev.length !== tv.length) {
      return fallback('Select')(args);
    }
    const o = alloc(tv.length);
    addon.select(cv, tv, ev, o);
    return out(backend, t.shape, o);
  });

  for (const name of ['Sum', 'Mean']) {
    k.set(name, (args) => {
      const backend = args.backend as MathBackendCPU;
      const { x } = args.inputs as Record<string, TensorInfo>;
      const { axis, keepDims } = (args.attrs ?? {}) as { axis?: number | number[]; keepDims?: boolean };
      const xv = f32(backend, x);
      const g = xv ? reductionGroups(x.shape, tf.util.parseAxisParam(axis ?? null as unknown as number[], x.shape)) : null;
      if (!xv || !g) return fallback(name)(args);
      const axes = new Set(tf.util.parseAxisParam(axis ?? null as unknown as number[], x.shape));
      const shape = keepDims ? x.shape.map((d, i) => (axes.has(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.has(i));
      const o = alloc(g.a * g.b);
      addon.reduceSum(xv, g.a, g.r, g.b, name === 'Mean', o);
      return out(backend, shape, o);
    });
  }

  k.set('MirrorPad', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { paddings, mode } = (args.attrs ?? {}) as { paddings: Array<[number, number]>; mode: string };
    const xv = f32(backend, x);
    if (!xv || x.shape.length > 4 || (mode !== 'reflect' && mode !== 'symmetric')) return fallback('MirrorPad')(args);
    const { shape4, pads8 } = to4d(x.shape, paddings);
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const y = alloc(size(shape));
    addon.mirrorPad(xv, shape4, pads8, mode === 'symmetric', y);
    return out(backend, shape, y);
  });

  // Data movement: tfjs-cpu does these element by element through index arithmetic in JS.
  k.set('Slice', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const a = (args.attrs ?? {}) as { begin: number | number[]; size?: number | number[] };
    const xv = f32(backend, x);
    const [begin, sz] = tf.slice_util.parseSliceParams(x, a.begin, a.size);
    // A contiguous slice is a zero-copy view in tfjs-cpu: keep that.
    if (!xv || tf.slice_util.isSliceContinous(x.shape, begin, sz)) return fallback('Slice')(args);
    const st = strides(x.shape);
    const o = alloc(size(sz));
    addon.stridedCopy(xv, begin.reduce((acc, b, i) => acc + b * st[i], 0), st, o, 0, strides(sz), sz);
    return out(backend, sz, o);
  });

  k.set('Reverse', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xv = f32(backend, x);
    if (!xv) return fallback('Reverse')(args);
    const axes = new Set(tf.util.parseAxisParam((args.attrs as { dims: number | number[] }).dims, x.shape));
    const st = strides(x.shape);
    let off = 0;
    const sst = st.map((s, i) => {
      if (!axes.has(i)) return s;
      off += (x.shape[i] - 1) * s;
      return -s;
    });
    const o = alloc(xv.length);
    addon.stridedCopy(xv, off, sst, o, 0, st, x.shape);
    return out(backend, x.shape, o);
  });

  k.set('Transpose', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xv = f32(backend, x);
    if (!xv) return fallback('Transpose')(args);
    const perm = (args.attrs as { perm: number[] }).perm;
    const st = strides(x.shape);
    const shape = perm.map((p) => x.shape[p]);
    const o = alloc(xv.length);
    addon.stridedCopy(xv, 0, perm.map((p) => st[p]), o, 0, strides(shape), shape);
    return out(backend, shape, o);
  });

  k.set('PadV2', (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { paddings, constantValue } = args.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
    const xv = f32(backend, x);
    if (!xv) return fallback('PadV2')(args);
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    const ost = strides(shape);
    const o = alloc(size(shape));
    addon.fill(o, constantValue);
    addon.stridedCopy(xv, 0, strides(x.shape), o, paddings.reduce((acc, [b], i) => acc + b * ost[i], 0), ost, x.shape);
    return out(backend, shape, o);
  });

  // Custom kernels (contracts in docs/ARCHITECTURE.md).
  k.set(CGMirrorPadGrad, (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy } = kernelInputs(CGMirrorPadGrad, args.inputs);
    const { paddings, mode, xShape } = kernelAttrs(CGMirrorPadGrad, args.attrs);
    const dyv = need(f32(backend, dy), 'CGMirrorPadGrad dy');
    if (xShape.length > 4) throw new Error('CGMirrorPadGrad: rank above 4 is not supported natively');
    const { shape4, pads8 } = to4d(xShape, paddings);
    const dx = alloc(size(xShape));
    addon.mirrorPadGrad(dyv, shape4, pads8, mode === 'symmetric', dx);
    return out(backend, xShape, dx);
  });

  k.set(CGInstanceNorm, (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = kernelInputs(CGInstanceNorm, args.inputs);
    const { eps, act, alpha } = normAttrs(args.attrs);
    const xv = need(f32(backend, x), 'CGInstanceNorm x');
    const [n, h, w, c] = x.shape;
    const y = alloc(xv.length);
    addon.instanceNorm(xv, y, n, h * w, c, eps, act, alpha);
    return out(backend, x.shape, y);
  });

  k.set(CGInstanceNormGrad, (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, y, dy } = kernelInputs(CGInstanceNormGrad, args.inputs);
    const { eps, act, alpha } = normAttrs(args.attrs);
    const xv = need(f32(backend, x), 'CGInstanceNormGrad x');
    const yv = need(f32(backend, y), 'CGInstanceNormGrad y');
    const dyv = need(f32(backend, dy), 'CGInstanceNormGrad dy');
    const [n, h, w, c] = x.shape;
    const dx = alloc(xv.length);
    addon.instanceNormGrad(xv, yv, dyv, dx, n, h * w, c, eps, act, alpha);
    return out(backend, x.shape, dx);
  });

  k.set(CGAdam, (args) => {
    const backend = args.backend as MathBackendCPU;
    const { param, grad, m, v } = kernelInputs(CGAdam, args.inputs);
    const { lr, beta1, beta2, eps, step } = kernelAttrs(CGAdam, args.attrs);
    const pv = need(f32(backend, param), 'CGAdam param'), gv = need(f32(backend, grad), 'CGAdam grad');
    const mv = need(f32(backend, m), 'CGAdam m'), vv = need(f32(backend, v), 'CGAdam v');
    const po = alloc(pv.length), mo = alloc(pv.length), vo = alloc(pv.length);
    addon.adam(pv, gv, mv, vv, po, mo, vo, lr, beta1, beta2, eps, step);
    return [out(backend, param.shape, po), out(backend, param.shape, mo), out(backend, param.shape, vo)];
  });

  return k;
}

function need(v: Float32Array | null, what: string): Float32Array {
  if (!v) throw new Error(`${what} must be a float32 tensor`);
  return v;
}

function normAttrs(attrs: tf.NamedAttrMap | undefined): { eps: number; act: number; alpha: number } {
  const a = (attrs ?? {}) as Partial<CGInstanceNormAttrs>;
  const act = a.activation === 'relu' ? ACT.relu : a.activation === 'leakyrelu' ? ACT.leakyrelu : ACT.none;
  return { eps: a.eps ?? 1e-5, act, alpha: a.alpha ?? 0.2 };
}

/** Left-pads a rank ≤ 4 shape and its paddings to 4-D. */
function to4d(shape: number[], paddings: Array<[number, number]>): { shape4: number[]; pads8: number[] } {
  const lead = 4 - shape.length;
  const shape4 = [...Array(lead).fill(1), ...shape];
  const pads8: number[] = Array(lead * 2).fill(0);
  for (const [b, e] of paddings) pads8.push(b, e);
  return { shape4, pads8 };
}

/**
 * Views a reduction as x[a, r, b] → out[a, b]: possible when the reduced axes (ignoring size-1 dims) are one
 * contiguous run, which covers full reductions, bias gradients (NHW of NHWC) and per-image spatial means.
 */
export function reductionGroups(shape: number[], axes: number[]): { a: number; r: number; b: number } | null {
  const red = new Set(axes);
  let a = 1, r = 1, b = 1;
  let phase = 0; // 0 before the reduced run, 1 inside it, 2 after
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === 1) continue;
    if (red.has(i)) {
      if (phase === 2) return null;
      phase = 1;
      r *= d;
    } else if (phase === 0) a *= d;
    else {
      phase = 2;
      b *= d;
    }
  }
  return { a, r, b };
}
