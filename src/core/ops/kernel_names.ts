// The project's custom kernels, named and typed once (as tfjs-core's kernel_names.ts does for its own):
// each kernel's name, its inputs and its attributes. src/core/ops dispatches to them (runKernel below); the
// native and webgpu backends register them under these names and read their attrs through these types.
// The contracts (what each computes) are in docs/ARCHITECTURE.md. No backend code here: the page imports it.
import type { NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

/** The activation fused after an instance norm. */
export type CGActivation = 'none' | 'relu' | 'leakyrelu';

/** InstanceNorm2d(affine=False) + activation: y from x (NHWC float32). */
export const CGInstanceNorm = 'CGInstanceNorm';
export type CGInstanceNormInputs = Pick<NamedTensorInfoMap, 'x'>;
export interface CGInstanceNormAttrs { eps: number; activation: CGActivation; alpha: number }

/**
 * CGInstanceNorm followed by adding `residual` (same shape): act(norm(x)) + residual in one pass, the ResNet
 * block's last norm and its skip connection. Inference only (no gradient).
 */
export const CGInstanceNormAdd = 'CGInstanceNormAdd';
export type CGInstanceNormAddInputs = Pick<NamedTensorInfoMap, 'x' | 'residual'>;
export type CGInstanceNormAddAttrs = CGInstanceNormAttrs;

/** The gradient of CGInstanceNorm: dx from x, y and dy (same attrs). */
export const CGInstanceNormGrad = 'CGInstanceNormGrad';
export type CGInstanceNormGradInputs = Pick<NamedTensorInfoMap, 'x' | 'y' | 'dy'>;
export type CGInstanceNormGradAttrs = CGInstanceNormAttrs;

/** The gradient of MirrorPad: each padded border folded back onto the pixels it copies. */
export const CGMirrorPadGrad = 'CGMirrorPadGrad';
export type CGMirrorPadGradInputs = Pick<NamedTensorInfoMap, 'dy'>;
export interface CGMirrorPadGradAttrs { paddings: Array<[number, number]>; mode: 'reflect' | 'symmetric'; xShape: number[] }

/** One PyTorch Adam step (bias-corrected, `step` from 1): outputs [param, m, v]. */
export const CGAdam = 'CGAdam';
export type CGAdamInputs = Pick<NamedTensorInfoMap, 'param' | 'grad' | 'm' | 'v'>;
export interface CGAdamAttrs { lr: number; beta1: number; beta2: number; eps: number; step: number }

/**
 * CGAdam in place: param, m and v are overwritten (their tensors keep their data ids and buffers); the
 * gradient is grad (+ grad1 (+ grad2)), summed in that order, so a parameter used in several passes needs no
 * separate sums. Returns no tensor. Callers use it only for tensors nothing else shares (refCount 1).
 */
export const CGAdamInPlace = 'CGAdamInPlace';
export type CGAdamInPlaceInputs = Pick<NamedTensorInfoMap, 'param' | 'grad' | 'm' | 'v'> &
  Partial<Pick<NamedTensorInfoMap, 'grad1' | 'grad2'>>;
export type CGAdamInPlaceAttrs = CGAdamAttrs;

/**
 * A loss and its gradient in one kernel: `kind` 'lsgan' (MSE to `label`), 'vanilla' (BCE on logits against
 * `label`) on input x, or 'l1' (mean |x − target|). Outputs [loss × lossScale (a scalar), d(gradScale · loss)/dx].
 */
export const CGLossGrad = 'CGLossGrad';
export type CGLossGradInputs = Pick<NamedTensorInfoMap, 'x'> & Partial<Pick<NamedTensorInfoMap, 'target'>>;
export interface CGLossGradAttrs { kind: 'lsgan' | 'vanilla' | 'l1'; label: number; lossScale: number; gradScale: number }

/**
 * A valid convolution (+ bias) of x reflection-padded by `pad` on H and W (PyTorch's ReflectionPad2d then
 * Conv2d, the ResNet's pairs and its 7×7 image layers), reading x through the reflection so the padded copy is
 * never written; `activation` 'tanh' applies the generator's final Tanh in the same pass.
 */
export const CGReflectConv2D = 'CGReflectConv2D';
export type CGReflectConv2DInputs = Pick<NamedTensorInfoMap, 'x' | 'filter'> & Partial<Pick<NamedTensorInfoMap, 'bias'>>;
export type CGConvActivation = 'linear' | 'tanh';
export interface CGReflectConv2DAttrs { pad: number; stride: number; activation: CGConvActivation }

/** The filter gradient of CGReflectConv2D from the unpadded x and dy. */
export const CGReflectConv2DBackpropFilter = 'CGReflectConv2DBackpropFilter';
export type CGReflectConv2DBackpropFilterInputs = Pick<NamedTensorInfoMap, 'x' | 'dy'>;
export interface CGReflectConv2DBackpropFilterAttrs { pad: number; stride: number; filterShape: number[] }

/**
 * PyTorch's ConvTranspose2d(k, stride, pad, outputPad) with its bias, where outputPad ≤ pad (the crop is the
 * transposed convolution's own explicit padding, see convTransposeCrop in ops/nn.ts): x NHWC, filter
 * [kh, kw, out, in], bias [out]. The bias is added in the convolution's own pass. Inference and the reverse
 * pass's forward only (no gradient).
 */
export const CGConvTranspose2D = 'CGConvTranspose2D';
export type CGConvTranspose2DInputs = Pick<NamedTensorInfoMap, 'x' | 'filter' | 'bias'>;
export interface CGConvTranspose2DAttrs { stride: number; pad: number; outputPad: number }

/** Every custom kernel: name → inputs, attrs and what it returns. */
export interface CGKernels {
  [CGInstanceNorm]: { inputs: CGInstanceNormInputs; attrs: CGInstanceNormAttrs; out: 'one' };
  [CGInstanceNormAdd]: { inputs: CGInstanceNormAddInputs; attrs: CGInstanceNormAddAttrs; out: 'one' };
  [CGInstanceNormGrad]: { inputs: CGInstanceNormGradInputs; attrs: CGInstanceNormGradAttrs; out: 'one' };
  [CGMirrorPadGrad]: { inputs: CGMirrorPadGradInputs; attrs: CGMirrorPadGradAttrs; out: 'one' };
  [CGAdam]: { inputs: CGAdamInputs; attrs: CGAdamAttrs; out: 'many' };
  [CGAdamInPlace]: { inputs: CGAdamInPlaceInputs; attrs: CGAdamInPlaceAttrs; out: 'many' };
  [CGLossGrad]: { inputs: CGLossGradInputs; attrs: CGLossGradAttrs; out: 'many' };
  [CGReflectConv2D]: { inputs: CGReflectConv2DInputs; attrs: CGReflectConv2DAttrs; out: 'one' };
  [CGReflectConv2DBackpropFilter]: { inputs: CGReflectConv2DBackpropFilterInputs; attrs: CGReflectConv2DBackpropFilterAttrs; out: 'one' };
  [CGConvTranspose2D]: { inputs: CGConvTranspose2DInputs; attrs: CGConvTranspose2DAttrs; out: 'one' };
}
export type CGKernelName = keyof CGKernels;
export const CG_KERNEL_NAMES: readonly CGKernelName[] = [CGInstanceNorm, CGInstanceNormGrad, CGMirrorPadGrad, CGAdam];
/**
 * Kernels only a GPU backend registers (the CPU backends keep the general form: CGAdam, and a gradient
 * summed as soon as it is made, which holds less memory at once).
 */
export const GPU_ONLY_KERNEL_NAMES: readonly CGKernelName[] = [CGAdamInPlace, CGLossGrad, CGReflectConv2D,
  CGReflectConv2DBackpropFilter, CGInstanceNormAdd, CGConvTranspose2D];

/** A kernel's inputs as tensors (what ops pass) rather than TensorInfos (what backends receive). */
export type TensorInputs<I> = { [K in keyof I]: Tensor };

/** A kernel's attrs as a backend receives them (TF.js hands every kernel a NamedAttrMap; the one cast is here). */
export function kernelAttrs<K extends CGKernelName>(_name: K, attrs: NamedAttrMap | undefined): CGKernels[K]['attrs'] {
  return (attrs ?? {}) as unknown as CGKernels[K]['attrs'];
}

/** A kernel's inputs as a backend receives them. */
export function kernelInputs<K extends CGKernelName>(_name: K, inputs: Record<string, TensorInfo | undefined>): { [I in keyof CGKernels[K]['inputs']]: TensorInfo } {
  return inputs as { [I in keyof CGKernels[K]['inputs']]: TensorInfo };
}
