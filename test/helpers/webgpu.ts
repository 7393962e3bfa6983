// The webgpu tests' adapter check and shader cache. Lavapipe compiles each pipeline cold in seconds, so
// Mesa's shader cache lives in a folder the tests own (.cache/mesa-shaders in the checkout; CI's cache of
// that folder, if any, makes reruns fast). Outside CI a machine without any WebGPU adapter skips the
// webgpu tests with the reason; under CI=true a missing adapter is a failure, never a silent skip.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './fixtures.js';

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
