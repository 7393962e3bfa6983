// Access to the official implementation's reference fixtures in ../shared/fixtures/reference.
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../src/core/tf.js';
import { readSafetensors, type RawTensor } from '../../src/core/weights/safetensors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/test/helpers → repository root is three levels up; shared/ sits beside the checkout.
export const REPO_ROOT = path.resolve(here, '../../..');
export const FIXTURE_DIR = process.env.CYCLEGAN_FIXTURES ?? path.resolve(REPO_ROOT, '../shared/fixtures/reference');

/**
 * Whether the reference fixtures are here. Outside CI their absence skips the parity tests; in CI (where
 * ../shared is always laid beside the checkout) it is a failure, so parity can never be skipped silently.
 */
export function fixturesAvailable(): boolean {
  const present = existsSync(path.join(FIXTURE_DIR, 'manifest.json'));
  if (!present && process.env.CI) throw new Error(`reference fixtures missing in CI: ${FIXTURE_DIR}`);
  return present;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function manifest(): any {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
}

export function loadFixture(name: string): Map<string, RawTensor> {
  const file = manifest().fixtures[name].file as string;
  return readSafetensors(readFileSync(path.join(FIXTURE_DIR, file)), file).tensors;
}

/** Entries whose names start with prefix, with the prefix removed. */
export function withPrefix(tensors: Map<string, RawTensor>, prefix: string): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

/** NCHW fixture tensor → NHWC TF.js tensor. */
export function nchwToNhwc(t: RawTensor): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** NHWC tensor → NCHW values, read asynchronously (the only read the webgpu backend allows in Node). */
export async function nhwcToNchwDataAsync(t: tf.Tensor): Promise<Float32Array> {
  const nchw = tf.transpose(t, [0, 3, 1, 2]);
  try {
    return await nchw.data() as Float32Array;
  } finally {
    nchw.dispose();
  }
}

/** max |a − b| / max |b|: scale-free agreement of two arrays. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-12): number {
  if (actual.length !== expected.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  if (Number.isNaN(maxDiff)) return Infinity;
  return maxDiff / Math.max(maxRef, floor);
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
