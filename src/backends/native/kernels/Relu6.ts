// Relu6, float32 (elementwise.ts).
import { Relu6 } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const relu6Kernel = unaryKernel(Relu6);
