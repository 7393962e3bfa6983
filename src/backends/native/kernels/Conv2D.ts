// Conv2D (NHWC, float32) through oneDNN; other layouts and dtypes go to tfjs-cpu.
import { Conv2D } from '@tensorflow/tfjs-core';
import { convForwardKernel } from './conv.js';
import type { NativeKernelDef } from './shared.js';

export const conv2DKernel: NativeKernelDef = {
  kernelName: Conv2D,
  make: (addon, fallback) => convForwardKernel(addon, fallback, false),
};
