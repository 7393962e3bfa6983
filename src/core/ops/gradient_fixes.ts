// Corrections to tfjs-core gradients that CycleGAN depends on.
import * as tf from '@tensorflow/tfjs-core';
import { backendHasKernel, runCGKernel } from './kernels.js';
import { CGMirrorPadGrad, kernelAttrs } from './kernel_names.js';

let installed = false;

/**
 * tfjs-core's MirrorPad gradient only slices the centre of dy, dropping the contributions of the
 * reflected border pixels. Reflection padding is in every ResNet block, so we register a gradient
 * that folds the borders back onto the pixels they were copied from.
 */
export function installGradientFixes(): void {
  if (installed) return;
  installed = true;
  const origWarn = console.warn;
  console.warn = () => {}; // registerGradient warns about overriding; that override is the point
  try {
    tf.registerGradient({
      kernelName: 'MirrorPad',
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const x = saved[0];
        const { paddings, mode } = kernelAttrs(CGMirrorPadGrad, attrs); // MirrorPad's attrs are these two of its gradient's
        const g = dy as tf.Tensor;
        // One fused kernel where the backend has it (native); otherwise composed from standard ops.
        if (backendHasKernel(CGMirrorPadGrad) && g.dtype === 'float32') {
          return { x: () => runCGKernel(CGMirrorPadGrad, { dy: g }, { paddings, mode, xShape: x.shape }) };
        }
        return { x: () => mirrorPadBackward(g, x.shape, paddings, mode) };
      },
    });
    // Comparisons are flat almost everywhere. tfjs-core registers no gradient for them, which breaks
    // second-order gradients (the WGAN-GP penalty) through LeakyReLU's where(x > 0, ...).
    for (const kernelName of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
      tf.registerGradient({
        kernelName,
        inputsToSave: ['a', 'b'],
        gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
      });
    }
  } finally {
    console.warn = origWarn;
  }
}

/** Gradient of mirrorPad: for each padded axis, add the reversed border slices onto their sources. */
export function mirrorPadBackward(dy: tf.Tensor, xShape: number[], paddings: Array<[number, number]>,
                                  mode: 'reflect' | 'symmetric'): tf.Tensor {
  return tf.tidy(() => {
    let g = dy;
    const off = mode === 'reflect' ? 1 : 0;
    for (let axis = 0; axis < xShape.length; axis++) {
      const [before, after] = paddings[axis];
      if (before === 0 && after === 0) continue;
      const n = xShape[axis];
      let acc = sliceAxis(g, axis, before, n);
      if (before > 0) {
        // output index j < before copies x[before - j - 1 + off]: reversed, it lands at x[off .. off+before)
        const part = tf.reverse(sliceAxis(g, axis, 0, before), axis);
        acc = tf.add(acc, padAxis(part, axis, off, n - off - before));
      }
      if (after > 0) {
        // output index before+n+k copies x[n - 1 - off - k]: reversed, it lands at x[n-off-after .. n-off)
        const part = tf.reverse(sliceAxis(g, axis, before + n, after), axis);
        acc = tf.add(acc, padAxis(part, axis, n - off - after, off));
      }
      g = acc;
    }
    return g;
  });
}

function sliceAxis(t: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = t.shape.map(() => 0);
  const s = t.shape.slice();
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(t, b, s);
}

function padAxis(t: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  const p = t.shape.map(() => [0, 0] as [number, number]);
  p[axis] = [before, after];
  return tf.pad(t, p);
}
