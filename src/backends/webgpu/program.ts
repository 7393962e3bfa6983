// Our WGSL programs run through tfjs-backend-webgpu's program runner (WebGPUBackend.runWebGPUProgram), so
// they share its buffer pool, command encoder batching and pipeline cache (keyed by `shaderKey`, which
// names every compile-time variant: shape values are uniforms, so one pipeline serves every layer size).
import type { tf } from '../../core/tf.js';

export type TensorInfo = tf.TensorInfo;

/** The fields of tfjs-backend-webgpu's WebGPUProgram that its runner reads. */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  /** WGSL struct fields appended to the runner's `Uniforms` (scalars only, in `uniformData` order). */
  uniforms?: string;
  workgroupSize: [number, number, number];
  /** Adds `uniforms.size` (element count, over outputComponent) and makes a flat dispatch call `main(index)`. */
  size?: boolean;
  /** vecN elements of the output (and of the inputs, unless variableComponents says otherwise per input). */
  outputComponent?: number;
  variableComponents?: number[];
  getUserCode(): string;
}

export type UniformValue = { type: 'int32' | 'float32' | 'uint32'; data: number[] };

/** The parts of WebGPUBackend our kernels use (its typings are not exported for Node). */
export interface GPUBackendLike {
  runWebGPUProgram(program: Program, inputs: TensorInfo[], outputDtype: tf.DataType, uniforms?: UniformValue[],
                   output?: TensorInfo): TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): TensorInfo;
}

export type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: tf.NamedAttrMap };
export type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** One of our kernels: its name, and a factory given the stock tfjs-webgpu kernel it replaces (if any). */
export interface KernelDef {
  kernelName: string;
  make(stock: KernelFn | undefined): KernelFn;
}

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export function ints(...values: number[]): UniformValue[] {
  return values.map((v) => ({ type: 'int32', data: [v] }));
}

export function floats(...values: number[]): UniformValue[] {
  return values.map((v) => ({ type: 'float32', data: [v] }));
}

const fieldText = { i32: new Map<readonly string[], string>(), f32: new Map<readonly string[], string>() };

/** `name: i32, …` for a Uniforms struct (built once per list: the kernels pass module-level lists). */
export function fields(type: 'i32' | 'f32', names: readonly string[]): string {
  let text = fieldText[type].get(names);
  if (text === undefined) {
    text = names.map((n) => `${n} : ${type}, `).join('');
    fieldText[type].set(names, text);
  }
  return text;
}

export function isNHWC(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/**
 * Activation epilogue for fused kernels; `uniforms.alpha` is the LeakyReLU slope. 'tanh' is ours (the
 * generator's last layer through CGReflectConv2D), not one of TF.js's fused-conv activations, so it is not in
 * FUSED_ACTIVATIONS (what FusedConv2D accepts).
 */
export type FusedActivation = 'linear' | 'relu' | 'leakyrelu' | 'relu6' | 'elu' | 'sigmoid' | 'tanh';
export const FUSED_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'leakyrelu', 'relu6', 'elu', 'sigmoid'];

export function activationWGSL(act: FusedActivation, v: string): string {
  switch (act) {
    case 'linear': return v;
    case 'relu': return `max(${v}, 0.0)`;
    case 'leakyrelu': return `select(uniforms.alpha * ${v}, ${v}, ${v} >= 0.0)`;
    case 'relu6': return `clamp(${v}, 0.0, 6.0)`;
    case 'elu': return `select(exp(${v}) - 1.0, ${v}, ${v} >= 0.0)`;
    case 'sigmoid': return `1.0 / (1.0 + exp(-${v}))`;
    // tfjs-webgpu's own Tanh formula (the unfused layer's), so fusing it changes no result
    case 'tanh': return `(sign(${v}) * (1.0 - exp(-2.0 * abs(${v}))) / (1.0 + exp(-2.0 * abs(${v}))))`;
  }
}

/**
 * A source index read through a reflection (PyTorch's ReflectionPad2d, pad < n): −i below 0, 2·(n − 1) − i
 * past n − 1. The convolutions that read a padded source without making it use it (conv_gemm, conv_narrow).
 */
export const REFLECT_INDEX = `fn reflectIndex(i : i32, n : i32) -> i32 {
  let a = select(i, -i, i < 0);
  return select(a, 2 * n - 2 - a, a >= n);
}`;

/**
 * WGSL index wrapper for kernels that read through a reflection: `at(v, n)` is `reflectIndex(v, n)` when
 * `reflect` (the shader must then include REFLECT_INDEX), else `v` unchanged.
 */
export function reflectAt(reflect: boolean): (v: string, n: string) => string {
  return (v, n) => reflect ? `reflectIndex(${v}, ${n})` : v;
}

/**
 * Sums `partial` ([splits, ...outputShape], the partial results of a reduction split across workgroups) over
 * its first axis, then adds a per-last-axis bias and applies the activation: the second pass of the split
 * convolutions (conv_gemm.ts) and of the channel sums (kernels/Sum.ts).
 */
export function splitReduceProgram(outputShape: number[], hasBias: boolean, act: FusedActivation): Program {
  return {
    outputShape,
    shaderKey: `cgSplitReduce_${hasBias ? 'b' : ''}${act}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [ceilDiv(outputShape.reduce((a, b) => a * b, 1), 64), 1, 1],
    variableNames: hasBias ? ['partial', 'bias'] : ['partial'],
    uniforms: 'splits : i32, n : i32, alpha : f32,',
    workgroupSize: [64, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var s = 0.0;
        for (var i = 0; i < uniforms.splits; i++) { s = s + partial[i * uniforms.size + index]; }
        ${hasBias ? 's = s + bias[index % uniforms.n];' : ''}
        result[index] = ${activationWGSL(act, 's')};
      }
    `,
  };
}

/**
 * The second pass of a split reduction: sums `partial` ([splits, ...outShape]) with splitReduceProgram, adds
 * `bias` (per last-axis entry, `n` of them) and applies `act`, then disposes `partial`.
 */
export function reduceSplits(backend: GPUBackendLike, partial: TensorInfo, outShape: number[], splits: number, n: number,
                             bias?: TensorInfo, act: FusedActivation = 'linear', alpha = 0): TensorInfo {
  const out = backend.runWebGPUProgram(splitReduceProgram(outShape, bias !== undefined, act),
    bias ? [partial, bias] : [partial], 'float32', [...ints(splits, n), ...floats(alpha)]);
  backend.disposeData(partial.dataId);
  return out;
}
