// Sum over one contiguous run of axes (reduce.ts).
import { Sum } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const sumKernel = reduceKernel(Sum);
