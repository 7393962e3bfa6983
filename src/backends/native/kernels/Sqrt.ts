// Sqrt, float32 (elementwise.ts).
import { Sqrt } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const sqrtKernel = unaryKernel(Sqrt);
