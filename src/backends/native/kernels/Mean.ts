// Mean over one contiguous run of axes (reduce.ts).
import { Mean } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const meanKernel = reduceKernel(Mean);
