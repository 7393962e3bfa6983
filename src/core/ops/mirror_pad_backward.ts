// The MirrorPad gradient composed from standard ops: what backends without the CGMirrorPadGrad kernel run
// (src/core/gradients/MirrorPad_grad.ts, the reverse pass) and what the kernels are tested against.
import * as tf from '@tensorflow/tfjs-core';

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
