// Neg, float32 (elementwise.ts).
import { Neg } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const negKernel = unaryKernel(Neg);
