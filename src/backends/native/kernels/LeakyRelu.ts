// LeakyRelu, float32 (elementwise.ts).
import { LeakyRelu } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const leakyReluKernel = unaryKernel(LeakyRelu);
