// The elementwise kernels' common body: each file (Add.ts, Abs.ts, ...) names its op, the addon runs it by the
// op's code in ../addon.ts (BIN, UN).
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../../core/tf.js';
import { BIN, UN } from '../addon.js';
import { alloc, f32, out, size, type NativeKernelDef, type TensorInfo } from './shared.js';

/** A broadcasting float32 binary op (tfjs-cpu for other dtypes). */
export function binaryKernel(kernelName: keyof typeof BIN): NativeKernelDef {
  const op = BIN[kernelName];
  return {
    kernelName,
    make: (addon, fallback) => (args) => {
      const backend = args.backend as MathBackendCPU;
      const { a, b } = args.inputs as Record<string, TensorInfo>;
      const av = f32(backend, a), bv = f32(backend, b);
      if (!av || !bv) return fallback(args);
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const o = alloc(size(shape));
      addon.binary(op, av, a.shape, bv, b.shape, o);
      return out(backend, shape, o);
    },
  };
}

/** A float32 unary op; `alpha` is LeakyRelu's slope (ignored by the others). */
export function unaryKernel(kernelName: keyof typeof UN): NativeKernelDef {
  const op = UN[kernelName];
  return {
    kernelName,
    make: (addon, fallback) => (args) => {
      const backend = args.backend as MathBackendCPU;
      const { x } = args.inputs as Record<string, TensorInfo>;
      const xv = f32(backend, x);
      if (!xv) return fallback(args);
      const alpha = Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0);
      const o = alloc(xv.length);
      addon.unary(op, xv, o, alpha);
      return out(backend, x.shape, o);
    },
  };
}
