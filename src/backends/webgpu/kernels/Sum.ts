// Sum over every axis but the channels of an NHWC tensor (a convolution's bias gradient, ~120 per training
// step): stock tfjs-webgpu transposes the channels to the front first (a copy) and then reduces, two
// dispatches and two engine ops. Here a workgroup of CW neighbouring channels × RL row lanes reduces a chunk
// of pixel rows. The chunks are sized for about ROWS_PER_THREAD loads a thread: one dispatch for the ResNet
// blocks' [1,64,64,256] (64 workgroups), per-chunk partial sums summed by
// splitReduceProgram (program.ts, the split convolutions' second pass) for larger images.
// (The first version, 16 channels × 16 lanes and chunks of 4096 rows, ran 16 workgroups of 256 serial loads
// for the blocks' sums: 64 µs a call on the H200, twice the stock kernel's time; BENCHMARKS.md Run 4.)
// Every other Sum goes to the stock kernel.
import { ceilDiv, ints, reduceSplits, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';
import { tf } from '../../../core/tf.js';

/** Channels per workgroup (x) and row lanes (y): 256 threads. */
const CW = 4, RL = 64;
/** Loads per thread a chunk aims at: enough work per thread, enough workgroups to fill a large GPU. */
const ROWS_PER_THREAD = 64;

function chunkProgram(c: number, chunks: number, outShape: number[]): Program {
  return {
    outputShape: outShape,
    shaderKey: 'cgChannelSum4x64',
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [ceilDiv(c, CW), chunks, 1],
    variableNames: ['x'],
    uniforms: 'rows : i32, c : i32, chunk : i32,',
    workgroupSize: [CW, RL, 1],
    getUserCode: () => `
      var<workgroup> red : array<f32, ${CW * RL}>;
      // (a flat dispatch layout makes the runner pass a global index; the workgroup ids say what to sum)
      fn main(flatIndex : i32) {
        let cx = i32(localId.x);
        let py = i32(localId.y);
        let ch = i32(workgroupId.x) * ${CW} + cx;
        let k = i32(workgroupId.y);
        let r0 = k * uniforms.chunk;
        let r1 = min(uniforms.rows, r0 + uniforms.chunk);
        var s = 0.0;
        if (ch < uniforms.c) {
          for (var r = r0 + py; r < r1; r += ${RL}) { s = s + x[r * uniforms.c + ch]; }
        }
        red[py * ${CW} + cx] = s;
        workgroupBarrier();
        for (var h = ${RL / 2}; h > 0; h = h >> 1u) {
          if (py < h) { red[py * ${CW} + cx] = red[py * ${CW} + cx] + red[(py + h) * ${CW} + cx]; }
          workgroupBarrier();
        }
        if (py == 0 && ch < uniforms.c) { result[k * uniforms.c + ch] = red[cx]; }
      }
    `,
  };
}

/** Channel sums of an NHWC float32 tensor, shaped as `outShape` ([c] or [1, 1, 1, c]). */
function channelSum(backend: GPUBackendLike, x: TensorInfo, outShape: number[]): TensorInfo {
  const c = x.shape[3];
  const rows = x.shape[0] * x.shape[1] * x.shape[2];
  const chunks = Math.max(1, ceilDiv(rows, RL * ROWS_PER_THREAD));
  const chunk = ceilDiv(rows, chunks);
  if (chunks === 1) return backend.runWebGPUProgram(chunkProgram(c, 1, outShape), [x], 'float32', ints(rows, c, chunk));
  const part = backend.runWebGPUProgram(chunkProgram(c, chunks, [chunks, c]), [x], 'float32', ints(rows, c, chunk));
  return reduceSplits(backend, part, outShape, chunks, c);
}

export const sumKernel: KernelDef = {
  kernelName: tf.Sum,
  make: (stock) => (args) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const channels = rank === 4 && x.dtype === 'float32' && axes.length === 3 && axes.join() === '0,1,2';
    if (!channels || x.shape[3] === 0 || x.shape.slice(0, 3).some((d) => d === 0)) {
      if (!stock) throw new Error('Sum: no stock webgpu kernel to hand this case to');
      return stock(args);
    }
    return channelSum(args.backend as GPUBackendLike, x, keepDims ? [1, 1, 1, x.shape[3]] : [x.shape[3]]);
  },
};
