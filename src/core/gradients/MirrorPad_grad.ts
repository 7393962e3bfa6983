import * as tf from '@tensorflow/tfjs-core';
import { backendHasKernel, runCGKernel } from '../ops/kernels.js';
import { CGMirrorPadGrad, kernelAttrs } from '../ops/kernel_names.js';
import { mirrorPadBackward } from '../ops/mirror_pad_backward.js';
import { one } from './util.js';

/**
 * tfjs-core's MirrorPad gradient only slices the centre of dy, dropping the contributions of the reflected
 * border pixels. Reflection padding is in every ResNet block, so this one folds the borders back onto the
 * pixels they were copied from: one fused kernel where the backend has it (native, webgpu), else composed.
 */
export const mirrorPadGradConfig: tf.GradConfig = {
  kernelName: tf.MirrorPad,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const { paddings, mode } = kernelAttrs(CGMirrorPadGrad, attrs); // MirrorPad's attrs are these two of its gradient's
    const g = one(dy);
    if (backendHasKernel(CGMirrorPadGrad) && g.dtype === 'float32') {
      return { x: () => runCGKernel(CGMirrorPadGrad, { dy: g }, { paddings, mode, xShape: x.shape }) };
    }
    return { x: () => mirrorPadBackward(g, x.shape, paddings, mode) };
  },
};
