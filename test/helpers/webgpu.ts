// The webgpu tests' adapter check and shader cache. Lavapipe compiles each pipeline cold in seconds, so
// Mesa's shader cache lives in a folder the tests own (.cache/mesa-shaders in the checkout; CI's cache of
// that folder, if any, makes reruns fast). Outside CI a machine without any WebGPU adapter skips the
// webgpu tests with the reason; under CI=true a missing adapter is a failure, never a silent skip.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../src/core/tf.js';
import { REPO_ROOT } from './fixtures.js';
import { rand } from './random.js';

export const MESA_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'mesa-shaders');

/** Must run before Dawn loads the Vulkan driver (i.e. before the backend is first registered). */
function useOwnShaderCache(): void {
  if (process.env.MESA_SHADER_CACHE_DIR) return;
  mkdirSync(MESA_CACHE_DIR, { recursive: true });
  process.env.MESA_SHADER_CACHE_DIR = MESA_CACHE_DIR;
  // lavapipe's default cache cap (1 GB) is fine; make sure the cache is not disabled by the environment.
  delete process.env.MESA_SHADER_CACHE_DISABLE;
}

/** Registers the webgpu backend; returns false (skip) or a skip reason string, or throws under CI. */
export async function webgpuSkipReason(): Promise<string | false> {
  useOwnShaderCache();
  const { tryRegisterWebGPUBackend } = await import('../../src/backends/webgpu/index.js');
  const reg = await tryRegisterWebGPUBackend();
  if (reg.ok) return false;
  if (process.env.CI) throw new Error(`webgpu adapter missing in CI (scripts/setup.sh installs lavapipe 25): ${reg.reason}`);
  return `no webgpu adapter: ${reg.reason}`;
}

/** A program the webgpu backend ran, as its runWebGPUProgram received it. */
export type RanProgram = { shaderKey: string; dispatch: number[]; outputShape: number[] };

/**
 * Records the programs the active (webgpu) backend runs until `restore()` (runWebGPUProgram wrapped on the backend
 * object; the wrapper is removed again, or the backend's own method put back): `ran` in order, `keys` by shader key.
 */
export function spyPrograms(): { ran: RanProgram[]; keys: Set<string>; restore(): void } {
  type Run = (p: RanProgram, ...rest: unknown[]) => unknown;
  const backend = tf.backend() as unknown as { runWebGPUProgram?: Run };
  const own = Object.prototype.hasOwnProperty.call(backend, 'runWebGPUProgram');
  const run = backend.runWebGPUProgram!;
  const ran: RanProgram[] = [];
  const keys = new Set<string>();
  backend.runWebGPUProgram = (p, ...rest) => {
    ran.push({ shaderKey: p.shaderKey, dispatch: [...(p.dispatch ?? [])], outputShape: [...p.outputShape] });
    keys.add(p.shaderKey);
    return run.call(backend, p, ...rest);
  };
  const restore = () => {
    if (own) backend.runWebGPUProgram = run;
    else delete backend.runWebGPUProgram;
  };
  return { ran, keys, restore };
}

// Comparing webgpu with tfjs-cpu on the same inputs (webgpu_kernels, webgpu_winograd).

export type Data = { shape: number[]; data: Float32Array };
export type Fn = (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[];

/** Uniform [-1, 1) data of each shape, seeded from `seed` up in order. */
export function inputs(shapes: Record<string, number[]>, seed = 1): Record<string, Data> {
  const out: Record<string, Data> = {};
  let k = seed;
  for (const [name, shape] of Object.entries(shapes)) out[name] = { shape, data: rand(shape.reduce((a, b) => a * b, 1), k++) };
  return out;
}

/** Runs fn on a backend with fresh tensors built from the same data; returns shapes and values (read with data()). */
export async function runOn(backend: string, fn: Fn, ins: Record<string, Data>): Promise<Data[]> {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(ins)) ts[k] = tf.tensor(v.data, v.shape);
  const res = tf.tidy(() => fn(ts));
  const list = Array.isArray(res) ? res : [res];
  const out: Data[] = [];
  for (const r of list) out.push({ shape: r.shape.slice(), data: Float32Array.from(await r.data() as Float32Array) });
  tf.dispose(list);
  tf.dispose(Object.values(ts));
  return out;
}

/** Largest |webgpu − cpu| / max |cpu| over all outputs; every output must also match in shape. */
async function relErr(what: string, fn: Fn, ins: Record<string, Data>): Promise<number> {
  const want = await runOn('cpu', fn, ins);
  const got = await runOn('webgpu', fn, ins);
  assert.equal(got.length, want.length, `${what}: output count`);
  let worst = 0;
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i].shape, `${what}[${i}]: shape`);
    let diff = 0, scale = 0;
    for (let j = 0; j < g.data.length; j++) {
      diff = Math.max(diff, Math.abs(g.data[j] - want[i].data[j]));
      scale = Math.max(scale, Math.abs(want[i].data[j]));
    }
    worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff / Math.max(scale, 1e-12));
  });
  return worst;
}

/** Every check's relative error by name, for a test file to print last. */
export const errors: Record<string, number> = {};

/** relErr at most `tol` (1e-5: the f32 kernels' tolerance against tfjs-cpu), recorded in `errors`. */
export async function check(what: string, fn: Fn, ins: Record<string, Data>, tol = 1e-5): Promise<void> {
  const e = await relErr(what, fn, ins);
  errors[what] = e;
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(2)} > ${tol}`);
}
