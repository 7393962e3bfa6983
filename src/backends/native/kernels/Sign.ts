// Sign, float32 (elementwise.ts).
import { Sign } from '@tensorflow/tfjs-core';
import { unaryKernel } from './elementwise.js';

export const signKernel = unaryKernel(Sign);
