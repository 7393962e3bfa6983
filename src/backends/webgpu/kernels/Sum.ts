// Sum over every axis but the channels of an NHWC tensor (a convolution's bias gradient, ~120 per training
// step): stock tfjs-webgpu transposes the channels to the front first (a copy) and then reduces, two
// dispatches and two engine ops. Here a 16×16 workgroup (x: 16 neighbouring channels of a pixel row, y:
// pixel lanes) reduces a chunk of pixel rows; one dispatch when the rows are few, else per-chunk partial
// sums and one small merge. Every other Sum goes to the stock kernel.
import { ceilDiv, ints, type GPUBackendLike, type KernelDef, type Program, type TensorInfo } from '../program.js';
import { tf } from '../../../core/tf.js';

const LANES = 16;
/** Rows one workgroup reduces at most when the sum is cut into chunks (256 loads per thread). */
const CHUNK_ROWS = 4096;

function chunkProgram(rows: number, c: number, chunks: number, outShape: number[]): Program {
  return {
    outputShape: outShape,
    shaderKey: 'cgChannelSum',
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [ceilDiv(c, LANES), chunks, 1],
    variableNames: ['x'],
    uniforms: 'rows : i32, c : i32, chunk : i32,',
    workgroupSize: [LANES, LANES, 1],
    getUserCode: () => `
      var<workgroup> red : array<f32, ${LANES * LANES}>;
      // (a flat dispatch layout makes the runner pass a global index; the workgroup ids say what to sum)
      fn main(flatIndex : i32) {
        let cx = i32(localId.x);
        let py = i32(localId.y);
        let ch = i32(workgroupId.x) * ${LANES} + cx;
        let k = i32(workgroupId.y);
        let r0 = k * uniforms.chunk;
        let r1 = min(uniforms.rows, r0 + uniforms.chunk);
        var s = 0.0;
        if (ch < uniforms.c) {
          for (var r = r0 + py; r < r1; r += ${LANES}) { s = s + x[r * uniforms.c + ch]; }
        }
        red[py * ${LANES} + cx] = s;
        workgroupBarrier();
        for (var h = ${LANES / 2}; h > 0; h = h >> 1u) {
          if (py < h) { red[py * ${LANES} + cx] = red[py * ${LANES} + cx] + red[(py + h) * ${LANES} + cx]; }
          workgroupBarrier();
        }
        if (py == 0 && ch < uniforms.c) { result[k * uniforms.c + ch] = red[cx]; }
      }
    `,
  };
}

function mergeProgram(c: number, outShape: number[]): Program {
  return {
    outputShape: outShape,
    shaderKey: 'cgChannelSumMerge',
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [ceilDiv(c, 64), 1, 1],
    variableNames: ['part'],
    uniforms: 'c : i32, chunks : i32,',
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(ch : i32) {
        if (ch >= uniforms.size) { return; }
        var s = 0.0;
        for (var k = 0; k < uniforms.chunks; k++) { s = s + part[k * uniforms.c + ch]; }
        result[ch] = s;
      }
    `,
  };
}

/** Channel sums of an NHWC float32 tensor, shaped as `outShape` ([c] or [1, 1, 1, c]). */
export function channelSum(backend: GPUBackendLike, x: TensorInfo, outShape: number[]): TensorInfo {
  const c = x.shape[3];
  const rows = x.shape[0] * x.shape[1] * x.shape[2];
  const chunks = rows <= 2 * CHUNK_ROWS ? 1 : ceilDiv(rows, CHUNK_ROWS);
  const chunk = ceilDiv(rows, chunks);
  if (chunks === 1) return backend.runWebGPUProgram(chunkProgram(rows, c, 1, outShape), [x], 'float32', ints(rows, c, chunk));
  const part = backend.runWebGPUProgram(chunkProgram(rows, c, chunks, [chunks, c]), [x], 'float32', ints(rows, c, chunk));
  const out = backend.runWebGPUProgram(mergeProgram(c, outShape), [part], 'float32', ints(c, chunks));
  backend.disposeData(part.dataId);
  return out;
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
