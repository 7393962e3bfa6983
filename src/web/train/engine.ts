// The training loop without Node: images in memory, the run's whole state to bytes and back. The in-browser
// training page runs it in a Web Worker; it is the Node trainer's loop (src/train/trainer.ts) on the same
// model (CycleGANModel.step: losses, pools, Adam), the same epoch plan (data/sampling.ts), the same official
// transform (data/transforms.ts) and the same lr schedule (schedule.ts LrSchedule), so a seed and a set of
// images give the same losses and weights in a tab as `cyclegan train` does (test/web_train.test.ts).
//
// What it leaves to its caller: decoding files (the worker decodes with the browser; Node with sharp), where
// the bytes are stored, and when. Not here (the Node trainer's run-folder features): loss_log files, HTML
// reports, --save-epoch-freq copies.
import { tf } from '../../core/tf.js';
import { CycleGANError } from '../../core/errors.js';
import { CycleGANModel, disposeLosses, discriminatorSpecs, generatorSpecs, modelOptions, readLosses, type CycleGANOptions,
  type Losses, type TrainingState } from '../../core/model.js';
import { MODEL_NAMES, visualNames, type ModelName, type VisualName } from '../../core/model_names.js';
import { LrSchedule, type LrPolicy } from '../../core/schedule.js';
import { applyTransform, resizeBicubic, resizedSize, type Preprocess, type TransformOptions } from '../../core/data/transforms.js';
import { planEpoch, samplingStart, type PlannedSample } from '../../core/data/sampling.js';
import { floatToU8, rgbToLuma, u8ToFloat, type RawImage } from '../../core/data/pixels.js';
import { imagesToTensor } from '../../core/data/image_tensors.js';
import type { RngState } from '../../core/rng.js';
import { parseSafetensorsHeader, readSafetensors, writeSafetensors, type RawTensor } from '../../core/weights/safetensors.js';
import { networkFromStateDict, networkToStateDictAsync } from '../../core/weights/network_codec.js';
import type { Network } from '../../core/networks/index.js';
import { requiredMultiple } from '../../core/networks/size.js';
import { optionsToRawFlags, resolveTrainOptions } from '../../train/options.js';

/** The options the loop reads: the model's, and the data / schedule options of `cyclegan train` (same names). */
export interface EngineOptions extends CycleGANOptions {
  batchSize: number;
  loadSize: number;
  cropSize: number;
  preprocess: Preprocess;
  noFlip: boolean;
  serialBatches: boolean;
  direction: 'AtoB' | 'BtoA';
  nEpochs: number;
  nEpochsDecay: number;
  epochCount: number;
  lrPolicy: LrPolicy;
  lrDecayIters: number;
}

/** One decoded training image: 8-bit RGB (or grey), any size. */
export interface EngineImage extends RawImage {
  name: string;
}

/**
 * The training images of the two folders (folder terms: A = domain A; --direction swaps them at the model), any size:
 * the engine keeps them through prepareImage. A caller that decodes many large photos passes each through prepareImage
 * as it decodes it (the worker does), so the full-size images never all sit in memory at once.
 */
export interface EngineData {
  A: EngineImage[];
  B: EngineImage[];
}

export interface StepResult {
  epoch: number;
  epochIter: number;
  totalIters: number;
  lr: number;
  losses: Losses;
  /** images in this step (the batch size, or fewer at the end of an epoch) */
  images: number;
}

/** A queued step: its position in the run now, its losses once read. */
export interface PendingStep {
  /** images trained in the run once this step is through */
  totalIters: number;
  result: Promise<StepResult>;
}

/** The samples shown while training: real → fake → reconstructed, both directions (the identity images left out). */
export const SAMPLE_NAMES: readonly VisualName[] = visualNames(false);

const STATE_KEY = 'cyclegan.engine';
const STATE_VERSION = 1;

/** The JSON part of a serialized run: RunState without its tensors (the networks and the training state's tensors). */
interface EngineJson extends Omit<RunState, 'nets' | 'training'> {
  version: number;
  model: TrainingState['json'];
}

/**
 * A run's whole state, as the engine serializes it and as a `cyclegan train` checkpoint holds it (the same model
 * training state, dataset position {rng, position}, schedule state): src/train/browser_run.ts converts between the two.
 */
export interface RunState {
  options: EngineOptions;
  nets: Record<ModelName, Network>;
  training: TrainingState;
  epoch: number;
  epochIter: number;
  totalIters: number;
  data: { rng: RngState; position: number };
  scheduler: unknown;
  /** the caller's own JSON (the page keeps its loss curves and settings here) */
  extra?: unknown;
}

/** One safetensors buffer: the networks (PyTorch layout, under G_A/…), the training-state tensors (state/…), the rest as JSON metadata. */
export async function encodeRunState(st: RunState): Promise<Uint8Array> {
  const tensors = new Map<string, RawTensor>();
  for (const n of MODEL_NAMES) {
    for (const [k, t] of await networkToStateDictAsync(st.nets[n])) tensors.set(`${n}/${k}`, t);
  }
  for (const [k, t] of st.training.tensors) tensors.set(`state/${k}`, { shape: [...t.shape], data: t.data });
  const json: EngineJson = {
    version: STATE_VERSION, options: pickEngineOptions(st.options), epoch: st.epoch, epochIter: st.epochIter, totalIters: st.totalIters,
    data: st.data, scheduler: st.scheduler, model: st.training.json, extra: st.extra,
  };
  return writeSafetensors(tensors, { [STATE_KEY]: JSON.stringify(json) });
}

/** The inverse of encodeRunState; the networks are built (the caller owns them). Damaged input is one line naming `source`. */
export function decodeRunState(bytes: Uint8Array, source = 'saved training state'): RunState {
  const file = readSafetensors(bytes, source);
  const st = stateJson(file.metadata, source);
  const options = st.options;
  const mo = modelOptions(options);
  const specs = { ...generatorSpecs(mo), ...discriminatorSpecs(mo) };
  const nets = {} as Record<ModelName, Network>;
  const stateTensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const byNet = new Map<ModelName, Map<string, RawTensor>>(MODEL_NAMES.map((n) => [n, new Map()]));
  for (const [key, t] of file.tensors) {
    const slash = key.indexOf('/');
    const head = key.slice(0, slash), rest = key.slice(slash + 1);
    if (head === 'state') stateTensors.set(rest, t);
    else if (byNet.has(head as ModelName)) byNet.get(head as ModelName)!.set(rest, t);
    else throw new CycleGANError(`${source}: unexpected tensor '${key}'`);
  }
  try {
    for (const n of MODEL_NAMES) nets[n] = networkFromStateDict(specs[n], byNet.get(n)!, undefined, `${source} (${n})`);
  } catch (e) {
    for (const n of Object.values(nets)) n.dispose();
    throw e;
  }
  return {
    options, nets, training: { tensors: stateTensors, json: st.model }, epoch: st.epoch, epochIter: st.epochIter, totalIters: st.totalIters,
    data: st.data, scheduler: st.scheduler, extra: st.extra,
  };
}

/**
 * Checks the options a caller (a form, a URL, a stored state) hands in, with `cyclegan train`'s own checks (each failure
 * names the flag), so a crafted state cannot ask for what the CLI refuses (sizes past the memory bounds, a crop the
 * generator or discriminator cannot take).
 */
export function checkEngineOptions(o: EngineOptions): void {
  resolveTrainOptions({ ...PAGE_RUN_FLAGS, ...optionsToRawFlags(o) }, { requireData: false });
}

/** What a page run has in place of `cyclegan train`'s required folder flags (it names no folder: its data is picked, its run is stored in the browser). */
export const PAGE_RUN_FLAGS = { name: 'browser', dataroot: '' } as const;

/** The CycleGAN training loop over images in memory, resumable from its own bytes. */
export class TrainEngine {
  readonly lastEpoch: number;
  readonly transform: TransformOptions;
  private planCache: { start: string; samples: PlannedSample[]; end: RngState } | null = null;
  private lastBatch: { A: tf.Tensor4D; B: tf.Tensor4D } | null = null;

  private readonly data: EngineData;

  private constructor(readonly options: EngineOptions, private readonly model: CycleGANModel, data: EngineData,
                      private readonly schedule: LrSchedule, public epoch: number, public epochIter: number, public totalIters: number,
                      private dataState: { rng: RngState; position: number }) {
    this.lastEpoch = options.nEpochs + options.nEpochsDecay;
    this.transform = { preprocess: options.preprocess, loadSize: options.loadSize, cropSize: options.cropSize, noFlip: options.noFlip };
    // create/restore are public: a caller's full-size photos are resized once here, not every step, and not kept at
    // full size; for images the worker already prepared as it decoded them this is one size check each
    this.data = { A: data.A.map((im) => prepareImage(im, options)), B: data.B.map((im) => prepareImage(im, options)) };
  }

  /** A fresh run (networks initialized from options.seed, as `cyclegan train`). */
  static create(all: EngineOptions, data: EngineData): TrainEngine {
    const options = pickEngineOptions(all);
    checkEngineOptions(options);
    checkData(options, data);
    const model = CycleGANModel.create(modelOptions(options));
    const schedule = new LrSchedule(options, options.epochCount);
    return new TrainEngine(options, model, data, schedule, options.epochCount, 0, 0, { rng: samplingStart(options.seed), position: 0 });
  }

  /** Continues a run exactly where `serialize` left it; `data` must be the same images. Returns the caller's extra JSON too. */
  static restore(bytes: Uint8Array, data: EngineData, source = 'saved training state'): { engine: TrainEngine; extra: unknown } {
    const st = decodeRunState(bytes, source);
    try {
      checkData(st.options, data);
    } catch (e) {
      for (const n of Object.values(st.nets)) n.dispose();
      throw e;
    }
    const model = CycleGANModel.fromNetworks(modelOptions(st.options), st.nets);
    model.setTrainingState(st.training);
    const schedule = new LrSchedule(st.options, st.options.epochCount);
    schedule.setState(st.scheduler);
    const engine = new TrainEngine(st.options, model, data, schedule, st.epoch, st.epochIter, st.totalIters, st.data);
    return { engine, extra: st.extra };
  }

  /** images per epoch (official: max(|A|, |B|)) */
  get size(): number {
    return Math.max(this.data.A.length, this.data.B.length);
  }

  get done(): boolean {
    return this.epoch > this.lastEpoch;
  }

  /** images left in the whole plan */
  get imagesLeft(): number {
    return Math.max(0, (this.lastEpoch - this.epoch + 1) * this.size - this.epochIter);
  }

  get learningRate(): number {
    return this.schedule.lr;
  }

  get nets(): CycleGANModel['nets'] {
    return this.model.nets;
  }

  private plan(): { samples: PlannedSample[]; end: RngState } {
    const key = this.dataState.rng.join(',');
    if (this.planCache?.start !== key) {
      const p = planEpoch(this.dataState.rng, this.data.A, this.data.B, this.transform, this.options.serialBatches);
      this.planCache = { start: key, ...p };
    }
    return this.planCache;
  }

  private image(img: EngineImage, channels: number, params: PlannedSample['pa']): ReturnType<typeof u8ToFloat> {
    const src = channels === 1 ? rgbToLuma(img) : img;
    return u8ToFloat(applyTransform(src, this.transform, params, img.name));
  }

  /**
   * One training step (one batch), as the Node trainer's loop: the start-of-epoch lr update, model.step, the
   * position; the end of an epoch moves to the next. Null when the plan is finished. Waits for the step's
   * losses: a loop that should keep a GPU busy uses dispatch() and reads each step's losses after queuing the next.
   */
  async step(): Promise<StepResult | null> {
    const p = this.dispatch();
    return p ? p.result : null;
  }

  /**
   * Queues one training step and starts reading its losses, without waiting for them (as Node's trainer, which
   * never waits for a step: LossMeter). The engine's position has already moved on when this returns, so the next
   * step can be queued while the device still runs this one; `result` settles when the losses have been read
   * (the loss tensors are freed then, also on failure). Null when the plan is finished.
   */
  dispatch(): PendingStep | null {
    if (this.done) return null;
    const lr = this.schedule.startEpoch(this.epoch);
    this.model.setLearningRate(lr);
    const { samples, end } = this.plan();
    const from = this.dataState.position;
    const batch = samples.slice(from, from + this.options.batchSize);
    // Official: the folder-A transform uses input_nc, or output_nc when the direction is BtoA.
    const swap = this.options.direction === 'BtoA';
    const chA = swap ? this.options.outputNc : this.options.inputNc, chB = swap ? this.options.inputNc : this.options.outputNc;
    const tA = imagesToTensor(batch.map((s) => this.image(this.data.A[s.a], chA, s.pa)));
    const tB = imagesToTensor(batch.map((s) => this.image(this.data.B[s.b], chB, s.pb)));
    const realA = swap ? tB : tA, realB = swap ? tA : tB;
    let read: Promise<Losses>;
    try {
      const t = this.model.step(realA, realB);
      read = readLosses(t);
      disposeLosses(t);
    } catch (e) {
      tf.dispose([tA, tB]);
      throw e;
    }
    if (this.lastBatch) tf.dispose([this.lastBatch.A, this.lastBatch.B]);
    this.lastBatch = { A: realA, B: realB };
    const n = batch.length;
    const info = { epoch: this.epoch, epochIter: this.epochIter + n, totalIters: this.totalIters + n, lr, images: n };
    this.dataState = { rng: this.dataState.rng, position: from + n };
    this.epochIter += n;
    this.totalIters += n;
    if (this.dataState.position >= samples.length) {
      this.dataState = { rng: end, position: 0 };
      this.epoch++;
      this.epochIter = 0;
    }
    return { totalIters: info.totalIters, result: read.then((losses) => ({ ...info, losses })) };
  }

  /** real → fake → reconstructed of the newest batch's first images, as 8-bit pixels (null before the first step). */
  async samples(): Promise<Partial<Record<VisualName, RawImage>> | null> {
    if (!this.lastBatch) return null;
    const first = (t: tf.Tensor4D) => tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const [a, b] = [first(this.lastBatch.A), first(this.lastBatch.B)];
    const v = tf.tidy(() => this.model.visuals(a, b));
    tf.dispose([a, b]);
    const out: Partial<Record<VisualName, RawImage>> = {};
    try {
      for (const name of SAMPLE_NAMES) {
        const t = v[name];
        const [, h, w, c] = t.shape;
        out[name] = floatToU8({ data: Float32Array.from(await t.data() as Float32Array), width: w, height: h, channels: c });
      }
    } finally {
      tf.dispose(Object.values(v));
    }
    return out;
  }

  /** The whole state (networks, Adam moments, pools, RNGs, position, schedule) as one safetensors buffer. */
  async serialize(extra?: unknown): Promise<Uint8Array> {
    return encodeRunState({
      options: this.options, nets: this.model.nets, training: await this.model.getTrainingStateAsync(), epoch: this.epoch, epochIter: this.epochIter,
      totalIters: this.totalIters, data: this.dataState, scheduler: this.schedule.getState(), extra,
    });
  }

  dispose(): void {
    if (this.lastBatch) tf.dispose([this.lastBatch.A, this.lastBatch.B]);
    this.lastBatch = null;
    this.model.dispose();
  }
}

/**
 * The image as the run keeps it in memory: already through the transform's resize step, which depends on the
 * image's size alone (crops and flips are drawn per step). The official transform of the result is the
 * transform of the original (the resize step leaves an image of its target size as it is), so this only bounds
 * memory: a folder of 12-megapixel photos is kept at load_size. Greyscale models convert first, so they keep originals.
 */
export function prepareImage(img: EngineImage, o: Pick<EngineOptions, 'preprocess' | 'loadSize' | 'cropSize' | 'noFlip' | 'inputNc' | 'outputNc'>): EngineImage {
  if (o.inputNc !== 3 || o.outputNc !== 3 || img.channels !== 3) return img;
  const s = resizedSize(img.width, img.height, o);
  if (s.width === img.width && s.height === img.height) return img;
  return { ...resizeBicubic(img, s.width, s.height), name: img.name };
}

/** The options stored in a saved run, read from its header alone (so the images can be prepared as they are decoded). */
export function peekRunOptions(bytes: Uint8Array, source = 'saved training state'): EngineOptions {
  return stateJson(parseSafetensorsHeader(bytes, source).metadata, source).options;
}

/**
 * A saved run's JSON from its safetensors metadata, its version and options checked (one line naming `source`
 * otherwise): callers size images by these options before the networks are built, so they are checked here.
 */
function stateJson(metadata: Record<string, string>, source: string): EngineJson {
  const raw = metadata[STATE_KEY];
  if (!raw) throw new CycleGANError(`${source} is not a saved CycleGAN run (no ${STATE_KEY} metadata)`);
  let st: EngineJson;
  try {
    st = JSON.parse(raw) as EngineJson;
  } catch {
    throw new CycleGANError(`${source}: its state metadata is not valid JSON`);
  }
  if (st.version !== STATE_VERSION) throw new CycleGANError(`${source} has state version ${st.version}; this version reads ${STATE_VERSION}`);
  checkEngineOptions(st.options);
  return st;
}

/** Just the engine's options out of a larger object (e.g. `cyclegan train`'s resolved options). */
export function pickEngineOptions(o: EngineOptions): EngineOptions {
  return {
    ...modelOptions(o), batchSize: o.batchSize, loadSize: o.loadSize, cropSize: o.cropSize, preprocess: o.preprocess, noFlip: o.noFlip,
    serialBatches: o.serialBatches, direction: o.direction, nEpochs: o.nEpochs, nEpochsDecay: o.nEpochsDecay, epochCount: o.epochCount,
    lrPolicy: o.lrPolicy, lrDecayIters: o.lrDecayIters,
  };
}

/** Both domains non-empty, and every image large enough for the transform and the generator's size rule. */
function checkData(o: EngineOptions, data: EngineData): void {
  const t = { preprocess: o.preprocess, loadSize: o.loadSize, cropSize: o.cropSize, noFlip: o.noFlip };
  const m = requiredMultiple({ role: 'generator', netG: o.netG, inputNc: o.inputNc, outputNc: o.outputNc, ngf: o.ngf, norm: o.norm, useDropout: !o.noDropout });
  for (const [dom, list] of [['A', data.A], ['B', data.B]] as const) {
    if (list.length === 0) throw new CycleGANError(`domain ${dom} has no images`);
    for (const im of list) {
      const s = resizedSize(im.width, im.height, t);
      const crop = t.preprocess.includes('crop');
      if (crop && (s.width < t.cropSize || s.height < t.cropSize)) {
        throw new CycleGANError(`${im.name} (domain ${dom}): ${im.width}x${im.height} is smaller than crop_size ${t.cropSize} after preprocess ${t.preprocess}`);
      }
      const w = crop ? t.cropSize : s.width, h = crop ? t.cropSize : s.height;
      if (w % m || h % m) throw new CycleGANError(`${im.name} (domain ${dom}): netG ${o.netG} needs sizes that are multiples of ${m}, but preprocess ${t.preprocess} makes it ${w}x${h}`);
    }
  }
}
