// What the exporters need from a network: its spec, its layer IR (src/core/networks) and its weights in TF.js layout.
// `Network` satisfies this structurally; keeping it an interface lets the exporters stay free of model code.
import type { Layer, NetworkSpec } from '../core/networks/spec.js';
import { CycleGANError } from '../core/errors.js';

export interface TensorLike {
  readonly shape: number[];
  dataSync(): ArrayLike<number>;
}

export interface ExportSource {
  readonly spec: NetworkSpec;
  readonly layers: Layer[];
  readonly params: Map<string, TensorLike>;
  readonly buffers: Map<string, TensorLike>;
}

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export function getParam(net: ExportSource, key: string): HostTensor {
  const t = net.params.get(key) ?? net.buffers.get(key);
  if (!t) throw new CycleGANError(`export: the network has no tensor '${key}'`);
  return { shape: [...t.shape], data: Float32Array.from(t.dataSync()) };
}

/** Reorders a 4-D array: out[i_perm[0], …] = in[i_0, …], i.e. numpy's transpose(perm). */
export function permute4(t: HostTensor, perm: [number, number, number, number]): HostTensor {
  const s = t.shape;
  if (s.length !== 4) throw new Error(`permute4: expected a 4-D tensor, got [${s.join(',')}]`);
  const outShape = perm.map((p) => s[p]);
  const inStride = [s[1] * s[2] * s[3], s[2] * s[3], s[3], 1];
  const st = perm.map((p) => inStride[p]);
  const out = new Float32Array(t.data.length);
  let o = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++) {
        const base = a * st[0] + b * st[1] + c * st[2];
        for (let d = 0; d < outShape[3]; d++) out[o++] = t.data[base + d * st[3]];
      }
  return { shape: outShape, data: out };
}

/** Channels coming out of a layer list, given the channels going in. */
export function channelsAfter(layers: Layer[], inC: number): number {
  let c = inC;
  for (const l of layers) {
    if (l.op === 'conv2d' || l.op === 'convTranspose2d') c = l.outC;
    else if (l.op === 'skip') c = c + channelsAfter(l.body, c);
    else if (l.op === 'residual') c = channelsAfter(l.body, c);
  }
  return c;
}
