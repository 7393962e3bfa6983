// Sub, broadcasting, float32 (elementwise.ts).
import { Sub } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const subKernel = binaryKernel(Sub);
