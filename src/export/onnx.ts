// ONNX export: walks Network.layers and writes a ModelProto (opset 17) with our own protobuf writer.
// Layout: ONNX is NCHW, so the input is [N, C, H, W] float32 in [-1, 1] with symbolic N/H/W; weights go back
// to PyTorch layout (Conv [out,in,kh,kw], ConvTranspose [in,out,kh,kw]), exactly as the official state_dict.
import type { Layer } from '../core/networks/spec.js';
import { ProtoWriter } from './protobuf.js';
import { channelsAfter, getParam, permute4, type ExportSource, type HostTensor } from './source.js';

export const ONNX_OPSET = 17;
const IR_VERSION = 8; // the IR version that goes with opset 17

// onnx.proto enums
const DT_FLOAT = 1;
const DT_INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attr = { name: string } & ({ f: number } | { i: number } | { s: string } | { ints: number[] });

interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  dtype: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
}

export interface OnnxExportOptions {
  producerVersion?: string;
  inputName?: string;
  outputName?: string;
}

class GraphBuilder {
  nodes: OnnxNode[] = [];
  inits: Initializer[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  node(op: string, inputs: string[], attrs: Attr[] = [], outName?: string): string {
    const out = outName ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  floatInit(name: string, t: HostTensor): string {
    this.inits.push({ name, dims: t.shape, dtype: 'float32', data: t.data });
    return name;
  }

  int64Init(name: string, values: number[]): string {
    this.inits.push({ name, dims: [values.length], dtype: 'int64', data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }
}

function walk(g: GraphBuilder, net: ExportSource, layers: Layer[], x: string, c: number): { x: string; c: number } {
  for (const l of layers) {
    switch (l.op) {
      case 'reflectPad': {
        const pads = g.int64Init(g.fresh('pads'), [0, 0, l.pad, l.pad, 0, 0, l.pad, l.pad]);
        x = g.node('Pad', [x, pads], [{ name: 'mode', s: 'reflect' }]);
        break;
      }
      case 'conv2d': {
        // TF.js [kh,kw,in,out] → ONNX/PyTorch [out,in,kh,kw]
        const w = g.floatInit(`${l.key}.weight`, permute4(getParam(net, `${l.key}.weight`), [3, 2, 0, 1]));
        const inputs = [x, w];
        if (l.bias) inputs.push(g.floatInit(`${l.key}.bias`, getParam(net, `${l.key}.bias`)));
        x = g.node('Conv', inputs, [
          { name: 'kernel_shape', ints: [l.k, l.k] },
          { name: 'strides', ints: [l.stride, l.stride] },
          { name: 'pads', ints: [l.pad, l.pad, l.pad, l.pad] },
          { name: 'dilations', ints: [1, 1] },
          { name: 'group', i: 1 },
        ]);
        c = l.outC;
        break;
      }
      case 'convTranspose2d': {
        // TF.js [kh,kw,out,in] → ONNX/PyTorch ConvTranspose [in,out,kh,kw]
        const w = g.floatInit(`${l.key}.weight`, permute4(getParam(net, `${l.key}.weight`), [3, 2, 0, 1]));
        const inputs = [x, w];
        if (l.bias) inputs.push(g.floatInit(`${l.key}.bias`, getParam(net, `${l.key}.bias`)));
        // Same arithmetic as PyTorch: out = (in-1)*stride - 2*pad + k + output_padding.
        x = g.node('ConvTranspose', inputs, [
          { name: 'kernel_shape', ints: [l.k, l.k] },
          { name: 'strides', ints: [l.stride, l.stride] },
          { name: 'pads', ints: [l.pad, l.pad, l.pad, l.pad] },
          { name: 'output_padding', ints: [l.outputPad, l.outputPad] },
          { name: 'dilations', ints: [1, 1] },
          { name: 'group', i: 1 },
        ]);
        c = l.outC;
        break;
      }
      case 'instanceNorm': {
        // affine=False in the official code: scale 1, bias 0.
        const ch = l.channels;
        const scale = g.floatInit(g.fresh('in_scale'), { shape: [ch], data: new Float32Array(ch).fill(1) });
        const bias = g.floatInit(g.fresh('in_bias'), { shape: [ch], data: new Float32Array(ch) });
        x = g.node('InstanceNormalization', [x, scale, bias], [{ name: 'epsilon', f: l.eps }]);
        break;
      }
      case 'batchNorm': {
        const names = ['weight', 'bias', 'running_mean', 'running_var'].map((s) =>
          g.floatInit(`${l.key}.${s}`, getParam(net, `${l.key}.${s}`)),
        );
        x = g.node('BatchNormalization', [x, ...names], [{ name: 'epsilon', f: l.eps }]);
        break;
      }
      case 'relu':
        x = g.node('Relu', [x]);
        break;
      case 'leakyRelu':
        x = g.node('LeakyRelu', [x], [{ name: 'alpha', f: l.alpha }]);
        break;
      case 'tanh':
        x = g.node('Tanh', [x]);
        break;
      case 'identity':
      case 'dropout': // inference: dropout is the identity (the official test does not enable it)
        break;
      case 'residual': {
        const body = walk(g, net, l.body, x, c);
        x = g.node('Add', [x, body.x]);
        break;
      }
      case 'skip': {
        const body = walk(g, net, l.body, x, c);
        x = g.node('Concat', [x, body.x], [{ name: 'axis', i: 1 }]);
        c = c + body.c;
        break;
      }
      default: {
        const never: never = l;
        throw new Error(`onnx export: unknown layer ${JSON.stringify(never)}`);
      }
    }
  }
  return { x, c };
}

function encodeAttr(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('f' in a) w.float(2, a.f).int(20, ATTR_FLOAT);
  else if ('i' in a) w.int(3, a.i).int(20, ATTR_INT);
  else if ('s' in a) w.string(4, a.s).int(20, ATTR_STRING);
  else {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
  return w;
}

function encodeTensor(t: Initializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dtype === 'float32' ? DT_FLOAT : DT_INT64);
  w.string(8, t.name);
  // raw_data is little-endian by the ONNX spec; write through a DataView so the host's byte order does not matter.
  const bytes = new Uint8Array(t.data.length * (t.dtype === 'float32' ? 4 : 8));
  const dv = new DataView(bytes.buffer);
  if (t.data instanceof Float32Array) t.data.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  else t.data.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  w.bytes(9, bytes);
  return w;
}

function encodeValueInfo(name: string, dims: Array<number | string>): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().int(1, DT_FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, name).message(2, type);
}

/** Serializes the network as an ONNX model: input [N,C,H,W] float32 in [-1,1], output [N,C',H',W']. */
export function exportOnnx(net: ExportSource, opts: OnnxExportOptions = {}): Uint8Array {
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'output';
  const g = new GraphBuilder();
  const inC = net.spec.inputNc;
  const { x: last } = walk(g, net, net.layers, inputName, inC);
  g.node('Identity', [last], [], outputName);
  const outC = channelsAfter(net.layers, inC);

  const graph = new ProtoWriter();
  g.nodes.forEach((n, i) => {
    const w = new ProtoWriter();
    for (const s of n.inputs) w.string(1, s);
    for (const s of n.outputs) w.string(2, s);
    w.string(3, `${n.op}_${i}`).string(4, n.op);
    for (const a of n.attrs) w.message(5, encodeAttr(a));
    graph.message(1, w);
  });
  graph.string(2, net.spec.role === 'generator' ? `cyclegan_${net.spec.netG}` : `cyclegan_D_${net.spec.netD}`);
  for (const t of g.inits) graph.message(5, encodeTensor(t));
  graph.message(11, encodeValueInfo(inputName, ['N', inC, 'H', 'W']));
  graph.message(12, encodeValueInfo(outputName, ['N', outC, 'H_out', 'W_out']));

  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'cyclegan')
    .string(3, opts.producerVersion ?? '0')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET));
  const meta = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v);
  model.message(14, meta('cyclegan_spec', JSON.stringify(net.spec)));
  model.message(14, meta('input_range', '[-1, 1] float32 NCHW RGB'));
  return model.finish();
}
