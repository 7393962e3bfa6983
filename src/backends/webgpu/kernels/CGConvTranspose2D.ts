// CGConvTranspose2D (contract in docs/ARCHITECTURE.md): PyTorch's ConvTranspose2d with its bias, the bias added
// in the input-gradient kernel's epilogue (conv_gemm.ts's convBackpropInput) instead of a separate Add pass:
// the ResNet generator's two upsampling layers, one dispatch each.
import { tf } from '../../../core/tf.js';
import { CGConvTranspose2D, kernelAttrs, kernelInputs } from '../../../core/ops/kernel_names.js';
import { convTransposeCrop, convTransposeOutSize } from '../../../core/ops/nn.js';
import { convBackpropInput } from '../conv_gemm.js';
import type { GPUBackendLike, KernelDef } from '../program.js';

export const cgConvTranspose2DKernel: KernelDef = {
  kernelName: CGConvTranspose2D,
  make: () => (args) => {
    const { x, filter, bias } = kernelInputs(CGConvTranspose2D, args.inputs);
    const { stride, pad, outputPad } = kernelAttrs(CGConvTranspose2D, args.attrs);
    const crop = convTransposeCrop(pad, outputPad);
    if (!crop || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 ||
        tf.util.sizeFromShape(bias.shape) !== filter.shape[2]) {
      throw new Error('CGConvTranspose2D: float32 NHWC x, filter [kh,kw,out,in], bias [out], outputPad <= pad');
    }
    const [n, h, w] = x.shape;
    const [kh, kw, outC] = filter.shape;
    const outShape: [number, number, number, number] = [n, convTransposeOutSize(h, kh, stride, pad, outputPad),
      convTransposeOutSize(w, kw, stride, pad, outputPad), outC];
    // The transposed convolution is the input gradient of the conv from outShape to x's shape (as tf.conv2dTranspose).
    const info = tf.backend_util.computeConv2DInfo(outShape, filter.shape as [number, number, number, number], stride, 1,
      crop, undefined, false, 'channelsLast');
    return convBackpropInput(args.backend as GPUBackendLike, x, filter, info, bias);
  },
};
