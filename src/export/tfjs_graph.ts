// TF.js graph-model export: a TensorFlow GraphDef (in its JSON form) that tfjs-converter's executor runs, plus a
// weights manifest and one binary shard. Only stock TF ops are used, so plain `tf.loadGraphModel` loads it.
// Layout is NHWC like the rest of this project: input [N,H,W,C] float32 in [-1,1].
import type { Layer } from '../core/networks/spec.js';
import { channelsAfter, getParam, type ExportSource } from './source.js';

export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const attrType = (t: 'DT_FLOAT' | 'DT_INT32') => ({ type: t });
const attrInts = (v: number[]) => ({ list: { i: v.map(String) } });
const attrStr = (s: string) => ({ s: b64(s) });
const T_FLOAT = { T: attrType('DT_FLOAT') };

class TfGraph {
  nodes: GraphNode[] = [];
  weights: WeightEntry[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  op(op: string, input: string[], attr: Record<string, unknown> = {}, name?: string): string {
    const n = name ?? this.fresh(op);
    this.nodes.push({ name: n, op, input, attr });
    return n;
  }

  private konst(name: string, shape: number[], dtype: 'float32' | 'int32', data: Float32Array | Int32Array): string {
    const dt = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        dtype: attrType(dt),
        value: { tensor: { dtype: dt, tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } },
      },
    });
    this.weights.push({ name, shape, dtype, data });
    return name;
  }

  floatConst(prefix: string, shape: number[], data: Float32Array): string {
    return this.konst(this.fresh(prefix), shape, 'float32', data);
  }

  intConst(prefix: string, shape: number[], values: number[]): string {
    return this.konst(this.fresh(prefix), shape, 'int32', Int32Array.from(values));
  }
}

function walk(g: TfGraph, net: ExportSource, layers: Layer[], x: string): string {
  for (const l of layers) {
    switch (l.op) {
      case 'reflectPad': {
        const p = l.pad;
        const pads = g.intConst('paddings', [4, 2], [0, 0, p, p, p, p, 0, 0]);
        x = g.op('MirrorPad', [x, pads], { ...T_FLOAT, Tpaddings: attrType('DT_INT32'), mode: attrStr('REFLECT') });
        break;
      }
      case 'conv2d': {
        if (l.pad > 0) {
          const p = l.pad;
          const pads = g.intConst('paddings', [4, 2], [0, 0, p, p, p, p, 0, 0]);
          x = g.op('Pad', [x, pads], { ...T_FLOAT, Tpaddings: attrType('DT_INT32') });
        }
        const wt = getParam(net, `${l.key}.weight`); // TF.js layout [kh,kw,in,out] is TF's HWIO already
        const w = g.floatConst(`${l.key}.weight`, wt.shape, wt.data);
        x = g.op('Conv2D', [x, w], {
          ...T_FLOAT,
          strides: attrInts([1, l.stride, l.stride, 1]),
          padding: attrStr('VALID'),
          data_format: attrStr('NHWC'),
          dilations: attrInts([1, 1, 1, 1]),
        });
        if (l.bias) x = addBias(g, net, l.key, x);
        break;
      }
      case 'convTranspose2d': {
        // Full ("VALID") transposed convolution, then crop `pad` from the start as PyTorch does; the output size
        // depends on the runtime H/W, so it is computed in-graph from Shape(x).
        const { k, stride: s, pad: p, outputPad: op, outC } = l;
        const shape = g.op('Shape', [x], { T: attrType('DT_FLOAT'), out_type: attrType('DT_INT32') });
        const fullSize = g.op('AddV2', [
          g.op('Mul', [shape, g.intConst('ct_mul', [4], [1, s, s, 0])], { T: attrType('DT_INT32') }),
          g.intConst('ct_add', [4], [0, k - s, k - s, outC]),
        ], { T: attrType('DT_INT32') });
        const wt = getParam(net, `${l.key}.weight`); // TF.js [kh,kw,out,in] is TF's conv2d_transpose filter layout
        const w = g.floatConst(`${l.key}.weight`, wt.shape, wt.data);
        let y = g.op('Conv2DBackpropInput', [fullSize, w, x], {
          ...T_FLOAT,
          strides: attrInts([1, s, s, 1]),
          padding: attrStr('VALID'),
          data_format: attrStr('NHWC'),
          dilations: attrInts([1, 1, 1, 1]),
        });
        if (op > p) {
          // output_padding beyond the crop: rows/cols no input reaches (zero before the bias)
          const extra = op - p;
          const pads = g.intConst('paddings', [4, 2], [0, 0, 0, extra, 0, extra, 0, 0]);
          y = g.op('Pad', [y, pads], { ...T_FLOAT, Tpaddings: attrType('DT_INT32') });
        }
        // out = H*s + (k - s - 2p + op); size -1 keeps N and C whole
        const d = k - s - 2 * p + op;
        const size = g.op('AddV2', [
          g.op('Mul', [shape, g.intConst('ct_mul', [4], [0, s, s, 0])], { T: attrType('DT_INT32') }),
          g.intConst('ct_add', [4], [-1, d, d, -1]),
        ], { T: attrType('DT_INT32') });
        x = g.op('Slice', [y, g.intConst('ct_begin', [4], [0, p, p, 0]), size], { ...T_FLOAT, Index: attrType('DT_INT32') });
        if (l.bias) x = addBias(g, net, l.key, x);
        break;
      }
      case 'instanceNorm': {
        // Per image and channel over H×W, biased variance, as torch.nn.InstanceNorm2d(affine=False).
        const axes = g.intConst('axes', [2], [1, 2]);
        const mean = g.op('Mean', [x, axes], { ...T_FLOAT, Tidx: attrType('DT_INT32'), keep_dims: { b: true } });
        const sq = g.op('SquaredDifference', [x, mean], T_FLOAT);
        const variance = g.op('Mean', [sq, axes], { ...T_FLOAT, Tidx: attrType('DT_INT32'), keep_dims: { b: true } });
        const eps = g.floatConst('eps', [], Float32Array.of(l.eps));
        const inv = g.op('Rsqrt', [g.op('AddV2', [variance, eps], T_FLOAT)], T_FLOAT);
        x = g.op('Mul', [g.op('Sub', [x, mean], T_FLOAT), inv], T_FLOAT);
        break;
      }
      case 'batchNorm': {
        // Inference batch norm folded into a per-channel scale and shift (computed in float64).
        const w = getParam(net, `${l.key}.weight`).data;
        const b = getParam(net, `${l.key}.bias`).data;
        const m = getParam(net, `${l.key}.running_mean`).data;
        const v = getParam(net, `${l.key}.running_var`).data;
        const scale = new Float32Array(l.channels);
        const shift = new Float32Array(l.channels);
        for (let i = 0; i < l.channels; i++) {
          const sc = w[i] / Math.sqrt(v[i] + l.eps);
          scale[i] = sc;
          shift[i] = b[i] - m[i] * sc;
        }
        x = g.op('Mul', [x, g.floatConst(`${l.key}.scale`, [l.channels], scale)], T_FLOAT);
        x = g.op('AddV2', [x, g.floatConst(`${l.key}.shift`, [l.channels], shift)], T_FLOAT);
        break;
      }
      case 'relu':
        x = g.op('Relu', [x], T_FLOAT);
        break;
      case 'leakyRelu':
        x = g.op('LeakyRelu', [x], { ...T_FLOAT, alpha: { f: l.alpha } });
        break;
      case 'tanh':
        x = g.op('Tanh', [x], T_FLOAT);
        break;
      case 'identity':
      case 'dropout': // inference
        break;
      case 'residual':
        x = g.op('AddV2', [x, walk(g, net, l.body, x)], T_FLOAT);
        break;
      case 'skip': {
        const body = walk(g, net, l.body, x);
        x = g.op('ConcatV2', [x, body, g.intConst('axis', [], [3])], { ...T_FLOAT, N: { i: '2' }, Tidx: attrType('DT_INT32') });
        break;
      }
      default: {
        const never: never = l;
        throw new Error(`tfjs export: unknown layer ${JSON.stringify(never)}`);
      }
    }
  }
  return x;
}

function addBias(g: TfGraph, net: ExportSource, key: string, x: string): string {
  const b = getParam(net, `${key}.bias`);
  return g.op('AddV2', [x, g.floatConst(`${key}.bias`, b.shape, b.data)], T_FLOAT);
}

export interface TfjsGraphModel {
  /** model.json contents */
  modelJson: Record<string, unknown>;
  /** contents of group1-shard1of1.bin */
  weightData: Uint8Array;
}

export function exportTfjsGraph(net: ExportSource, opts: { producerVersion?: string } = {}): TfjsGraphModel {
  const g = new TfGraph();
  const inC = net.spec.inputNc;
  g.op('Placeholder', [], { dtype: attrType('DT_FLOAT'), shape: { shape: { dim: [-1, -1, -1, inC].map((s) => ({ size: String(s) })) } } }, 'input');
  const last = walk(g, net, net.layers, 'input');
  g.op('Identity', [last], T_FLOAT, 'output');
  const outC = channelsAfter(net.layers, inC);

  let total = 0;
  for (const w of g.weights) total += w.data.length * 4;
  const weightData = new Uint8Array(total);
  const dv = new DataView(weightData.buffer);
  let off = 0;
  // TF.js weight files are little-endian
  for (const w of g.weights) {
    if (w.data instanceof Float32Array) for (const v of w.data) { dv.setFloat32(off, v, true); off += 4; }
    else for (const v of w.data) { dv.setInt32(off, v, true); off += 4; }
  }
  const sig = (name: string, c: number) => ({
    name: `${name}:0`,
    dtype: 'DT_FLOAT',
    tensorShape: { dim: [-1, -1, -1, c].map((s) => ({ size: String(s) })) },
  });
  return {
    modelJson: {
      format: 'graph-model',
      generatedBy: 'cyclegan',
      convertedBy: `cyclegan export ${opts.producerVersion ?? ''}`.trim(),
      modelTopology: { node: g.nodes, library: {}, versions: {} },
      signature: { inputs: { input: sig('input', inC) }, outputs: { output: sig('output', outC) } },
      userDefinedMetadata: { cyclegan_spec: net.spec, input: 'NHWC float32 RGB in [-1, 1]' },
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: g.weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
    },
    weightData,
  };
}
