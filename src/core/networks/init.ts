// Weight initialization as the official init_weights: conv weights from normal/xavier/kaiming/orthogonal
// with gain 0.02 by default, biases zero, BatchNorm weight N(1, gain). Values are drawn in PyTorch layout
// so fan-in/fan-out follow torch's rules (including its ConvTranspose quirk: fan_in uses dim 1).
import { Rng } from '../rng.js';

export type InitType = 'normal' | 'xavier' | 'kaiming' | 'orthogonal';
export const INIT_TYPES: readonly InitType[] = ['normal', 'xavier', 'kaiming', 'orthogonal'];

export interface InitOptions {
  type?: InitType;
  gain?: number;
  seed?: number;
}

/** Values for a conv weight of PyTorch shape [d0, d1, kh, kw]. */
export function initConvWeight(torchShape: number[], type: InitType, gain: number, rng: Rng): Float32Array {
  const n = torchShape.reduce((a, b) => a * b, 1);
  const receptive = torchShape.slice(2).reduce((a, b) => a * b, 1);
  const fanIn = torchShape[1] * receptive;
  const fanOut = torchShape[0] * receptive;
  const out = new Float32Array(n);
  if (type === 'orthogonal') return orthogonal(torchShape[0], n / torchShape[0], gain, rng);
  let std: number;
  if (type === 'normal') std = gain;
  else if (type === 'xavier') std = gain * Math.sqrt(2 / (fanIn + fanOut));
  else std = Math.sqrt(2) / Math.sqrt(fanIn); // kaiming_normal_(a=0, mode='fan_in'), gain ignored as official
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** A (rows × cols) matrix with orthonormal rows or columns, scaled by gain (torch.nn.init.orthogonal_). */
function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const tall = rows >= cols;
  const r = tall ? rows : cols;
  const c = tall ? cols : rows;
  // Gram–Schmidt on c random columns of length r.
  const q: Float64Array[] = [];
  for (let j = 0; j < c; j++) {
    const v = new Float64Array(r);
    for (let i = 0; i < r; i++) v[i] = rng.normal();
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < r; i++) d += u[i] * v[i];
      for (let i = 0; i < r; i++) v[i] -= d * u[i];
    }
    let norm = 0;
    for (let i = 0; i < r; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < r; i++) v[i] /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (tall ? q[j][i] : q[i][j]);
  }
  return out;
}
