// Relu, float32 (elementwise.ts).
import { Relu } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const reluKernel = unaryKernel(Relu);
