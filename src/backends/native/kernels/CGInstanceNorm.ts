// CGInstanceNorm (contract in docs/ARCHITECTURE.md): InstanceNorm2d(affine=False) and its activation, one pass.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../../core/tf.js';
import { CGInstanceNorm, kernelInputs, type CGInstanceNormAttrs } from '../../../core/ops/kernel_names.js';
import { ACT } from '../addon.js';
import { alloc, f32, need, out, type NativeKernelDef } from './shared.js';

/** The norm's attrs as the addon takes them (also CGInstanceNormGrad's). */
export function normAttrs(attrs: tf.NamedAttrMap | undefined): { eps: number; act: number; alpha: number } {
  const a = (attrs ?? {}) as Partial<CGInstanceNormAttrs>;
  const act = a.activation === 'relu' ? ACT.relu : a.activation === 'leakyrelu' ? ACT.leakyrelu : ACT.none;
  return { eps: a.eps ?? 1e-5, act, alpha: a.alpha ?? 0.2 };
}

export const cgInstanceNormKernel: NativeKernelDef = {
  kernelName: CGInstanceNorm,
  make: (addon) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = kernelInputs(CGInstanceNorm, args.inputs);
    const { eps, act, alpha } = normAttrs(args.attrs);
    const xv = need(f32(backend, x), 'CGInstanceNorm x');
    const [n, h, w, c] = x.shape;
    const y = alloc(xv.length);
    addon.instanceNorm(xv, y, n, h * w, c, eps, act, alpha);
    return out(backend, x.shape, y);
  },
};
