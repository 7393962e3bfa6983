// Loads build/Release/cg_native.node (built by scripts/build-native.mjs) and types its functions.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Conv geometry: [n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, padTop, padBottom, padLeft, padRight]. */
export type ConvParams = number[];

export interface NativeAddon {
  /** Returns oneDNN's implementation name (e.g. 'brg:avx512_core'). act: see ACT. */
  convForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, p: ConvParams,
              act: number, alpha: number): string;
  convBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, p: ConvParams): string;
  convBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, p: ConvParams): string;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array): void;
  greater(a: Float32Array, b: Float32Array, out: Uint8Array): void;
  select(cond: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reduceSum(x: Float32Array, a: number, r: number, b: number, mean: boolean, out: Float32Array): void;
  instanceNorm(x: Float32Array, y: Float32Array, n: number, hw: number, c: number, eps: number, act: number,
               alpha: number): void;
  instanceNormGrad(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, hw: number,
                   c: number, eps: number, act: number, alpha: number): void;
  mirrorPad(x: Float32Array, shape4: number[], pads8: number[], symmetric: boolean, y: Float32Array): void;
  mirrorPadGrad(dy: Float32Array, xShape4: number[], pads8: number[], symmetric: boolean, dx: Float32Array): void;
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array,
       mOut: Float32Array, vOut: Float32Array, lr: number, beta1: number, beta2: number, eps: number, step: number): void;
  /** dst[dstOff + Σ idx·dstStrides] = src[srcOff + Σ idx·srcStrides] over the index box `shape`. */
  stridedCopy(src: Float32Array, srcOff: number, srcStrides: number[], dst: Float32Array, dstOff: number,
              dstStrides: number[], shape: number[]): void;
  fill(dst: Float32Array, value: number): void;
  trim(): boolean;
  /** An uninitialized Float32Array from the addon's block cache (n > 0). */
  alloc(n: number): Float32Array;
  /** Detaches an ArrayBuffer made by alloc() and recycles its block now. */
  release(buf: ArrayBuffer): boolean;
  setThreads(n: number): number;
  /** Conv variants by a fixed rule instead of by timing (train --deterministic); returns the mode now. */
  setDeterministic(on: boolean): boolean;
  info(): { onednn: string; cpuRuntime: string; threads: number; cachedPrimitives: number; deterministic: boolean;
    mallocInUseMB: number;
    mallocFreeHeldMB: number; blockCacheMB: number; liveBlocks: number;
    liveMB: number; peakLiveMB: number };
}

export const ACT = { none: 0, relu: 1, leakyrelu: 2, tanh: 3, sigmoid: 4, relu6: 5, elu: 6 } as const;
export const BIN = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 } as const;
export const UN = {
  Abs: 0, Neg: 1, Relu: 2, LeakyRelu: 3, Tanh: 4, Sigmoid: 5, Square: 6, Sqrt: 7, Exp: 8, Log: 9, Step: 10,
  Relu6: 11, Sign: 12,
} as const;

const ADDON_FILE = 'cg_native.node';

/** Where the addon may be: $CYCLEGAN_NATIVE_ADDON, else build/Release under the package root. */
export function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const out: string[] = [];
  if (process.env.CYCLEGAN_NATIVE_ADDON) out.push(resolve(process.env.CYCLEGAN_NATIVE_ADDON));
  // dist/src/backends/native → package root is four levels up; src/backends/native (ts loaders) three.
  out.push(resolve(here, '../../../../build/Release', ADDON_FILE));
  out.push(resolve(here, '../../../build/Release', ADDON_FILE));
  return out;
}

let cached: { addon: NativeAddon } | { error: string } | undefined;

export function loadAddon(): { addon: NativeAddon } | { error: string } {
  if (cached) return cached;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    cached = { error: 'native addon not built (run `npm run build:native`; needs libdnnl-dev and a C++ compiler)' };
    return cached;
  }
  // libgomp reads this when the addon loads it. Its default spin-wait (300k rounds) starved the other
  // thread of a team whenever the cores were shared, making a 2-thread training step up to 20× slower;
  // a short spin keeps quiet-machine speed and degrades gracefully under load.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.GOMP_SPINCOUNT = '20000';
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require(path) as NativeAddon };
  } catch (e) {
    cached = { error: `native addon failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached;
}
