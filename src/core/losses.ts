// CycleGAN's losses, as the official GANLoss and L1 criteria compute them.
import { tf } from './tf.js';
import type { Network } from './networks/index.js';
import type { Rng } from './rng.js';
import { backendHasKernel, runCGKernel } from './ops/kernels.js';
import { CGLossGrad } from './ops/kernel_names.js';

export type GanMode = 'lsgan' | 'vanilla' | 'wgangp';
export const GAN_MODES: readonly GanMode[] = ['lsgan', 'vanilla', 'wgangp'];

/**
 * GAN loss of discriminator predictions against a real/fake target:
 * lsgan = MSE to 1/0; vanilla = BCE on logits; wgangp = −mean for real, +mean for fake.
 */
export function ganLoss(prediction: tf.Tensor, targetIsReal: boolean, mode: GanMode): tf.Scalar {
  return tf.tidy(() => {
    if (mode === 'wgangp') return (targetIsReal ? tf.neg(tf.mean(prediction)) : tf.mean(prediction)) as tf.Scalar;
    const target = targetIsReal ? 1 : 0;
    if (mode === 'lsgan') return tf.mean(tf.square(tf.sub(prediction, target))) as tf.Scalar;
    // BCEWithLogits, in its numerically stable form: max(x,0) − x·t + log(1 + e^−|x|)
    const x = prediction;
    return tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, target)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as tf.Scalar;
  });
}

/**
 * d(scale · ganLoss(prediction))/d(prediction), for our own reverse pass (src/core/networks/backward.ts):
 * lsgan 2(x − t)/N; vanilla (σ(x) − t)/N; wgangp ∓1/N; each times `scale`.
 */
export function ganLossGrad(prediction: tf.Tensor, targetIsReal: boolean, mode: GanMode, scale = 1): tf.Tensor {
  return tf.tidy(() => {
    const k = scale / prediction.size;
    if (mode === 'wgangp') return tf.fill(prediction.shape, targetIsReal ? -k : k);
    const target = targetIsReal ? 1 : 0;
    if (mode === 'lsgan') return tf.mul(tf.sub(prediction, target), 2 * k);
    return tf.mul(tf.sub(tf.sigmoid(prediction), target), k);
  });
}

/** d(scale · l1Loss(a, b))/da = scale · sign(a − b)/N (PyTorch's sign: 0 where a = b). */
export function l1LossGrad(a: tf.Tensor, b: tf.Tensor, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sign(tf.sub(a, b)), scale / a.size));
}

/**
 * ganLoss and ganLossGrad(…, scale) at once: one fused kernel where the backend has CGLossGrad (webgpu),
 * else the two composed. Returns [loss, gradient]; the caller owns both.
 */
export function ganLossAndGrad(prediction: tf.Tensor, targetIsReal: boolean, mode: GanMode, scale = 1): [tf.Scalar, tf.Tensor] {
  if (mode !== 'wgangp' && backendHasKernel(CGLossGrad)) {
    const [loss, grad] = runCGKernel(CGLossGrad, { x: prediction },
      { kind: mode, label: targetIsReal ? 1 : 0, lossScale: 1, gradScale: scale });
    return [loss as tf.Scalar, grad];
  }
  return [ganLoss(prediction, targetIsReal, mode), ganLossGrad(prediction, targetIsReal, mode, scale)];
}

/** [scale · l1Loss(a, b), l1LossGrad(a, b, scale)], fused where the backend has CGLossGrad. Caller owns both. */
export function l1LossAndGrad(a: tf.Tensor, b: tf.Tensor, scale = 1): [tf.Scalar, tf.Tensor] {
  if (backendHasKernel(CGLossGrad)) {
    const [loss, grad] = runCGKernel(CGLossGrad, { x: a, target: b }, { kind: 'l1', label: 0, lossScale: scale, gradScale: scale });
    return [loss as tf.Scalar, grad];
  }
  return [tf.tidy(() => tf.mul(l1Loss(a, b), scale) as tf.Scalar), l1LossGrad(a, b, scale)];
}

/** Mean absolute error (nn.L1Loss). */
export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}

/**
 * The WGAN-GP gradient penalty (official cal_gradient_penalty, type 'mixed'): λ·(‖∇D(x̂)‖₂ − c)² on
 * random interpolates x̂ of real and fake, averaged over the batch. Differentiable w.r.t. D's weights.
 */
export function gradientPenalty(netD: Network, real: tf.Tensor4D, fake: tf.Tensor4D, rng: Rng,
                                { constant = 1, lambda = 10 }: { constant?: number; lambda?: number } = {}): tf.Scalar {
  return tf.tidy(() => {
    const n = real.shape[0];
    const alpha = tf.tensor4d(Array.from({ length: n }, () => rng.random()), [n, 1, 1, 1]);
    const interp = tf.add(tf.mul(real, alpha), tf.mul(fake, tf.sub(1, alpha))) as tf.Tensor4D;
    const g = tf.grad((x: tf.Tensor) => tf.sum(netD.apply(x as tf.Tensor4D)))(interp);
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(tf.reshape(g, [n, -1])), 1), 1e-16));
    return tf.mul(tf.mean(tf.square(tf.sub(norms, constant))), lambda) as tf.Scalar;
  });
}
