// Add, broadcasting, float32 (elementwise.ts).
import { Add } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const addKernel = binaryKernel(Add);
