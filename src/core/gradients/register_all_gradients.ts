// The gradients the project differentiates through, registered explicitly (as tfjs-core's
// register_all_gradients.ts): one config per kernel in ./<Kernel>_grad.ts. The tape runs the training step's
// batch-norm layers, the WGAN-GP penalty and the tests' reference gradients; the training step itself uses our
// reverse pass (src/core/networks/backward.ts). tfjs-core registers no gradient by itself and the union package
// @tensorflow/tfjs (which registers all of tfjs-core's) is not loaded: a kernel missing here fails loudly on the
// tape ("gradient function not found"), and our MirrorPad fix cannot be overridden by a later registration.
import * as tf from '@tensorflow/tfjs-core';
import { absGradConfig } from './Abs_grad.js';
import { addNGradConfig } from './AddN_grad.js';
import { addGradConfig } from './Add_grad.js';
import { castGradConfig } from './Cast_grad.js';
import { concatGradConfig } from './Concat_grad.js';
import { conv2DBackpropInputGradConfig } from './Conv2DBackpropInput_grad.js';
import { conv2DGradConfig } from './Conv2D_grad.js';
import { expGradConfig } from './Exp_grad.js';
import { identityGradConfig } from './Identity_grad.js';
import { leakyReluGradConfig } from './LeakyRelu_grad.js';
import { log1pGradConfig } from './Log1p_grad.js';
import { logGradConfig } from './Log_grad.js';
import { maximumGradConfig } from './Maximum_grad.js';
import { meanGradConfig } from './Mean_grad.js';
import { mirrorPadGradConfig } from './MirrorPad_grad.js';
import { multiplyGradConfig } from './Multiply_grad.js';
import { negGradConfig } from './Neg_grad.js';
import { padV2GradConfig } from './PadV2_grad.js';
import { realDivGradConfig } from './RealDiv_grad.js';
import { reluGradConfig } from './Relu_grad.js';
import { reshapeGradConfig } from './Reshape_grad.js';
import { rsqrtGradConfig } from './Rsqrt_grad.js';
import { selectGradConfig } from './Select_grad.js';
import { sigmoidGradConfig } from './Sigmoid_grad.js';
import { sliceGradConfig } from './Slice_grad.js';
import { sqrtGradConfig } from './Sqrt_grad.js';
import { squareGradConfig } from './Square_grad.js';
import { squaredDifferenceGradConfig } from './SquaredDifference_grad.js';
import { subGradConfig } from './Sub_grad.js';
import { sumGradConfig } from './Sum_grad.js';
import { tanhGradConfig } from './Tanh_grad.js';
import { transposeGradConfig } from './Transpose_grad.js';
import { flatGradConfigs } from './flat_grads.js';

export const GRADIENT_CONFIGS: readonly tf.GradConfig[] = [
  absGradConfig,
  addNGradConfig,
  addGradConfig,
  castGradConfig,
  concatGradConfig,
  conv2DBackpropInputGradConfig,
  conv2DGradConfig,
  expGradConfig,
  identityGradConfig,
  leakyReluGradConfig,
  log1pGradConfig,
  logGradConfig,
  maximumGradConfig,
  meanGradConfig,
  mirrorPadGradConfig,
  multiplyGradConfig,
  negGradConfig,
  padV2GradConfig,
  realDivGradConfig,
  reluGradConfig,
  reshapeGradConfig,
  rsqrtGradConfig,
  selectGradConfig,
  sigmoidGradConfig,
  sliceGradConfig,
  sqrtGradConfig,
  squareGradConfig,
  squaredDifferenceGradConfig,
  subGradConfig,
  sumGradConfig,
  tanhGradConfig,
  transposeGradConfig,
  ...flatGradConfigs,
];

let registered = false;

/** Registers every config above once (idempotent; tfjs-core warns only when a kernel already has one). */
export function registerAllGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of GRADIENT_CONFIGS) tf.registerGradient(config);
}
