// The browser API (package.json "exports" → browser/default): everything here runs in any JavaScript runtime,
// with no Node module (scripts/check-boundaries.mjs). The Node API (src/index.ts) re-exports all of it and adds
// backends, files, datasets and the workflows.
export { tf, type Tensor, type Tensor4D } from './tf.js';
export { CycleGANError, describeSystemError } from './errors.js';
export { Rng, type RngState } from './rng.js';
export * from './networks/index.js';
export { requiredMultiple, minimumSide, sameSizeMultiple } from './networks/size.js';
export { forwardTrace, backward, disposeTrace, type Trace, type TraceOptions, type ParamGrads, type BackwardOptions } from './networks/backward.js';
export { reflectPad, conv2d, convTranspose2d, instanceNorm, batchNorm, type Activation } from './ops/nn.js';
export {
  CGInstanceNorm, CGInstanceNormGrad, CGMirrorPadGrad, CGAdam, CG_KERNEL_NAMES, kernelAttrs, kernelInputs,
  type CGKernels, type CGKernelName, type CGActivation, type CGInstanceNormInputs, type CGInstanceNormAttrs,
  type CGInstanceNormGradInputs, type CGInstanceNormGradAttrs, type CGMirrorPadGradInputs, type CGMirrorPadGradAttrs,
  type CGAdamInputs, type CGAdamAttrs,
} from './ops/kernel_names.js';
export { backendHasKernel, runCGKernel } from './ops/kernels.js';
export { mirrorPadBackward } from './ops/mirror_pad_backward.js';
export { GRADIENT_CONFIGS, registerAllGradients } from './gradients/register_all_gradients.js';
export { ganLoss, l1Loss, ganLossGrad, l1LossGrad, gradientPenalty, GAN_MODES, type GanMode } from './losses.js';
export { ImagePool } from './pool.js';
export {
  linearDecay, stepDecay, cosineDecay, lrFactor, PlateauScheduler, LrSchedule, LR_POLICIES,
  type LrPolicy, type ScheduleOptions, type EpochScheduleOptions,
} from './schedule.js';
export { Adam, type AdamState } from './optim.js';
export {
  CycleGANModel, defaultCycleGANOptions, modelOptions, generatorSpecs, discriminatorSpecs, readLosses, disposeLosses,
  type CycleGANOptions, type CycleGANNetworks, type Losses, type LossTensors, type TrainingState,
} from './model.js';
export {
  LOSS_NAMES, VISUAL_NAMES, MODEL_NAMES, LOSS_COLORS, visualNames, type LossName, type VisualName, type ModelName,
} from './model_names.js';
export {
  readSafetensors, writeSafetensors, parseSafetensorsHeader, halfToFloat, SAFETENSORS_DTYPE_BYTES,
  type RawTensor, type SafetensorsFile, type SafetensorsEntry,
} from './weights/safetensors.js';
export {
  encodeNetwork, decodeNetwork, networkFromStateDict, networkToStateDict, networkToStateDictAsync, encodeStateDict,
  FORMAT_METADATA_KEY,
} from './weights/network_codec.js';
export { checkModelFile, expectedStateShapes, looksLikeTorchSave, SPEC_METADATA_KEY } from './weights/model_check.js';
export { u8ToFloat, floatToU8, rgbToLuma, toRgb, type RawImage, type FloatImage } from './data/pixels.js';
export { imagesToTensor, tensorToImages } from './data/image_tensors.js';
export {
  PREPROCESS_MODES, DEFAULT_TRANSFORM, checkPreprocess, resizeBicubic, cropImage, flipHorizontal, resizedSize,
  drawParams, applyTransform, randomTransform, type Preprocess, type TransformOptions, type TransformParams,
} from './data/transforms.js';
export {
  translateImage, testTransform, transformOptions, checkSize, type TranslateOptions, type TranslatedImage,
} from './translate_image.js';
export {
  maxImagePixels, maxWeightBytes, maxRunStateBytes, WEIGHTS_LIMIT_HINT, ARCH_BOUNDS, FLAG_BOUNDS, DIRECTIONS, FLAG_CHOICES, checkFlagValue,
} from './limits.js';
