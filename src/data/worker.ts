// Prefetch worker: runs decode + augment off the main thread, so the training step is not stalled by it.
import { parentPort } from 'node:worker_threads';
import { ImageDecodeError } from './decode.js';
import { loadTransformed, type LoadJob } from './load.js';

parentPort?.on('message', async (msg: { id: number; job: LoadJob }) => {
  try {
    const img = await loadTransformed(msg.job);
    parentPort!.postMessage({ id: msg.id, ok: true, img }, [img.data.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error & { userFacing?: boolean };
    const decode = e instanceof ImageDecodeError;
    parentPort!.postMessage({ id: msg.id, ok: false, message: err.message, reason: decode ? e.reason : undefined, userFacing: !!err.userFacing, decode });
  }
});
