// Our WGSL kernels for the 'webgpu' backend, one per file, registered from this list (the style of
// tfjs-backend-cpu's register_all_kernels.ts). Each replaces tfjs-webgpu's kernel of the same name where it
// has one, handing unusual inputs (NCHW, PReLU, other dtypes) back to it. Node (../index.ts) and the browser
// page (src/web/page/main.ts) register the same kernels.
import { tf } from '../../../core/tf.js';
import type { KernelDef, KernelFn } from '../program.js';
import { installRunner } from '../runner.js';
import { cgAdamKernel } from './CGAdam.js';
import { cgAdamInPlaceKernel } from './CGAdamInPlace.js';
import { cgLossGradKernel } from './CGLossGrad.js';
import { cgInstanceNormKernel } from './CGInstanceNorm.js';
import { cgInstanceNormAddKernel } from './CGInstanceNormAdd.js';
import { cgInstanceNormGradKernel } from './CGInstanceNormGrad.js';
import { cgMirrorPadGradKernel } from './CGMirrorPadGrad.js';
import { conv2DKernel } from './Conv2D.js';
import { conv2DBackpropFilterKernel } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputKernel } from './Conv2DBackpropInput.js';
import { fusedConv2DKernel } from './FusedConv2D.js';
import { sumKernel } from './Sum.js';
import { cgReflectConv2DKernel } from './CGReflectConv2D.js';
import { cgReflectConv2DBackpropFilterKernel } from './CGReflectConv2DBackpropFilter.js';
import { cgConvTranspose2DKernel } from './CGConvTranspose2D.js';

export const webgpuKernels: readonly KernelDef[] = [
  conv2DKernel,
  fusedConv2DKernel,
  conv2DBackpropInputKernel,
  conv2DBackpropFilterKernel,
  cgInstanceNormKernel,
  cgInstanceNormAddKernel,
  cgInstanceNormGradKernel,
  cgMirrorPadGradKernel,
  cgAdamKernel,
  cgAdamInPlaceKernel,
  sumKernel,
  cgLossGradKernel,
  cgReflectConv2DKernel,
  cgReflectConv2DBackpropFilterKernel,
  cgConvTranspose2DKernel,
];

let registered = false;

/** Replaces tfjs-webgpu's kernels of the same names on the 'webgpu' backend by ours (once). */
export function registerWebGPUKernels(backendName = 'webgpu'): void {
  if (registered) return;
  registered = true;
  for (const def of webgpuKernels) {
    const stock = tf.getKernel(def.kernelName, backendName);
    if (stock) tf.unregisterKernel(def.kernelName, backendName);
    const fn = def.make(stock?.kernelFunc as never);
    // Our dispatch path (../runner.ts) on whichever WebGPUBackend runs the kernel: Node's installs it when
    // it is created, the pages' picker (web/page/backend.ts) when it starts the stock one; this call covers any
    // other stock WebGPUBackend, on its first call of one of our kernels (installRunner is idempotent).
    const withRunner: KernelFn = (args) => {
      installRunner(args.backend as object);
      return fn(args);
    };
    tf.registerKernel({ kernelName: def.kernelName, backendName, kernelFunc: withRunner as unknown as tf.KernelFunc });
  }
}
