// Sigmoid, float32 (elementwise.ts).
import { Sigmoid } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const sigmoidKernel = unaryKernel(Sigmoid);
