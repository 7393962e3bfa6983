// CGAdam (contract in docs/ARCHITECTURE.md): one PyTorch Adam step, outputs [param, m, v].
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { CGAdam, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { alloc, f32, need, out, type NativeKernelDef } from './shared.js';

export const cgAdamKernel: NativeKernelDef = {
  kernelName: CGAdam,
  make: (addon) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { param, grad, m, v } = kernelInputs(CGAdam, args.inputs);
    const { lr, beta1, beta2, eps, step } = kernelAttrs(CGAdam, args.attrs);
    const pv = need(f32(backend, param), 'CGAdam param'), gv = need(f32(backend, grad), 'CGAdam grad');
    const mv = need(f32(backend, m), 'CGAdam m'), vv = need(f32(backend, v), 'CGAdam v');
    const po = alloc(pv.length), mo = alloc(pv.length), vo = alloc(pv.length);
    addon.adam(pv, gv, mv, vv, po, mo, vo, lr, beta1, beta2, eps, step);
    return [out(backend, param.shape, po), out(backend, param.shape, mo), out(backend, param.shape, vo)];
  },
};
