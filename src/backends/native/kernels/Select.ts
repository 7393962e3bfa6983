// Select (same-size condition and branches): the other half of LeakyRelu's gradient (see Greater.ts).
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Select } from '@tensorflow/tfjs-core';
import { alloc, f32, out, type NativeKernelDef, type TensorInfo } from './shared.js';

export const selectKernel: NativeKernelDef = {
  kernelName: Select,
  make: (addon, fallback) => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { condition, t, e } = args.inputs as Record<string, TensorInfo>;
    const cv = condition.dtype === 'bool' ? backend.data.get(condition.dataId)?.values : null;
    const tv = f32(backend, t), ev = f32(backend, e);
    if (!(cv instanceof Uint8Array) || !tv || !ev || cv.length !== tv.length || ev.length !== tv.length) {
      return fallback(args);
    }
    const o = alloc(tv.length);
    addon.select(cv, tv, ev, o);
    return out(backend, t.shape, o);
  },
};
