// The public library API. The CLI (src/cli) and the web app (src/web) are thin shells over these.
export { tf } from './core/tf.js';
export { CycleGANError } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export { initBackend, NODE_BACKENDS } from './backends/index.js';
export * from './core/networks/index.js';
export { reflectPad, conv2d, convTranspose2d, instanceNorm, batchNorm } from './core/ops/nn.js';
export {
  CGInstanceNorm, CGInstanceNormGrad, CGMirrorPadGrad, CGAdam, CG_KERNEL_NAMES, type CGKernels, type CGKernelName,
  type CGInstanceNormAttrs, type CGMirrorPadGradAttrs, type CGAdamAttrs,
} from './core/ops/kernel_names.js';
export { requiredMultiple, minimumSide, sameSizeMultiple } from './core/networks/size.js';
export { ganLoss, l1Loss, ganLossGrad, l1LossGrad, gradientPenalty, GAN_MODES, type GanMode } from './core/losses.js';
export { ImagePool } from './core/pool.js';
export { linearDecay, stepDecay, cosineDecay, lrFactor, PlateauScheduler, LR_POLICIES, type LrPolicy, type ScheduleOptions } from './core/schedule.js';
export { Adam, type AdamState } from './core/optim.js';
export {
  CycleGANModel, defaultCycleGANOptions, generatorSpecs, discriminatorSpecs, LOSS_NAMES, VISUAL_NAMES, MODEL_NAMES, visualNames,
  readLosses, disposeLosses,
  type CycleGANOptions, type Losses, type LossTensors, type LossName, type VisualName, type ModelName, type TrainingState,
} from './core/model.js';
export { forwardTrace, backward, disposeTrace, type Trace, type ParamGrads } from './core/networks/backward.js';
export { readSafetensors, writeSafetensors, type RawTensor } from './core/weights/safetensors.js';
export { saveNetwork, loadNetwork, encodeNetwork, decodeNetwork, networkFromStateDict, networkToStateDict } from './weights/network_file.js';
export { readTorchStateDict, parseTorchStateDict } from './weights/torch_pth.js';
export { translateFile, translateFiles, translateImage, collectInputs } from './translate.js';
// Training without Node (the in-browser page's engine), and moving its runs to and from run folders.
export { TrainEngine, encodeRunState, decodeRunState, pickEngineOptions, type EngineOptions, type EngineData, type EngineImage, type RunState, type StepResult } from './web/train/engine.js';
export { importBrowserRun, exportBrowserRun } from './train/browser_run.js';
export { LrSchedule } from './core/schedule.js';
