// The network building blocks as plain functions over NHWC tensors, with PyTorch semantics.
import { tf } from '../tf.js';
import { backendHasKernel, runCGKernel } from './kernels.js';
import { CGConvTranspose2D, CGInstanceNorm, CGInstanceNormAdd, CGInstanceNormGrad, CGReflectConv2D, type CGActivation, type CGConvActivation,
  type CGInstanceNormAttrs } from './kernel_names.js';

export type Activation = CGActivation;

/** Reflection padding of H and W (PyTorch ReflectionPad2d). Its gradient is ours (src/core/gradients/MirrorPad_grad.ts). */
export function reflectPad(x: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.mirrorPad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'reflect');
}

/**
 * ReflectionPad2d(pad) then a valid conv (+ bias) (then Tanh, `activation` 'tanh') as one CGReflectConv2D: the
 * convolution reads x through the reflection, so the padded tensor is never made. Only where the backend has
 * the kernel (see foldsReflectPad); it has no TF.js gradient (training differentiates through
 * networks/backward.ts).
 */
export function reflectConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | undefined, pad: number,
                              stride: number, activation: CGConvActivation = 'linear'): tf.Tensor4D {
  return runCGKernel(CGReflectConv2D, bias ? { x, filter, bias } : { x, filter }, { pad, stride, activation }) as tf.Tensor4D;
}

/** Conv2d with symmetric zero padding; filter [kh,kw,in,out]. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, stride: number,
                       pad: number): tf.Tensor4D {
  const padArg = pad === 0 ? 'valid' : pad;
  if (bias) return tf.fused.conv2d({ x, filter, strides: stride, pad: padArg, bias });
  return tf.conv2d(x, filter, stride, padArg);
}

/**
 * PyTorch ConvTranspose2d(k, stride, padding, output_padding) on NHWC with filter [kh,kw,out,in].
 * PyTorch's output is the full ('valid') transposed convolution cropped by `pad` at the start and
 * `pad - outputPad` at the end (TF.js 'same' would be one pixel off). Where outputPad <= pad that crop is the
 * transposed convolution's own explicit padding [pad, pad - outputPad], so no cropped copy is made; otherwise
 * (zero rows appended) the full one is computed, sliced and padded.
 */
export function convTranspose2d(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, stride: number,
                                pad: number, outputPad: number): tf.Tensor4D {
  const crop = convTransposeCrop(pad, outputPad);
  // With a bias and no tape, one CGConvTranspose2D where the backend has it (the bias in the conv's own pass).
  if (bias && crop && !tf.engine().isTapeOn() && backendHasKernel(CGConvTranspose2D)) {
    return runCGKernel(CGConvTranspose2D, { x, filter, bias }, { stride, pad, outputPad }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const [n, h, w] = x.shape;
    const k = filter.shape[0];
    const outC = filter.shape[2];
    // the uncropped output (no padding)
    const fullH = convTransposeOutSize(h, k, stride, 0, 0);
    const fullW = convTransposeOutSize(w, filter.shape[1], stride, 0, 0);
    const outH = convTransposeOutSize(h, k, stride, pad, outputPad);
    const outW = convTransposeOutSize(w, filter.shape[1], stride, pad, outputPad);
    let y: tf.Tensor4D;
    if (crop) {
      y = tf.conv2dTranspose(x, filter, [n, outH, outW, outC], stride, crop) as tf.Tensor4D;
    } else {
      y = tf.conv2dTranspose(x, filter, [n, fullH, fullW, outC], stride, 'valid') as tf.Tensor4D;
      const endH = Math.min(fullH, pad + outH);
      const endW = Math.min(fullW, pad + outW);
      y = tf.slice(y, [0, pad, pad, 0], [n, endH - pad, endW - pad, outC]);
      if (endH - pad < outH || endW - pad < outW) {
        // output_padding larger than padding: PyTorch appends zero rows/columns (before the bias)
        y = tf.pad(y, [[0, 0], [0, outH - (endH - pad)], [0, outW - (endW - pad)], [0, 0]]);
      }
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/**
 * The explicit padding that makes a transposed convolution (or its forward conv) produce PyTorch's cropped
 * ConvTranspose2d output directly: [pad, pad - outputPad] on H and W; null where outputPad > pad.
 */
export function convTransposeCrop(pad: number, outputPad: number): tf.backend_util.ExplicitPadding | null {
  if (outputPad > pad) return null;
  return [[0, 0], [pad, pad - outputPad], [pad, pad - outputPad], [0, 0]];
}

/** PyTorch's ConvTranspose2d output size on one axis: (size - 1)·stride + kernel - 2·pad + outputPad. */
export function convTransposeOutSize(size: number, kernel: number, stride: number, pad: number, outputPad: number): number {
  return (size - 1) * stride + kernel - 2 * pad + outputPad;
}

function activate(x: tf.Tensor4D, activation: Activation, alpha: number): tf.Tensor4D {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'leakyrelu') return tf.leakyRelu(x, alpha);
  return x;
}

/**
 * InstanceNorm2d(affine=False): each (image, channel) normalized over H×W with the biased variance,
 * optionally followed by an activation. Uses the backend's fused kernel when it has one.
 */
export function instanceNorm(x: tf.Tensor4D, eps = 1e-5, activation: Activation = 'none', alpha = 0.2): tf.Tensor4D {
  if (backendHasKernel(CGInstanceNorm) && backendHasKernel(CGInstanceNormGrad)) {
    const attrs: CGInstanceNormAttrs = { eps, activation, alpha };
    // Without a tape (inference) the kernel alone: customGrad's bookkeeping costs host time per layer.
    if (!tf.engine().isTapeOn()) return runCGKernel(CGInstanceNorm, { x }, attrs) as tf.Tensor4D;
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const y = runCGKernel(CGInstanceNorm, { x: input }, attrs) as tf.Tensor4D;
      save([input, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          runCGKernel(CGInstanceNormGrad, { x: saved[0], y: saved[1], dy }, attrs),
      };
    });
    return f(x) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))) as tf.Tensor4D;
    return activate(y, activation, alpha);
  });
}

/**
 * instanceNorm(x, eps) + residual as one CGInstanceNormAdd: only where the backend has it (see foldedResidualNorm
 * in networks/network.ts); it has no TF.js gradient.
 */
export function instanceNormAdd(x: tf.Tensor4D, residual: tf.Tensor4D, eps = 1e-5): tf.Tensor4D {
  return runCGKernel(CGInstanceNormAdd, { x, residual }, { eps, activation: 'none', alpha: 0.2 }) as tf.Tensor4D;
}

/**
 * BatchNorm2d with affine parameters. In training it normalizes with the batch statistics and returns
 * the updated running statistics (momentum 0.1, unbiased variance, as PyTorch).
 */
export function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, runningMean: tf.Tensor1D,
                          runningVar: tf.Tensor1D, training: boolean, eps = 1e-5, momentum = 0.1):
    { y: tf.Tensor4D; runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } {
  if (!training) {
    const y = tf.tidy(() => tf.add(tf.mul(tf.sub(x, runningMean), tf.mul(tf.rsqrt(tf.add(runningVar, eps)), gamma)), beta) as tf.Tensor4D);
    return { y };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, eps)), gamma)), beta) as tf.Tensor4D;
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const newStats = tf.tidy(() => {
    const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
    return {
      runningMean: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)) as tf.Tensor1D,
      runningVar: tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)) as tf.Tensor1D,
    };
  });
  return { y, ...newStats };
}

