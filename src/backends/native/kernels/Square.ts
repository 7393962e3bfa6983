// Square, float32 (elementwise.ts).
import { Square } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const squareKernel = unaryKernel(Square);
