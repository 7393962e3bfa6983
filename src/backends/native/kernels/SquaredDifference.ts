// SquaredDifference, broadcasting, float32 (elementwise.ts).
import { SquaredDifference } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const squaredDifferenceKernel = binaryKernel(SquaredDifference);
