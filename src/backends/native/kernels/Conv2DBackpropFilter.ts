// Conv2DBackpropFilter (the weight gradient) through oneDNN (conv.ts).
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { convGradKernel } from './conv.js';
import type { NativeKernelDef } from './shared.js';

export const conv2DBackpropFilterKernel: NativeKernelDef = {
  kernelName: Conv2DBackpropFilter,
  make: (addon, fallback) => convGradKernel(addon, fallback, 'filter'),
};
