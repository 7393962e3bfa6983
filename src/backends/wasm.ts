// tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so training cannot run there. We register one
// built from the wasm backend's own kernels: the filter gradient of a strided convolution is itself a
// convolution of the (padded, transposed) input with dy as the filter, dilated by the stride.
import { tf } from '../core/tf.js';

type KernelFn = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo;

function kernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend lacks kernel ${name}`);
  return k.kernelFunc as unknown as KernelFn;
}

export function registerWasmExtras(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: { disposeData(id: object): void }; attrs: Record<string, unknown> }) => {
      const { x, dy } = inputs;
      const { strides, pad, dimRoundingMode, filterShape } = attrs as {
        strides: number | [number, number]; pad: 'valid' | 'same' | number | number[][]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1,
        pad as 'valid', dimRoundingMode, false, 'channelsLast');
      const [kh, kw, ci, co] = filterShape;
      const { top, left, bottom, right } = info.padInfo;
      const temps: tf.TensorInfo[] = [];
      const run = (name: string, ins: Record<string, tf.TensorInfo>, a: Record<string, unknown>) => {
        const out = kernel(name)({ inputs: ins, backend, attrs: a });
        temps.push(out);
        return out;
      };
      // Pad as the forward pass did (negative bottom/right padding means rows never read: slice them off).
      let xp = run('PadV2', { x }, { paddings: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]], constantValue: 0 });
      // [n, Hp, Wp, ci] → [ci, Hp, Wp, n]: input channels become the batch, images become the channels.
      xp = run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] });
      // dy [n, oh, ow, co] → [oh, ow, n, co]: a filter over (image, out-channel).
      const f = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
      let g = run('Conv2D', { x: xp, filter: f }, {
        strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined,
      });
      if (g.shape[1] !== kh || g.shape[2] !== kw) g = run('Slice', { x: g }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
      const result = kernel('Transpose')({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const t of temps) backend.disposeData(t.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  });
}
