// A run moves between the training page and `cyclegan train`: the page's saved state (one safetensors buffer,
// src/web/train/engine.ts encodeRunState) and a run folder's checkpoint hold the same things — networks, Adam
// moments and step, image pools, the model's RNG, the dataset position (RNG at the epoch's start + images handed
// out), the lr schedule — so each converts to the other without loss, and training continues exactly on the
// other side (with the same images: DATAROOT/trainA and trainB are the folders picked in the page).
import { CycleGANError } from '../core/errors.js';
import { decodeRunState, encodeRunState, pickEngineOptions, type EngineOptions } from '../web/train/engine.js';
import { hasCheckpoint, loadCheckpoint, readRunOptions, runPaths, saveCheckpoint, type Nets, type TrainStateJson } from './run_folder.js';
import { jsonToRawFlags, optionsToJson, optionsToRawFlags, resolveTrainOptions } from './options.js';
import { writeJsonAtomic } from '../atomic.js';
import type { RngState } from '../core/rng.js';

/**
 * Writes CHECKPOINTS_DIR/NAME from a state the page saved ("Download the run"): opt.json and a checkpoint, so that
 * `cyclegan train --dataroot D --name NAME --continue` resumes it exactly. Refuses to replace an existing run.
 */
export async function importBrowserRun(bytes: Uint8Array, checkpointsDir: string, name: string, source: string): Promise<{ root: string; totalIters: number; epoch: number }> {
  const paths = runPaths(checkpointsDir, name);
  if (await hasCheckpoint(paths)) throw new CycleGANError(`${paths.root} already holds a run; choose another --name`);
  const st = decodeRunState(bytes, source);
  try {
    const opts = resolveTrainOptions({ ...optionsToRawFlags(st.options), name, 'checkpoints-dir': checkpointsDir }, { requireData: false });
    await writeJsonAtomic(paths.opt, { ...optionsToJson(opts), epoch_count: st.options.epochCount, imported_from: 'the browser training page' });
    const json: TrainStateJson = {
      version: 1, epoch: st.epoch, epochIter: st.epochIter, totalIters: st.totalIters, epochCount: st.options.epochCount,
      model: st.training.json, data: st.data, scheduler: st.scheduler, elapsed: 0, savedAt: new Date().toISOString(),
    };
    await saveCheckpoint(paths, st.nets as Nets, { json, tensors: st.training.tensors });
    return { root: paths.root, totalIters: st.totalIters, epoch: st.epoch };
  } finally {
    for (const n of Object.values(st.nets)) n.dispose();
  }
}

/** The newest checkpoint of CHECKPOINTS_DIR/NAME as a state the page continues ("Continue a CLI run"). */
export async function exportBrowserRun(checkpointsDir: string, name: string): Promise<Uint8Array> {
  const paths = runPaths(checkpointsDir, name);
  const saved = await readRunOptions(paths);
  if (!saved) throw new CycleGANError(`no run at ${paths.root} (no opt.json); check --checkpoints-dir and --name`);
  const ck = await loadCheckpoint(paths);
  if (!ck) throw new CycleGANError(`${paths.root} has no checkpoint yet (train saves one every --save-latest-freq images and at the end)`);
  try {
    const st = ck.state.json;
    const opts = resolveTrainOptions({ ...jsonToRawFlags(saved), name, 'checkpoints-dir': checkpointsDir, 'epoch-count': st.epochCount }, { requireData: false });
    return await encodeRunState({
      options: pickEngineOptions(opts), nets: ck.nets, training: { tensors: ck.state.tensors, json: st.model as never },
      epoch: st.epoch, epochIter: st.epochIter, totalIters: st.totalIters, data: st.data as { rng: RngState; position: number }, scheduler: st.scheduler,
    });
  } finally {
    for (const n of Object.values(ck.nets)) n.dispose();
  }
}
