// Abs, float32 (elementwise.ts).
import { Abs } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const absKernel = unaryKernel(Abs);
