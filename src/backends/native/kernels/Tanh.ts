// Tanh, float32 (elementwise.ts).
import { Tanh } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const tanhKernel = unaryKernel(Tanh);
