// Minimum, broadcasting, float32 (elementwise.ts).
import { Minimum } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const minimumKernel = binaryKernel(Minimum);
