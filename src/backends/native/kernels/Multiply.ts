// Multiply, broadcasting, float32 (elementwise.ts).
import { Multiply } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const multiplyKernel = binaryKernel(Multiply);
