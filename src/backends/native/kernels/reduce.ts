// The reductions' common body (Sum.ts, Mean.ts).
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { SumAttrs } from '@tensorflow/tfjs-core';
import { tf } from '../../../core/tf.js';
import { alloc, f32, out, type NativeKernelDef, type TensorInfo } from './shared.js';

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

/** Sum or Mean of float32 over one contiguous run of axes; other reductions go to tfjs-cpu. */
export function reduceKernel(kernelName: 'Sum' | 'Mean'): NativeKernelDef {
  return {
    kernelName,
    make: (addon, fallback) => (args) => {
      const backend = args.backend as MathBackendCPU;
      const { x } = args.inputs as Record<string, TensorInfo>;
      const { axis, keepDims } = (args.attrs ?? {}) as Partial<SumAttrs>;
      const xv = f32(backend, x);
      if (!xv) return fallback(args);
      const axes = tf.util.parseAxisParam(axis ?? null as unknown as number[], x.shape);
      const g = reductionGroups(x.shape, axes);
      if (!g) return fallback(args);
      const reduced = new Set(axes);
      const shape = keepDims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
      const o = alloc(g.a * g.b);
      addon.reduceSum(xv, g.a, g.r, g.b, kernelName === 'Mean', o);
      return out(backend, shape, o);
    },
  };
}
