// CGReflectConv2D: ReflectionPad2d(pad) + a valid Conv2d (+ bias, + the generator's final Tanh) with the
// convolution reading x through the reflection, so the padded copy is never written (216 pads of 64×64×256 per
// 256/64/9 training step otherwise): the tiled kernel (conv_tiled.ts), the narrow one (64 → 3) and the generic
// one (the 3 → 64 stem) all read through it. Only a reflection MirrorPad itself rejects (pad ≥ size) or a
// dilated filter pads with tfjs-webgpu's MirrorPad first.
import { tf } from '../../../core/tf.js';
import { CGReflectConv2D, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { convForward, convForwardReflect } from '../conv_gemm.js';
import type { GPUBackendLike, KernelArgs, KernelDef, TensorInfo } from '../program.js';

/** The valid convolution over x reflection-padded by `pad` on H and W (both reflect kernels' geometry). */
export function reflectConvInfo(x: TensorInfo, filterShape: number[], stride: number, pad: number) {
  const [n, h, w, c] = x.shape;
  return tf.backend_util.computeConv2DInfo([n, h + 2 * pad, w + 2 * pad, c],
    filterShape as [number, number, number, number], stride, 1, 'valid', undefined, false, 'channelsLast');
}

/**
 * `run` on x reflection-padded by `pad` on H and W with tfjs-webgpu's own MirrorPad, the padded copy freed
 * after: the fallback of both kernels where the tiled path does not read through the reflection.
 */
export function onReflectPadded(args: KernelArgs, x: TensorInfo, pad: number,
                                run: (padded: TensorInfo) => TensorInfo): TensorInfo {
  const mirrorPad = tf.getKernel('MirrorPad', 'webgpu');
  if (!mirrorPad) throw new Error('webgpu: no MirrorPad kernel');
  const padded = mirrorPad.kernelFunc({ inputs: { x }, backend: args.backend as never,
    attrs: { paddings: [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode: 'reflect' } }) as TensorInfo;
  const out = run(padded);
  (args.backend as GPUBackendLike).disposeData(padded.dataId);
  return out;
}

export const cgReflectConv2DKernel: KernelDef = {
  kernelName: CGReflectConv2D,
  make: () => (args) => {
    const { x, filter, bias } = kernelInputs(CGReflectConv2D, args.inputs);
    const { pad, stride, activation } = kernelAttrs(CGReflectConv2D, args.attrs);
    const act = activation ?? 'linear';
    const backend = args.backend as GPUBackendLike;
    const info = reflectConvInfo(x, filter.shape, stride, pad);
    return convForwardReflect(backend, x, filter, bias, info, pad, act) ??
      onReflectPadded(args, x, pad, (padded) => convForward(backend, padded, filter, bias, act, 0, info));
  },
};
