// Maximum, broadcasting, float32 (elementwise.ts).
import { Maximum } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const maximumKernel = binaryKernel(Maximum);
