// The run folder CHECKPOINTS/NAME/ and its checkpoints.
//
//   opt.json                          the options used (official snake_case names)
//   latest_net_{G_A,G_B,D_A,D_B}.safetensors, <epoch>_net_*.safetensors
//   loss_log.jsonl                    one line per --print-freq images
//   loss_log.txt, train_opt.txt       the official code's text files of the same (for scripts that read them)
//   web/index.html, web/images/, web/loss.png
//   state/LATEST                      pointer (JSON) to the newest complete checkpoint generation
//   state/<gen>/                      net_*.safetensors + train_state.safetensors + train_state.json
//
// A folder of the official code's checkpoints (<label>_net_G_A.pth, ..., or the single latest_net_G.pth of
// an official pretrained model) is read too: loadNets/loadGenerator convert .pth files on the fly, with the
// architecture from the options, as the official code needs it.
//
// A checkpoint is written as a new generation folder first; only when every file of it is on disk is the
// small LATEST pointer replaced (atomically). The top-level latest_net_* files are then re-published from
// it (each file atomically). A crash at any moment leaves LATEST naming a complete generation, and
// --continue re-publishes latest_net_* from it, so a broken `latest` never survives a restart.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { saveNetwork, loadNetwork, networkFromStateDict } from '../weights/network_file.js';
import { readSafetensors, writeSafetensors, type RawTensor } from '../core/weights/safetensors.js';
import type { Network, NetworkSpec } from '../core/networks/index.js';
import { readTorchStateDict } from '../weights/torch_pth.js';
import { MODEL_NAMES, type ModelName } from '../core/model_names.js';
import { tempPathFor, writeFileAtomic, writeJsonAtomic, removeStaleTemps } from '../atomic.js';
import { readFileBounded, readFileIfExists, readJsonIfExists } from '../read_file.js';
import { MAX_LOSS_LOG_BYTES, MAX_RUN_JSON_BYTES, maxRunStateBytes, WEIGHTS_LIMIT_HINT } from '../core/limits.js';

/** The model's model_names (src/core/model_names.ts): the networks a run saves. */
export const NET_NAMES = MODEL_NAMES;
export type NetName = ModelName;
export type Nets = Record<NetName, Network>;

export interface RunPaths {
  root: string;
  opt: string;
  lossLog: string;
  /** the official Visualizer's loss_log.txt and BaseOptions' <phase>_opt.txt */
  officialLossLog: string;
  officialOpt: string;
  web: string;
  webImages: string;
  webIndex: string;
  lossPng: string;
  samples: string;
  stateDir: string;
  latestPointer: string;
}

export function runPaths(checkpointsDir: string, name: string): RunPaths {
  const root = path.join(checkpointsDir, name);
  const web = path.join(root, 'web');
  return {
    root,
    opt: path.join(root, 'opt.json'),
    lossLog: path.join(root, 'loss_log.jsonl'),
    officialLossLog: path.join(root, 'loss_log.txt'),
    officialOpt: path.join(root, 'train_opt.txt'),
    web,
    webImages: path.join(web, 'images'),
    webIndex: path.join(web, 'index.html'),
    lossPng: path.join(web, 'loss.png'),
    samples: path.join(web, 'samples.json'),
    stateDir: path.join(root, 'state'),
    latestPointer: path.join(root, 'state', 'LATEST'),
  };
}

/**
 * Official file name: <label>_net_<NAME>.safetensors (label = latest, an epoch number, or iter_<n>); NAME 'G'
 * is the single generator of an official pretrained model (latest_net_G), which --model test loads.
 */
export function netFile(root: string, label: string | number, net: NetName | 'G'): string {
  return path.join(root, `${label}_net_${net}.safetensors`);
}

/**
 * Reads a run's opt.json (official snake_case names), or undefined when there is none (or it is not JSON); a file
 * that cannot be read (a folder, no permission, over MAX_RUN_JSON_BYTES) is one line naming it.
 */
export async function readRunOptions(paths: RunPaths): Promise<Record<string, unknown> | undefined> {
  return await readJsonIfExists(paths.opt, 'run options') as Record<string, unknown> | undefined;
}

/** A sample image of the report: web/images/epoch<NNN>_<visual>.png. */
export function sampleImageFile(epoch: number, visual: string): string {
  return `epoch${String(epoch).padStart(3, '0')}_${visual}.png`;
}

/** The epoch and visual name of a sample image file name (the inverse of sampleImageFile), or null. */
export function parseSampleImageFile(name: string): { epoch: number; visual: string } | null {
  // .jpg/.jpeg too: a sample folder filled by hand (or an older run) is still shown
  const m = /^epoch(\d+)_(.+)\.(png|jpg|jpeg)$/.exec(name);
  return m ? { epoch: Number(m[1]), visual: m[2] } : null;
}

/** Everything besides the weights that --continue needs to resume exactly. */
export interface TrainStateJson {
  version: 1;
  /** the epoch to train next and how many images of it are already done */
  epoch: number;
  epochIter: number;
  /** images trained in the whole run */
  totalIters: number;
  /** the first epoch of the run (the official epoch_count at the start) */
  epochCount: number;
  model: unknown;
  data: unknown;
  scheduler: unknown;
  /** losses summed since the last loss_log line */
  lossAcc?: unknown;
  /** seconds spent training so far (all sessions) */
  elapsed: number;
  savedAt: string;
}

export interface TrainState {
  json: TrainStateJson;
  tensors: Map<string, RawTensor>;
}

interface Pointer {
  gen: string;
  epoch: number;
  epochIter: number;
  totalIters: number;
}

let genCounter = 0;

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Publishes `src` at `dst` atomically: a hard link (no copy) when the filesystem allows it. */
async function publish(src: string, dst: string): Promise<void> {
  const tmp = tempPathFor(dst);
  try {
    await fsp.link(src, tmp);
  } catch {
    await fsp.copyFile(src, tmp);
  }
  await fsp.rename(tmp, dst);
}

async function readPointer(paths: RunPaths): Promise<Pointer | undefined> {
  const bytes = await readFileIfExists(paths.latestPointer, { what: 'checkpoint pointer', maxBytes: MAX_RUN_JSON_BYTES });
  if (!bytes) return undefined;
  try {
    const p = JSON.parse(bytes.toString('utf8')) as Pointer;
    if (typeof p.gen !== 'string' || !/^[\w.-]+$/.test(p.gen)) throw new Error('bad pointer');
    return p;
  } catch {
    throw new CycleGANError(`${paths.latestPointer} is damaged; remove the run folder's state/ to start over from latest_net_* (optimizer state is lost)`);
  }
}

export async function hasCheckpoint(paths: RunPaths): Promise<boolean> {
  return (await readPointer(paths)) !== undefined;
}

/**
 * Writes a complete checkpoint (nets + training state), flips state/LATEST to it, re-publishes
 * latest_net_*, and removes older generations.
 */
export async function saveCheckpoint(paths: RunPaths, nets: Nets, state: TrainState): Promise<void> {
  const gen = `gen-${String(state.json.totalIters).padStart(9, '0')}-${Date.now().toString(36)}-${(genCounter++).toString(36)}`;
  const genDir = path.join(paths.stateDir, gen);
  try {
    await fsp.mkdir(genDir, { recursive: true });
    for (const n of NET_NAMES) await saveNetwork(nets[n], path.join(genDir, `net_${n}.safetensors`));
    await writeFileAtomic(path.join(genDir, 'train_state.safetensors'), writeSafetensors(state.tensors, { 'cyclegan.format': 'train-state-1' }));
    await writeJsonAtomic(path.join(genDir, 'train_state.json'), state.json);
    await writeJsonAtomic(paths.latestPointer, { gen, epoch: state.json.epoch, epochIter: state.json.epochIter, totalIters: state.json.totalIters } satisfies Pointer);
  } catch (e) {
    // A write failed (a full disk, most likely) before LATEST moved: the previous generation and latest_net_*
    // are untouched; the partial generation goes, so --continue resumes from the previous one.
    await fsp.rm(genDir, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
  await publishLatest(paths, gen);
  await pruneGenerations(paths, gen);
}

async function publishLatest(paths: RunPaths, gen: string): Promise<void> {
  const genDir = path.join(paths.stateDir, gen);
  for (const n of NET_NAMES) await publish(path.join(genDir, `net_${n}.safetensors`), netFile(paths.root, 'latest', n));
}

async function pruneGenerations(paths: RunPaths, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(paths.stateDir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith('gen-') && n !== keep) await fsp.rm(path.join(paths.stateDir, n), { recursive: true, force: true });
  }
  await removeStaleTemps(paths.stateDir);
}

/** Writes <label>_net_* (epoch snapshots, iter_<n>), each file atomically. */
export async function saveNetsAs(paths: RunPaths, nets: Nets, label: string | number): Promise<void> {
  for (const n of NET_NAMES) await saveNetwork(nets[n], netFile(paths.root, label, n));
}

/** Loads the newest complete checkpoint (nets + state) and repairs latest_net_* from it. */
export async function loadCheckpoint(paths: RunPaths): Promise<{ nets: Nets; state: TrainState } | undefined> {
  const ptr = await readPointer(paths);
  if (!ptr) return undefined;
  const genDir = path.join(paths.stateDir, ptr.gen);
  if (!(await exists(genDir))) throw new CycleGANError(`${paths.latestPointer} names ${ptr.gen}, which is missing; the run's state is damaged`);
  const json = JSON.parse((await readFileBounded(path.join(genDir, 'train_state.json'), { what: 'training state', maxBytes: MAX_RUN_JSON_BYTES })).toString('utf8')) as TrainStateJson;
  const stateFile = path.join(genDir, 'train_state.safetensors');
  const st = readSafetensors(await readFileBounded(stateFile, { what: 'training state', maxBytes: maxRunStateBytes(), limitHint: WEIGHTS_LIMIT_HINT }), stateFile);
  const nets = {} as Nets;
  for (const n of NET_NAMES) nets[n] = await loadNetwork(path.join(genDir, `net_${n}.safetensors`));
  await publishLatest(paths, ptr.gen);
  await pruneGenerations(paths, ptr.gen);
  await removeStaleTemps(paths.root);
  return { nets, state: { json, tensors: st.tensors } };
}

/** Official file name of the PyTorch code: <label>_net_<NAME>.pth. */
export function pthFile(root: string, label: string | number, net: string): string {
  return path.join(root, `${label}_net_${net}.pth`);
}

/** The checkpoint labels in a run folder (latest, epochs, iter_<n>), ours and official .pth, for error messages. */
export async function checkpointLabels(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(root);
  } catch {
    return [];
  }
  const labels = names.map((f) => /^(.+)_net_G(?:_[AB])?\.(?:safetensors|pth)$/.exec(f)?.[1]).filter((e): e is string => !!e);
  return [...new Set(labels)].sort();
}

/** The "no checkpoint" message: what exists instead, and how official .pth files are read. */
async function noCheckpoint(root: string, file: string): Promise<CycleGANError> {
  let have = '';
  try {
    await fsp.access(root);
    const labels = await checkpointLabels(root);
    have = labels.length ? ` (checkpoints here: ${labels.join(', ')}; check --epoch / --load-iter)` : ' (the folder has no generator checkpoints)';
  } catch {
    have = ' (no such run folder; check --name and --checkpoints-dir)';
  }
  return new CycleGANError(`no checkpoint ${path.basename(file, '.safetensors')}.safetensors or .pth in ${root}${have}; ` +
    'official PyTorch .pth checkpoints are read from the run folder as they are, or convert one with cyclegan import-torch');
}

/**
 * One network <label>_net_<net> of a run folder: our .safetensors, else the official .pth converted with
 * `spec` (the architecture from the flags; the official .pth files do not record it).
 */
export async function loadRunNetwork(root: string, label: string, net: string, spec?: NetworkSpec): Promise<{ net: Network; file: string; converted: boolean }> {
  const ours = path.join(root, `${label}_net_${net}.safetensors`);
  if (await exists(ours)) return { net: await loadNetwork(ours), file: ours, converted: false };
  const pth = pthFile(root, label, net);
  if (spec && (await exists(pth))) {
    const sd = await readTorchStateDict(pth);
    const hint = spec.role === 'generator' ? '--netG, --ngf, --norm, --input_nc/--output_nc' : '--netD, --ndf, --n_layers_D, --norm';
    return { net: networkFromStateDict(spec, sd, `${hint} (an official .pth does not record its architecture)`, pth), file: pth, converted: true };
  }
  throw await noCheckpoint(root, ours);
}

/** Loads <label>_net_* from the run folder (for test/translate, or --continue --epoch N); .pth needs `specs`. */
export async function loadNets(paths: RunPaths, label: string, which: readonly NetName[] = NET_NAMES,
                               specs?: Partial<Record<NetName, NetworkSpec>>): Promise<Partial<Nets> & { converted?: boolean }> {
  const out: Partial<Nets> & { converted?: boolean } = {};
  try {
    for (const n of which) {
      const r = await loadRunNetwork(paths.root, label, n, specs?.[n]);
      out[n] = r.net;
      if (r.converted) out.converted = true;
    }
  } catch (e) {
    for (const n of NET_NAMES) out[n]?.dispose();
    throw e;
  }
  return out;
}

/** Starts a session in the official loss_log.txt: its header line with the date (appended, as the official Visualizer). */
export async function startOfficialLossLog(paths: RunPaths, now = new Date()): Promise<void> {
  await fsp.mkdir(paths.root, { recursive: true });
  await fsp.appendFile(paths.officialLossLog, `================ Training Loss (${now.toUTCString()}) ================\n`);
}

/**
 * One line of the official loss_log.txt: `(epoch: E, iters: I, time: T, data: D) D_A: x G_A: x ...`, iters the
 * images of the epoch, time the seconds per image. Deviations: the losses are the mean since the previous line
 * (the official line shows the step's own), and data is 0 (loading overlaps training in worker threads).
 */
export async function appendOfficialLossLine(paths: RunPaths, epoch: number, epochIter: number, secondsPerImage: number, losses: Record<string, number>): Promise<void> {
  const parts = Object.entries(losses).map(([k, v]) => `${k}: ${v.toFixed(3)} `).join('');
  await fsp.appendFile(paths.officialLossLog, `(epoch: ${epoch}, iters: ${epochIter}, time: ${secondsPerImage.toFixed(3)}, data: 0.000) ${parts}\n`);
}

/** Appends lines to loss_log.jsonl. Appends are not atomic, so the reader skips a torn last line. */
export async function appendLossLog(paths: RunPaths, entries: object[]): Promise<void> {
  if (entries.length === 0) return;
  await fsp.mkdir(paths.root, { recursive: true });
  await fsp.appendFile(paths.lossLog, entries.map((e) => JSON.stringify(e) + '\n').join(''));
}

export interface LossLogEntry {
  epoch: number;
  epochIter: number;
  totalIters: number;
  /** fractional epoch for plotting */
  x: number;
  lr: number;
  time: number;
  losses: Record<string, number>;
}

/**
 * A run's loss_log.jsonl records ([] when there is none yet), bounded by MAX_LOSS_LOG_BYTES: one that cannot be read
 * is one line naming it, never taken for an empty log (continuing a run rewrites the log from what was read). A line
 * torn by a crash mid-append, or being appended right now (serve's dashboard reads while training runs), is skipped.
 */
export async function readLossLog(paths: RunPaths): Promise<LossLogEntry[]> {
  const text = (await readFileIfExists(paths.lossLog, { what: 'loss log', maxBytes: MAX_LOSS_LOG_BYTES }))?.toString('utf8') ?? '';
  const out: LossLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LossLogEntry);
    } catch {
      // torn or still being written
    }
  }
  return out;
}

/** On --continue: drop log lines written after the checkpoint (they will be trained and logged again). */
export async function truncateLossLog(paths: RunPaths, totalIters: number): Promise<void> {
  const entries = await readLossLog(paths);
  const kept = entries.filter((e) => e.totalIters <= totalIters);
  await writeFileAtomic(paths.lossLog, kept.map((e) => JSON.stringify(e) + '\n').join(''));
}
