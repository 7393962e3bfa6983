// Exp, float32 (elementwise.ts).
import { Exp } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const expKernel = unaryKernel(Exp);
