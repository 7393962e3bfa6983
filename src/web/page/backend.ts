// The TF.js backend of a browser page, and why it was picked: webgpu with our own WGSL kernels and the captured,
// replayed inference forward that translateImage uses (as Node's webgpu backend, src/backends/webgpu), else webgl
// (only with float32 render targets: half floats would cost several levels), else wasm, else cpu. The one picker
// of the translate page (main.ts) and the training worker (train/worker.ts); it runs in a window and in a Web
// Worker alike.
import { tf } from '../../core/tf.js';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWebGPUKernels } from '../../backends/webgpu/kernels/register_all.js';
import { registerReplay } from '../../backends/webgpu/replay.js';
import { installRunner } from '../../backends/webgpu/runner.js';

/** The order tried when the page is not told one (?backend=NAME). */
const BACKEND_ORDER: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface PickedBackend {
  name: string;
  /** for people: the URL chose it, WebGPU is there, or what each backend before it lacked */
  why: string;
}

/**
 * Starts the first backend that works (only `forced` when given). `wasmPath`: the folder the wasm binaries are
 * served from, relative to this script. `started`: runs once a backend is up, before it is judged (the worker
 * adds the wasm kernels training needs).
 */
export async function pickBackend(opts: { forced: string | null; wasmPath: string; started?: (name: string) => void }): Promise<PickedBackend> {
  const { forced } = opts;
  setWasmPaths(opts.wasmPath);
  registerWebGPUKernels();
  registerReplay('webgpu');
  const order = forced ? [forced] : BACKEND_ORDER;
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (name === 'webgpu') {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        const where = typeof document === 'undefined' ? ' in workers' : '';
        if (!gpu) { skipped.push(`webgpu: this browser has no WebGPU${where}`); continue; }
        if (!(await gpu.requestAdapter())) { skipped.push('webgpu: no WebGPU adapter'); continue; }
      }
      if (!(await tf.setBackend(name))) { skipped.push(`${name}: could not start`); continue; }
      await tf.ready();
      // Our dispatch path on the stock backend now, as Node's backend has it from its start (our kernels would
      // install it on their first call, inside the first forward): replay, which needs it, then captures the
      // second forward of a shape, as in Node.
      if (name === 'webgpu') installRunner(tf.backend());
      opts.started?.(name);
      if (name === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) { skipped.push('webgl: no float32 render targets'); continue; }
      const why = forced ? `chosen with ?backend=${forced}` :
        name === 'webgpu' ? 'WebGPU is available (our own WGSL kernels, as in Node)' : `the first that works here (${skipped.join('; ')})`;
      return { name, why };
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TF.js backend could start (${skipped.join('; ')})`);
}
