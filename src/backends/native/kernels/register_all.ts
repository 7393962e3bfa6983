// The 'native' backend's kernels, one per file, registered from this list (the style of tfjs-backend-cpu's
// register_all_kernels.ts). Each replaces the tfjs-cpu kernel of the same name on the 'native' backend and
// hands it the inputs the addon does not take; the custom CG* kernels have no tfjs-cpu counterpart.
import type { NativeAddon } from '../addon.js';
import { useAllocator, type Kernel, type NativeKernelDef } from './shared.js';
import { absKernel } from './Abs.js';
import { addKernel } from './Add.js';
import { addNKernel } from './AddN.js';
import { cgAdamKernel } from './CGAdam.js';
import { cgInstanceNormKernel } from './CGInstanceNorm.js';
import { cgInstanceNormGradKernel } from './CGInstanceNormGrad.js';
import { cgMirrorPadGradKernel } from './CGMirrorPadGrad.js';
import { conv2DKernel } from './Conv2D.js';
import { conv2DBackpropFilterKernel } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputKernel } from './Conv2DBackpropInput.js';
import { expKernel } from './Exp.js';
import { fusedConv2DKernel } from './FusedConv2D.js';
import { greaterKernel } from './Greater.js';
import { leakyReluKernel } from './LeakyRelu.js';
import { logKernel } from './Log.js';
import { maximumKernel } from './Maximum.js';
import { meanKernel } from './Mean.js';
import { minimumKernel } from './Minimum.js';
import { mirrorPadKernel } from './MirrorPad.js';
import { multiplyKernel } from './Multiply.js';
import { negKernel } from './Neg.js';
import { padV2Kernel } from './PadV2.js';
import { realDivKernel } from './RealDiv.js';
import { reluKernel } from './Relu.js';
import { relu6Kernel } from './Relu6.js';
import { reverseKernel } from './Reverse.js';
import { selectKernel } from './Select.js';
import { sigmoidKernel } from './Sigmoid.js';
import { signKernel } from './Sign.js';
import { sliceKernel } from './Slice.js';
import { sqrtKernel } from './Sqrt.js';
import { squareKernel } from './Square.js';
import { squaredDifferenceKernel } from './SquaredDifference.js';
import { stepKernel } from './Step.js';
import { subKernel } from './Sub.js';
import { sumKernel } from './Sum.js';
import { tanhKernel } from './Tanh.js';
import { transposeKernel } from './Transpose.js';

export const nativeKernelDefs: readonly NativeKernelDef[] = [
  conv2DKernel,
  fusedConv2DKernel,
  conv2DBackpropInputKernel,
  conv2DBackpropFilterKernel,
  addKernel,
  subKernel,
  multiplyKernel,
  realDivKernel,
  squaredDifferenceKernel,
  maximumKernel,
  minimumKernel,
  addNKernel,
  absKernel,
  negKernel,
  reluKernel,
  leakyReluKernel,
  tanhKernel,
  sigmoidKernel,
  squareKernel,
  sqrtKernel,
  expKernel,
  logKernel,
  stepKernel,
  relu6Kernel,
  signKernel,
  greaterKernel,
  selectKernel,
  sumKernel,
  meanKernel,
  mirrorPadKernel,
  sliceKernel,
  reverseKernel,
  transposeKernel,
  padV2Kernel,
  cgInstanceNormKernel,
  cgInstanceNormGradKernel,
  cgMirrorPadGradKernel,
  cgAdamKernel,
];

/** The kernels' functions for this addon, by name; `fallback(name)` is the tfjs-cpu kernel of that name. */
export function nativeKernels(addon: NativeAddon, fallback: (name: string) => Kernel): Map<string, Kernel> {
  useAllocator(addon);
  const fallbackFor = (name: string): Kernel => (args) => fallback(name)(args);
  return new Map(nativeKernelDefs.map((d) => [d.kernelName, d.make(addon, fallbackFor(d.kernelName))]));
}
