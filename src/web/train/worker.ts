// The training page's Web Worker: decodes the picked images, runs the training engine on the best backend
// the browser has (webgpu with our own WGSL kernels, as Node's webgpu backend; else webgl; else wasm),
// checkpoints to the Origin Private File System, and answers downloads and test translations. The page
// (page.ts) only draws what this posts.
import { tf } from '../../core/tf.js';
import { webgpuKernels } from '../../backends/webgpu/kernels/register_all.js';
import { replayStatus } from '../../backends/webgpu/replay.js';
import { registerWasmExtras } from '../../backends/wasm.js';
import { floatToU8, u8ToFloat } from '../../core/data/pixels.js';
import { encodeStateDict, networkToStateDictAsync } from '../../core/weights/network_codec.js';
import { checkSize, testTransform, translateImage } from '../../core/translate_image.js';
import { TrainEngine, SAMPLE_NAMES, peekRunOptions, prepareImage, type EngineData, type EngineImage, type EngineOptions, type PendingStep } from './engine.js';
import { packFiles, RunStore, StorageError, unpackFiles, type SavedRun } from './storage.js';
import { pickBackend } from '../page/backend.js';
import { readImageFile, TRAIN_IMAGE_LIMITS, UnusableImage } from '../page/image_file.js';
import { addCurvePoint, curvePoint, emptyCurves, formatSeconds, type CurveHistory, type FromWorker, type PickedFile, type ToWorker } from './protocol.js';

const SAMPLE_EVERY_MS = 3000;

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

let backend = '';
let store: RunStore | null = null;
let engine: TrainEngine | null = null;
let data: EngineData | null = null;
let run: Omit<SavedRun, 'stateFile' | 'savedAt'> | null = null;
let history: CurveHistory = emptyCurves();
let loop: Promise<void> | null = null;
let stopRequest: 'pause' | 'stop' | null = null;
let checkpointMs = 180_000;

class SkipFile extends Error {}

/** The file's pixels as the CLI reads them (image_file.ts readImageFile, the training page's limits); unusable: SkipFile. */
async function decode(f: PickedFile): Promise<EngineImage> {
  try {
    const { rgb, bitmap } = await readImageFile(f.file, TRAIN_IMAGE_LIMITS);
    bitmap.close();
    return { name: f.name, ...rgb };
  } catch (e) {
    if (e instanceof UnusableImage) throw new SkipFile(`${f.name} (${e.message})`);
    throw e;
  }
}

/** Both domains decoded; unusable files are skipped with one warning, a domain left empty is an error. */
async function decodeAll(domains: { A: PickedFile[]; B: PickedFile[] }, options: EngineOptions): Promise<EngineData> {
  const out: EngineData = { A: [], B: [] };
  const skipped: string[] = [];
  for (const dom of ['A', 'B'] as const) {
    const files = domains[dom];
    if (files.length === 0) throw new Error(`domain ${dom}: no images chosen (the folder is empty)`);
    const before = skipped.length;
    for (const f of files) {
      try {
        // kept at the size the transform resizes to (memory bounded by load_size, not by the photos' size)
        out[dom].push(prepareImage(await decode(f), options));
      } catch (e) {
        if (!(e instanceof SkipFile)) throw e;
        skipped.push(e.message);
      }
    }
    if (out[dom].length === 0) throw new Error(`domain ${dom}: no usable image (${skipped.slice(before).join(', ')})`);
  }
  if (skipped.length) post({ type: 'warning', message: `skipped ${skipped.length} file(s) that cannot be used: ${skipped.join(', ')}` });
  return out;
}

async function checkpoint(why: string): Promise<void> {
  if (!engine || !store || !run) return;
  const bytes = await engine.serialize({ history, summary: run.summary });
  try {
    const saved = await store.saveState({ ...run, totalIters: engine.totalIters, epoch: engine.epoch, backend }, bytes);
    post({ type: 'checkpoint', saved, why });
  } catch (e) {
    post({ type: 'error', message: e instanceof StorageError ? e.message : `checkpoint failed: ${(e as Error).message}` });
  }
}

async function postSamples(): Promise<void> {
  const s = await engine?.samples();
  if (!s) return;
  const images: Record<string, ReturnType<typeof floatToU8>> = {};
  const transfer: Transferable[] = [];
  for (const n of SAMPLE_NAMES) if (s[n]) { images[n] = s[n]!; transfer.push(s[n]!.data.buffer); }
  post({ type: 'samples', images }, transfer);
}

/** The state of a run whose plan is through (at the end of training, or resumed after it). */
const finished = (e: TrainEngine): FromWorker => ({ type: 'state', state: 'done', text: `finished: ${e.totalIters} images trained` });

/**
 * Trains until the plan ends or a pause/stop is asked for, checkpointing every checkpointMs and at the end.
 * Each step's losses are read while the next step is already queued (one step late), so a GPU is never left idle
 * waiting for the page's numbers; before a checkpoint, a pause or the end the queued step's losses are read first,
 * so the curves saved with a checkpoint and the count shown always match the saved state.
 */
async function trainLoop(): Promise<FromWorker> {
  const e = engine!;
  post({ type: 'state', state: 'training', text: `training on ${backend}` });
  let lastCheckpoint = performance.now();
  let lastSamples = 0;
  const recent: Array<{ t: number; n: number }> = [{ t: performance.now(), n: 0 }];
  let pending: PendingStep | null = null;
  const report = async (p: PendingStep) => {
    const r = await p.result;
    const now = performance.now();
    recent.push({ t: now, n: recent[recent.length - 1].n + r.images });
    if (recent.length > 30) recent.shift();
    const span = (now - recent[0].t) / 1000;
    const ips = span > 0 ? (recent[recent.length - 1].n - recent[0].n) / span : 0;
    const losses = r.losses;
    addCurvePoint(history, curvePoint(r, e.size), r.totalIters);
    const left = e.imagesLeft + (e.totalIters - r.totalIters);
    post({ type: 'step', totalIters: r.totalIters, epoch: r.epoch, lastEpoch: e.lastEpoch, epochIter: r.epochIter, size: e.size, lr: r.lr, losses,
      imagesPerSecond: ips, etaSeconds: ips > 0 ? left / ips : NaN });
  };
  const flush = async () => {
    const p = pending;
    pending = null;
    if (p) await report(p);
  };
  try {
    while (!e.done && !stopRequest) {
      const next = e.dispatch();
      if (!next) break;
      await flush(); // the previous step's losses, read while this one runs
      pending = next;
      const now = performance.now();
      if (now - lastSamples > SAMPLE_EVERY_MS || e.done) {
        lastSamples = now;
        await flush();
        await postSamples();
      }
      if (now - lastCheckpoint >= checkpointMs && !e.done) {
        await flush();
        await checkpoint(checkpointMs === 0 ? 'after every step' : `every ${Math.round(checkpointMs / 60000)} min`);
        lastCheckpoint = performance.now();
      }
      // let pause/stop/download messages in between steps
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    // a queued step's read that failed surfaces here; one that is still pending after an error is awaited (its tensors freed)
    await flush();
  }
  const why = e.done ? 'end of training' : stopRequest === 'stop' ? 'stop' : 'pause';
  await checkpoint(why);
  const wasStop = stopRequest === 'stop';
  stopRequest = null;
  if (e.done) return finished(e);
  return { type: 'state', state: 'paused', text: `${wasStop ? 'stopped' : 'paused'} after ${e.totalIters} images; resume continues exactly from here` };
}

/**
 * One training tab per browser profile: the run's storage is shared, so a second tab training at the same time
 * would overwrite the first one's checkpoints. The Web Lock is held while a loop runs (and freed if the tab closes).
 */
const LOCK = 'cyclegan-train';
const OTHER_TAB = 'another tab of this page is training (they share the saved run); pause it there first';
type Locks = {
  request(name: string, o: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void>): Promise<void>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
};
const webLocks = () => (navigator as unknown as { locks?: Locks }).locks;

async function withTrainingLock(fn: () => Promise<void>): Promise<void> {
  const locks = webLocks();
  if (!locks) return fn();
  await locks.request(LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) throw new Error(OTHER_TAB);
    await fn();
  });
}

/**
 * The same refusal before a start, resume or upload does any work (decoding, measuring, storing the images, which
 * would store a second copy of the images): a quick look at the held locks; the lock itself stays the guard.
 */
async function refuseIfOtherTabTrains(): Promise<void> {
  const held = (await webLocks()?.query().catch(() => null))?.held ?? [];
  if (held.some((l) => l.name === LOCK)) throw new Error(OTHER_TAB);
}

function startLoop(): void {
  let final: FromWorker | null = null;
  // the final state is posted once the lock is released and the loop is over, so that a Resume clicked as soon as
  // the page shows "paused" is neither ignored nor refused as another tab's
  loop = withTrainingLock(async () => { final = await trainLoop(); }).then(() => {
    loop = null;
    if (final) post(final);
  }, (err: unknown) => {
    loop = null;
    post({ type: 'error', message: `training failed: ${(err as Error).message}` });
    post({ type: 'state', state: 'paused', text: 'training stopped by an error' });
  });
}

/** Seconds per image of this run's options on this machine: a few steps of a throwaway model (not the run's). */
async function measure(options: EngineOptions, d: EngineData): Promise<number> {
  const probe = TrainEngine.create({ ...options, seed: options.seed + 1 }, d);
  try {
    await probe.step(); // the first step compiles shaders / warms caches
    const t0 = performance.now();
    let n = 0;
    // queued back to back, as the training loop queues them
    const queued = [probe.dispatch(), probe.dispatch()];
    for (const p of queued) if (p) n += (await p.result).images;
    return n > 0 ? (performance.now() - t0) / 1000 / n : NaN;
  } finally {
    probe.dispose();
  }
}

function sortByPath(files: PickedFile[]): PickedFile[] {
  // the official walk's order: sorted names, folder by folder
  const key = (f: PickedFile) => f.name.split('/');
  return [...files].sort((a, b) => {
    const x = key(a), y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return x.length - y.length;
  });
}

/** A new run (a start, an upload) begins: the current engine goes, and the picked files are put in the walk's order. */
async function newRun(text: string, picked: { A: PickedFile[]; B: PickedFile[] }): Promise<{ A: PickedFile[]; B: PickedFile[] }> {
  await refuseIfOtherTabTrains();
  post({ type: 'state', state: 'preparing', text });
  engine?.dispose();
  engine = null;
  return { A: sortByPath(picked.A), B: sortByPath(picked.B) };
}

async function start(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const domains = await newRun('reading the images…', msg);
  data = await decodeAll(domains, msg.options);
  const created = TrainEngine.create(msg.options, data); // checks the options against the images
  post({ type: 'state', state: 'preparing', text: 'measuring the speed of this machine…' });
  const spi = await measure(msg.options, data);
  const images = created.imagesLeft;
  post({ type: 'estimate', secondsPerImage: spi, images, text: `about ${formatSeconds(spi * images)} for ${images} images (${(1 / spi).toFixed(2)} images/s measured here on ${backend})` });
  engine = created;
  history = emptyCurves();
  checkpointMs = msg.checkpointSeconds * 1000;
  await saveRunData(domains, runSummary(msg.options, domains));
  startLoop();
}

async function resume(checkpointSeconds: number): Promise<void> {
  await refuseIfOtherTabTrains();
  checkpointMs = checkpointSeconds * 1000;
  if (engine) {
    startLoop();
    return;
  }
  if (!store) throw new Error('there is no saved run to resume');
  const saved = await store.saved();
  if (!saved) throw new Error('there is no saved run to resume');
  post({ type: 'state', state: 'preparing', text: 'loading the saved run…' });
  const files = unpackFiles(await store.loadData(saved));
  const toPicked = (l: Array<{ name: string; bytes: Uint8Array }>) => l.map((f) => ({ name: f.name, file: new Blob([f.bytes as Uint8Array<ArrayBuffer>]) }));
  const stateBytes = await store.loadState(saved);
  data = await decodeAll({ A: toPicked(files.A), B: toPicked(files.B) }, peekRunOptions(stateBytes, 'the saved checkpoint'));
  const restored = TrainEngine.restore(stateBytes, data, 'the saved checkpoint');
  engine = restored.engine;
  const extra = restored.extra as { history?: typeof history; summary?: string } | undefined;
  history = extra?.history ?? emptyCurves();
  run = { runId: saved.runId, dataFile: saved.dataFile, totalIters: saved.totalIters, epoch: saved.epoch, lastEpoch: saved.lastEpoch, size: saved.size, backend, summary: saved.summary };
  post({ type: 'history', curves: history, options: engine.options, totalIters: engine.totalIters });
  if (engine.done) {
    await postSamples();
    post(finished(engine));
    return;
  }
  startLoop();
}

/** A run `cyclegan browser-run export` wrote, continued here on the picked images (the run's own images). */
async function upload(msg: Extract<ToWorker, { type: 'upload' }>): Promise<void> {
  const domains = await newRun(`reading ${msg.name} and the images…`, msg);
  const stateBytes = new Uint8Array(await msg.state.arrayBuffer());
  data = await decodeAll(domains, peekRunOptions(stateBytes, msg.name));
  const restored = TrainEngine.restore(stateBytes, data, msg.name);
  engine = restored.engine;
  history = emptyCurves();
  checkpointMs = msg.checkpointSeconds * 1000;
  const o = engine.options;
  await saveRunData(domains, runSummary(o, data, msg.name));
  post({ type: 'history', curves: history, options: o, totalIters: engine.totalIters });
  startLoop();
}

/** The line that names a run on the page (its saved-run notice): the settings that matter, the images, where it came from. */
function runSummary(o: EngineOptions, images: { A: unknown[]; B: unknown[] }, from?: string): string {
  return `${o.netG}, ngf ${o.ngf}, ${o.cropSize} px, ${o.nEpochs}+${o.nEpochsDecay} epochs, ${images.A.length}+${images.B.length} images` +
    (from ? ` (from ${from})` : '');
}

async function saveRunData(domains: { A: PickedFile[]; B: PickedFile[] }, summary: string): Promise<void> {
  run = null;
  if (!store || !engine) return;
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const packed = packFiles({
    A: await Promise.all(domains.A.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.file.arrayBuffer()) }))),
    B: await Promise.all(domains.B.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.file.arrayBuffer()) }))),
  });
  try {
    const dataFile = await store.saveData(runId, packed);
    run = { runId, dataFile, totalIters: engine.totalIters, epoch: engine.epoch, lastEpoch: engine.lastEpoch, size: engine.size, backend, summary };
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}

async function downloadRun(): Promise<void> {
  if (!engine) throw new Error('no run yet: train first (or resume the saved run)');
  if (loop) throw new Error('pause the run first: its state is saved as it stands after a step');
  const bytes = await engine.serialize({ history, summary: run?.summary });
  post({ type: 'file', net: 'run', bytes }, [bytes.buffer]);
}

async function download(net: 'G_A' | 'G_B'): Promise<void> {
  if (!engine) throw new Error('no model yet: train first (or resume the saved run)');
  const n = engine.nets[net];
  const bytes = encodeStateDict(n, await networkToStateDictAsync(n));
  post({ type: 'file', net, bytes }, [bytes.buffer]);
}

async function translate(msg: Extract<ToWorker, { type: 'translate' }>): Promise<void> {
  if (!engine) throw new Error('no model yet: train first (or resume the saved run)');
  const net = engine.nets[msg.net];
  // the official test-time transform (--preprocess none: size rounded to a multiple of 4, bicubic), as `cyclegan translate`
  const x = testTransform(msg.image, {}, msg.name);
  checkSize(net, x.width, x.height, msg.name);
  const out = floatToU8(await translateImage(net, u8ToFloat(x), false));
  post({ type: 'translated', image: out, net: msg.net, name: msg.name, replay: replayStatus(net) }, [out.data.buffer]);
}

/** A new run (a start, an upload) replaces the engine: not while this tab's loop trains it. */
function refuseWhileTraining(): void {
  if (loop) throw new Error('training is already running; pause it first');
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      // the filter gradient tfjs-backend-wasm lacks (as in Node) on wasm
      const b = await pickBackend({ forced: msg.backend, wasmPath: new URL('../wasm/', self.location.href).href, started: (n) => { if (n === 'wasm') registerWasmExtras(); } });
      backend = b.name;
      const s = await RunStore.open(msg.storage);
      store = s instanceof RunStore ? s : null;
      const saved = store ? await store.saved() : null;
      // which of our WGSL kernels the backend runs (all of them on webgpu: the same code path as Node's webgpu backend)
      const ourKernels = b.name === 'webgpu' ? webgpuKernels.map((k) => k.kernelName).filter((n) => tf.getKernel(n, 'webgpu')) : [];
      post({ type: 'ready', backend: b.name, why: b.why, saved, storage: s instanceof RunStore ? null : s.unavailable, store: store?.kind ?? null, ourKernels });
      return;
    }
    case 'start':
      refuseWhileTraining();
      return start(msg);
    case 'pause':
    case 'stop':
      if (loop) stopRequest = msg.type;
      return;
    case 'resume':
      if (loop) return;
      return resume(msg.checkpointSeconds);
    case 'discard':
      if (loop) throw new Error('pause the run before discarding it');
      engine?.dispose();
      engine = null;
      await store?.clear();
      post({ type: 'state', state: 'idle', text: 'the saved run was discarded' });
      return;
    case 'download':
      return download(msg.net);
    case 'download-run':
      return downloadRun();
    case 'upload':
      refuseWhileTraining();
      return upload(msg);
    case 'translate':
      return translate(msg);
  }
}

scope.onmessage = (e) => {
  handle(e.data).catch((err: unknown) => {
    post({ type: 'error', message: (err as Error).message });
    if (e.data.type === 'start' || e.data.type === 'resume' || e.data.type === 'upload') post({ type: 'state', state: engine ? 'paused' : 'idle', text: '' });
  });
};
