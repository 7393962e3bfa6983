// Conv2DBackpropInput (the data gradient, also transposed convolutions) through oneDNN (conv.ts).
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { convGradKernel } from './conv.js';
import type { NativeKernelDef } from './shared.js';

export const conv2DBackpropInputKernel: NativeKernelDef = {
  kernelName: Conv2DBackpropInput,
  make: (addon, fallback) => convGradKernel(addon, fallback, 'input'),
};
