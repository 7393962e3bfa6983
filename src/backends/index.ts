// Backend selection: our native oneDNN backend in Node when its addon is built, else tfjs wasm, else
// tfjs cpu. `--backend` overrides; a requested backend that cannot start is an error, not a silent switch.
import { tf } from '../core/tf.js';
import { existsSync, readdirSync } from 'node:fs';
import { CycleGANError } from '../core/errors.js';
import { BACKENDS, GPU_IDS_BACKENDS, NODE_BACKENDS, type NodeBackend } from './names.js';

export { BACKENDS, GPU_IDS_BACKENDS, NODE_BACKENDS };

/** The GPU adapter the active webgpu backend runs on (for `bench` and logs), or null. */
export let webgpuAdapter: string | null = null;

/**
 * Whether a hardware GPU may be present. On Linux a GPU Vulkan driver needs a device node; without one,
 * `auto` does not load Dawn at all (it costs startup time and prints driver warnings).
 */
function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return existsSync('/dev/nvidia0') || readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

async function loadWebGPU(): Promise<{ ok: true; adapter: { description: string; software: boolean } } | { ok: false; reason: string }> {
  try {
    const mod = await import('./webgpu/index.js');
    return await mod.tryRegisterWebGPUBackend();
  } catch (e) {
    return { ok: false, reason: `webgpu backend module failed to load: ${(e as Error).message}` };
  }
}

type Loaded = { ok: true } | { ok: false; reason: string };

let wasmLoaded = false;

async function loadWasm(): Promise<Loaded> {
  if (wasmLoaded) return { ok: true };
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    const { registerWasmExtras } = await import('./wasm.js');
    registerWasmExtras();
  } catch (e) {
    return { ok: false, reason: `wasm backend module failed to load: ${(e as Error).message}` };
  }
  wasmLoaded = true;
  return { ok: true };
}

async function loadNative(): Promise<Loaded> {
  try {
    const mod = await import('./native/index.js');
    return mod.tryRegisterNativeBackend();
  } catch (e) {
    return { ok: false, reason: `native backend module failed to load: ${(e as Error).message}` };
  }
}

/** What makes each CPU backend available to tf.setBackend (tfjs-cpu registers itself with tfjs-core). */
const LOADERS: Record<NodeBackend, () => Promise<Loaded>> = {
  native: loadNative,
  wasm: loadWasm,
  cpu: async () => ({ ok: true }),
};

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** The CPU backends whose unavailability has been said (once a process). */
const warned = new Set<NodeBackend>();

/**
 * The first CPU backend that starts, along NODE_BACKENDS (`auto` after the GPU, and `--gpu_ids -1`); says once why
 * a backend was skipped.
 */
async function startCpuChain(log: (line: string) => void): Promise<string> {
  for (const [i, name] of NODE_BACKENDS.entries()) {
    const loaded = await LOADERS[name]();
    if (loaded.ok && (await activate(name))) return name;
    if (!loaded.ok && !warned.has(name)) {
      warned.add(name);
      log(`cyclegan: ${name} backend unavailable (${loaded.reason}); using ${NODE_BACKENDS[i + 1] ?? 'nothing'}`);
    }
  }
  throw new CycleGANError('no TF.js backend could start');
}

/**
 * Before code that reads tensors synchronously (checkpoint saving): on webgpu in Node, dataSync only returns
 * CPU copies that an asynchronous read made, so this makes them for `tensors` (all live tensors when none
 * are named). No-op elsewhere.
 */
export async function prepareSyncReads(tensors?: readonly tf.Tensor[]): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const { prepareSyncReads: prepare } = await import('./webgpu/index.js');
  await prepare(tensors);
}

/**
 * `train --deterministic` (or not) for the active backend: only native chooses kernels by timing (its conv
 * variants), the others are deterministic already. Call after the backend starts, before the first step.
 */
export async function setDeterministic(on: boolean): Promise<void> {
  if (tf.getBackend() !== 'native') return;
  const { setNativeDeterministic } = await import('./native/index.js');
  setNativeDeterministic(on);
}

/**
 * Starts a backend and returns its name. 'auto' (default) tries webgpu on a hardware GPU adapter (saying
 * which), then the CPU chain (startCpuChain: native, then wasm, then cpu, saying once why one was skipped).
 */
export async function initBackend(requested: string = 'auto', log: (line: string) => void = (l) => console.error(l)): Promise<string> {
  const name = requested.toLowerCase();
  if (name === 'auto') {
    // A hardware GPU first (a software adapter such as lavapipe is far slower than the CPU backends).
    if (process.env.CYCLEGAN_NO_GPU !== '1' && mayHaveGpu()) {
      const gpu = await loadWebGPU();
      if (gpu.ok && !gpu.adapter.software && (await activate('webgpu'))) {
        webgpuAdapter = gpu.adapter.description;
        log(`cyclegan: using webgpu on ${gpu.adapter.description}`);
        return 'webgpu';
      }
    }
    return startCpuChain(log);
  }
  if (name === 'webgpu') {
    const gpu = await loadWebGPU();
    if (!gpu.ok) throw new CycleGANError(`--backend webgpu: ${gpu.reason}`);
    webgpuAdapter = gpu.adapter.description + (gpu.adapter.software ? ' [software]' : '');
  } else if ((NODE_BACKENDS as readonly string[]).includes(name)) {
    const loaded = await LOADERS[name as NodeBackend]();
    if (!loaded.ok) throw new CycleGANError(`--backend ${name}: ${loaded.reason}`);
  } else {
    throw new CycleGANError(`unknown --backend '${requested}' (${BACKENDS.join(', ')})`);
  }
  if (!(await activate(name))) throw new CycleGANError(`--backend ${name} could not be started`);
  return name;
}

/**
 * Starts the backend the option system's backendFor (src/train/options.ts) chose (the two --gpu_ids cases; other names go
 * to initBackend as they are). Here, not beside the option table, so that the table stays free of Node (the
 * training page builds its form from it).
 */
export async function startBackend(backend: string, log: (line: string) => void = (l) => console.error(l)): Promise<string> {
  if (backend === GPU_IDS_BACKENDS.gpu) {
    const got = await initBackend('auto', log);
    if (got !== 'webgpu') log(`cyclegan: --gpu_ids: no hardware GPU backend here; using ${got}`);
    return got;
  }
  if (backend === GPU_IDS_BACKENDS.cpu) return startCpuChain(log);
  return initBackend(backend, log);
}
