// FusedConv2D: the convolution with its bias and activation as oneDNN post-ops (PReLU goes to tfjs-cpu).
import { FusedConv2D } from '@tensorflow/tfjs-core';
import { convForwardKernel } from './conv.js';
import type { NativeKernelDef } from './shared.js';

export const fusedConv2DKernel: NativeKernelDef = {
  kernelName: FusedConv2D,
  make: (addon, fallback) => convForwardKernel(addon, fallback, true),
};
