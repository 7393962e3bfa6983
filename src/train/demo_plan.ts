// `cyclegan demo`'s plan: the backend measured on this machine, and a run shaped to a time budget (how many
// epochs, how many images each, how often to log and save). No I/O and no TF.js here beyond the measuring
// step, so the plan's rules can be read (and tested) on their own.
import { tf } from '../core/tf.js';
import { CycleGANModel, modelOptions, runQueuedSteps } from '../core/model.js';
import { initBackend, NODE_BACKENDS } from '../backends/index.js';
import { CycleGANError } from '../core/errors.js';
import type { TrainOptions } from './options.js';

export const DEMO_DEFAULTS = { dataset: 'mnist2ink', minutes: 7, ngf: 16, seed: 1 };

/** Images per second of one training step on `backend` (after warm-up steps), or 0 if it cannot run. */
export async function measureStepRate(backend: string, opts: TrainOptions, size: number, log: (l: string) => void): Promise<number> {
  try {
    await initBackend(backend, () => {});
  } catch (e) {
    log(`  ${backend}: not available (${(e as Error).message.split('\n')[0]})`);
    return 0;
  }
  const model = CycleGANModel.create(modelOptions(opts));
  const nc = (n: number) => tf.randomUniform([1, size, size, n], -1, 1) as tf.Tensor4D;
  const a = nc(opts.inputNc), b = nc(opts.outputNc);
  try {
    // The first steps compile kernels and allocate; time the ones after.
    await runQueuedSteps(model, a, b, 3);
    const steps = 5;
    const t0 = performance.now();
    await runQueuedSteps(model, a, b, steps);
    const rate = steps / ((performance.now() - t0) / 1000);
    log(`  ${backend}: ${rate.toFixed(2)} steps/s`);
    return rate;
  } catch (e) {
    log(`  ${backend}: failed (${(e as Error).message.split('\n')[0]})`);
    return 0;
  } finally {
    tf.dispose([a, b]);
    model.dispose();
  }
}

/**
 * `auto`: the fastest of the CPU chain's backends but its last (native and wasm; the later one on a tie), the last (cpu)
 * when none runs; a named backend must be able to train.
 */
export async function chooseDemoBackend(requested: string, probe: TrainOptions, size: number, log: (l: string) => void): Promise<{ backend: string; rate: number }> {
  if (requested !== 'auto') {
    const rate = await measureStepRate(requested, probe, size, log);
    if (!(rate > 0)) throw new CycleGANError(`--backend ${requested} cannot train here`);
    return { backend: requested, rate };
  }
  let best: { backend: string; rate: number } = { backend: '', rate: 0 };
  for (const b of NODE_BACKENDS.slice(0, -1)) {
    const rate = await measureStepRate(b, probe, size, log);
    if (rate >= best.rate) best = { backend: b, rate };
  }
  if (best.rate > 0) return best;
  const last = NODE_BACKENDS[NODE_BACKENDS.length - 1];
  return { backend: last, rate: await measureStepRate(last, probe, size, log) };
}

export interface DemoPlan {
  epochs: number;
  /** images per epoch (--max-dataset-size) */
  perEpoch: number;
  /** images the plan trains in all */
  images: number;
  /** the train flags that carry the plan out */
  trainFlags: Record<string, unknown>;
}

/**
 * A run that fits `budgetSeconds` at `rate` steps per second: ~12 epochs (half at the full learning rate, half
 * decaying linearly, as the official schedule), each of as many images as the budget allows.
 */
export function planDemo(rate: number, budgetSeconds: number, datasetSize: number): DemoPlan {
  // The short calibration underestimated the steady rate by 1.3–3× on a busy 2-core machine: plan half as
  // much again; if that is too much, maxSeconds stops the run at the budget (late in the lr decay).
  const images = Math.max(24, Math.floor(rate * budgetSeconds * 1.5));
  let epochs = Math.min(12, Math.max(2, Math.floor(images / 20)));
  let perEpoch = Math.max(1, Math.floor(images / epochs));
  if (perEpoch > datasetSize) {
    // A fast backend: whole-dataset epochs, more of them.
    perEpoch = datasetSize;
    epochs = Math.max(2, Math.floor(images / datasetSize));
  }
  const trainFlags = {
    'max-dataset-size': String(perEpoch),
    'n-epochs': Math.ceil(epochs / 2), 'n-epochs-decay': Math.floor(epochs / 2),
    'save-epoch-freq': epochs, 'save-latest-freq': Math.max(100, perEpoch),
    // about 40 points on the loss curves and a sample row per epoch, whatever the machine's speed
    'print-freq': Math.max(1, Math.min(100, Math.floor(images / 40))), 'display-freq': Math.max(1, Math.min(400, perEpoch)),
  };
  return { epochs, perEpoch, images, trainFlags };
}
