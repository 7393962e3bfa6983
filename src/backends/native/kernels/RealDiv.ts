// RealDiv, broadcasting, float32 (elementwise.ts).
import { RealDiv } from '@tensorflow/tfjs-core';
import { binaryKernel } from './elementwise.js';

export const realDivKernel = binaryKernel(RealDiv);
