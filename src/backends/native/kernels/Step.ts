// Step, float32 (elementwise.ts).
import { Step } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const stepKernel = unaryKernel(Step);
