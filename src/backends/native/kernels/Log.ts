// Log, float32 (elementwise.ts).
import { Log } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const logKernel = unaryKernel(Log);
