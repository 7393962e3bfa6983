// The training page (/train): picks the two image folders and the options, starts the Web Worker that trains
// (worker.ts), and draws what it posts: loss curves, samples, images/s, ETA, lr. Nothing here computes.
import { defaultCycleGANOptions } from '../../core/model.js';
import { LR_POLICIES } from '../../core/schedule.js';
import { GAN_MODES } from '../../core/losses.js';
import { DISCRIMINATOR_NAMES, GENERATOR_NAMES, INIT_TYPES, NORM_TYPES } from '../../core/networks/index.js';
import { DEFAULT_TRANSFORM, PREPROCESS_MODES } from '../../core/data/transforms.js';
import { DIRECTIONS } from '../../core/limits.js';
import type { RawImage } from '../../core/data/pixels.js';
import { drawChart, drawLegend } from '../page/dashboard.js';
import type { EngineOptions } from './engine.js';
import { formatSeconds, type CurvePoint, type FromWorker, type PickedFile, type RunState, type ToWorker } from './protocol.js';

type Kind = 'int' | 'number' | 'bool' | 'choice';
interface Field { official: string; key: keyof EngineOptions; kind: Kind; def: number | string | boolean; choices?: readonly string[]; help: string }

const M = defaultCycleGANOptions();
const T = DEFAULT_TRANSFORM;
// The official options that matter in a browser, under their official names (the URL takes the same names).
// Defaults are the official ones, except where a laptop GPU needs smaller: marked "laptop".
const FIELDS: Field[] = [
  { official: 'netG', key: 'netG', kind: 'choice', def: 'resnet_6blocks', choices: GENERATOR_NAMES, help: 'generator (laptop: resnet_6blocks; official resnet_9blocks)' },
  { official: 'ngf', key: 'ngf', kind: 'int', def: 32, help: `generator filters (laptop: 32; official ${M.ngf})` },
  { official: 'netD', key: 'netD', kind: 'choice', def: M.netD, choices: DISCRIMINATOR_NAMES, help: 'discriminator' },
  { official: 'ndf', key: 'ndf', kind: 'int', def: 32, help: `discriminator filters (laptop: 32; official ${M.ndf})` },
  { official: 'n_layers_D', key: 'nLayersD', kind: 'int', def: M.nLayersD, help: 'layers of netD n_layers' },
  { official: 'norm', key: 'norm', kind: 'choice', def: M.norm, choices: NORM_TYPES, help: 'normalization' },
  { official: 'load_size', key: 'loadSize', kind: 'int', def: 143, help: `scale images to this size (laptop: 143; official ${T.loadSize})` },
  { official: 'crop_size', key: 'cropSize', kind: 'int', def: 128, help: `then crop to this size (laptop: 128; official ${T.cropSize})` },
  { official: 'preprocess', key: 'preprocess', kind: 'choice', def: T.preprocess, choices: PREPROCESS_MODES, help: 'preprocessing' },
  { official: 'no_flip', key: 'noFlip', kind: 'bool', def: T.noFlip, help: 'no random horizontal flips' },
  { official: 'n_epochs', key: 'nEpochs', kind: 'int', def: 50, help: 'epochs at the starting lr (laptop: 50; official 100)' },
  { official: 'n_epochs_decay', key: 'nEpochsDecay', kind: 'int', def: 50, help: 'epochs decaying the lr to 0 (laptop: 50; official 100)' },
  { official: 'lr', key: 'lr', kind: 'number', def: M.lr, help: 'Adam learning rate' },
  { official: 'beta1', key: 'beta1', kind: 'number', def: M.beta1, help: 'Adam beta1' },
  { official: 'lr_policy', key: 'lrPolicy', kind: 'choice', def: 'linear', choices: LR_POLICIES, help: 'learning-rate policy' },
  { official: 'lr_decay_iters', key: 'lrDecayIters', kind: 'int', def: 50, help: 'epochs per step of lr_policy step' },
  { official: 'lambda_A', key: 'lambdaA', kind: 'number', def: M.lambdaA, help: 'cycle loss weight A→B→A' },
  { official: 'lambda_B', key: 'lambdaB', kind: 'number', def: M.lambdaB, help: 'cycle loss weight B→A→B' },
  { official: 'lambda_identity', key: 'lambdaIdentity', kind: 'number', def: M.lambdaIdentity, help: 'identity loss weight (0 = off)' },
  { official: 'pool_size', key: 'poolSize', kind: 'int', def: M.poolSize, help: 'image pool of generated images' },
  { official: 'gan_mode', key: 'ganMode', kind: 'choice', def: M.ganMode, choices: GAN_MODES, help: 'GAN loss' },
  { official: 'batch_size', key: 'batchSize', kind: 'int', def: 1, help: 'images per step' },
  { official: 'direction', key: 'direction', kind: 'choice', def: 'AtoB', choices: DIRECTIONS, help: 'AtoB, or BtoA to swap the domains' },
  { official: 'serial_batches', key: 'serialBatches', kind: 'bool', def: false, help: 'B images in order instead of at random' },
  { official: 'init_type', key: 'initType', kind: 'choice', def: M.initType, choices: INIT_TYPES, help: 'weight initialization' },
  { official: 'init_gain', key: 'initGain', kind: 'number', def: M.initGain, help: 'init scale' },
  { official: 'seed', key: 'seed', kind: 'int', def: 0, help: 'random seed (same seed and images: same run as `cyclegan train --seed`)' },
];
/** Ours: how often the full state is saved to the browser's storage while training (0: after every step). */
const CHECKPOINT_MINUTES_DEFAULT = 3;

const $ = <E extends HTMLElement>(sel: string) => document.querySelector(sel) as E;
const query = new URLSearchParams(location.search);

interface Hook {
  backend: string;
  state: RunState;
  /** every step's losses seen by this page (tests compare them with Node's) */
  losses: Array<Record<string, number>>;
  lastError: string;
  /** our WGSL kernels registered on the backend in use (webgpu) */
  ourKernels: string[];
}
const hook: Hook = { backend: '', state: 'idle', losses: [], lastError: '', ourKernels: [] };
(window as unknown as { cycleganTrain: Hook }).cycleganTrain = hook;

function buildForm(): void {
  const box = $('#options');
  for (const f of FIELDS) {
    const label = document.createElement('label');
    label.title = f.help;
    const name = document.createElement('span');
    name.textContent = f.official;
    let input: HTMLInputElement | HTMLSelectElement;
    const given = query.get(f.official);
    if (f.kind === 'choice') {
      const sel = document.createElement('select');
      for (const c of f.choices!) sel.append(new Option(c, c));
      sel.value = given !== null && f.choices!.includes(given) ? given : String(f.def);
      input = sel;
    } else if (f.kind === 'bool') {
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.checked = given !== null ? given !== 'false' && given !== '0' : Boolean(f.def);
      input = cb;
    } else {
      const n = document.createElement('input');
      n.type = 'number';
      n.step = f.kind === 'int' ? '1' : 'any';
      n.value = given ?? String(f.def);
      input = n;
    }
    input.name = f.official;
    input.dataset.option = f.official;
    label.append(name, input);
    box.append(label);
  }
  const ck = $<HTMLInputElement>('#checkpoint-minutes');
  ck.value = query.get('checkpoint_minutes') ?? String(CHECKPOINT_MINUTES_DEFAULT);
}

/** The form as engine options; a bad value is an error naming the option. */
function readForm(): EngineOptions {
  const o = { ...defaultCycleGANOptions(), noDropout: true, epochCount: 1 } as Record<string, unknown>;
  for (const f of FIELDS) {
    const el = document.querySelector(`[data-option="${f.official}"]`) as HTMLInputElement | HTMLSelectElement;
    if (f.kind === 'bool') o[f.key] = (el as HTMLInputElement).checked;
    else if (f.kind === 'choice') o[f.key] = el.value;
    else {
      const v = Number(el.value);
      if (el.value.trim() === '' || !Number.isFinite(v)) throw new Error(`${f.official} must be a number, got '${el.value}'`);
      if (f.kind === 'int' && !Number.isInteger(v)) throw new Error(`${f.official} must be a whole number, got ${el.value}`);
      o[f.key] = v;
    }
  }
  return o as unknown as EngineOptions;
}

function checkpointSeconds(): number {
  const v = Number($<HTMLInputElement>('#checkpoint-minutes').value);
  if (!(v >= 0)) throw new Error(`checkpoint every … minutes must be 0 or more, got '${$<HTMLInputElement>('#checkpoint-minutes').value}'`);
  return v * 60;
}

function showError(text: string | null): void {
  const el = $('#error');
  el.textContent = text ?? '';
  el.hidden = !text;
  if (text) hook.lastError = text;
}

function showWarning(text: string | null): void {
  const el = $('#warning');
  el.textContent = text ?? '';
  el.hidden = !text;
}

function rawToCanvas(img: RawImage, testid?: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  const out = new ImageData(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let k = 0; k < 3; k++) out.data[i * 4 + k] = img.data[i * img.channels + (img.channels === 1 ? 0 : k)];
    out.data[i * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(out, 0, 0);
  if (testid) c.dataset.testid = testid;
  return c;
}

/** Files from an input or a drop, with their folder-relative names; hidden files (.DS_Store) left out. */
function picked(files: Iterable<File>): PickedFile[] {
  const out: PickedFile[] = [];
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    if (parts[parts.length - 1].startsWith('.')) continue;
    // the chosen folder's own name is not part of the path inside it
    out.push({ name: parts.length > 1 ? parts.slice(1).join('/') : rel, file: f });
  }
  return out;
}

/** Files dropped as folders (DataTransferItem entries) or as files. */
async function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return picked(dt.files);
  const out: PickedFile[] = [];
  const walk = async (e: FileSystemEntry, prefix: string): Promise<void> => {
    if (e.name.startsWith('.')) return;
    if (e.isFile) {
      const f = await new Promise<File>((ok, err) => (e as FileSystemFileEntry).file(ok, err));
      out.push({ name: prefix + e.name, file: f });
    } else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      // one dropped folder is the domain itself: its own name is not part of the paths inside it
      const inner = entries.length === 1 && e === entries[0] ? prefix : `${prefix}${e.name}/`;
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, err) => reader.readEntries(ok, err));
        if (batch.length === 0) break;
        for (const c of batch) await walk(c, inner);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

function main(): void {
  buildForm();
  const files: { A: PickedFile[]; B: PickedFile[] } = { A: [], B: [] };
  const showCount = () => {
    $('#count-a').textContent = `${files.A.length} file(s)`;
    $('#count-b').textContent = `${files.B.length} file(s)`;
  };
  for (const dom of ['A', 'B'] as const) {
    const lower = dom.toLowerCase();
    for (const sel of [`[data-testid=domain-${lower}]`, `#folder-${lower}`]) {
      const input = $<HTMLInputElement>(sel);
      input.addEventListener('change', () => {
        files[dom] = picked(input.files ?? []);
        showCount();
      });
    }
    const zone = $(`#drop-${lower}`);
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      if (e.dataTransfer) void droppedFiles(e.dataTransfer).then((l) => { files[dom] = l; showCount(); }, (err: Error) => showError(err.message));
    });
  }

  const worker = new Worker(new URL('./worker.js', location.href), { type: 'module' });
  const send = (m: ToWorker) => worker.postMessage(m);
  const points: CurvePoint[] = [];
  let stride = 1;
  const svg = $('#loss-chart') as unknown as SVGSVGElement;
  let drawPending = false;
  const redraw = () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      drawChart(svg, points);
      drawLegend($('#legend'), points[points.length - 1]);
    });
  };
  let savedRun = false;
  const setState = (state: RunState, text: string) => {
    hook.state = state;
    document.body.dataset.state = state;
    if (text) $('#status').textContent = text;
    const training = state === 'training' || state === 'preparing';
    $<HTMLButtonElement>('[data-testid=train]').disabled = training;
    $('[data-testid=pause]').hidden = state !== 'training';
    $('[data-testid=stop]').hidden = state !== 'training';
    $('[data-testid=resume]').hidden = !(state === 'paused' || (state === 'idle' && savedRun));
    $('#discard').hidden = training || !(state === 'paused' || state === 'done' || savedRun);
    const haveModel = state !== 'idle' && state !== 'preparing';
    for (const s of ['[data-testid=download-ga]', '[data-testid=download-gb]', '#translate-box']) $(s).hidden = !haveModel;
  };

  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    switch (m.type) {
      case 'ready':
        hook.backend = m.backend;
        $('[data-testid=backend]').textContent = m.backend;
        $('#backend-why').textContent = m.ourKernels.length ? `${m.why}; ${m.ourKernels.length} kernels of ours` : m.why;
        hook.ourKernels = m.ourKernels;
        if (m.storage) showWarning(m.storage);
        savedRun = !!m.saved;
        if (m.saved) {
          $('#saved').textContent = `A saved run was found: ${m.saved.totalIters} images trained (epoch ${m.saved.epoch} of ${m.saved.lastEpoch}), ` +
            `saved ${new Date(m.saved.savedAt).toLocaleString()}; ${m.saved.summary}. Resume continues exactly where it stopped.`;
          $('[data-testid=images-trained]').textContent = String(m.saved.totalIters);
        }
        setState('idle', m.saved ? 'a saved run can be resumed' : 'choose the images of both domains, then train');
        document.body.dataset.ready = '1';
        break;
      case 'state':
        setState(m.state, m.text);
        if (m.state === 'paused' || m.state === 'done') savedRun = true;
        break;
      case 'estimate':
        $('[data-testid=estimate]').textContent = m.text;
        break;
      case 'step': {
        hook.losses.push(m.losses);
        $('[data-testid=images-trained]').textContent = String(m.totalIters);
        $('[data-testid=images-per-second]').textContent = m.imagesPerSecond.toFixed(2);
        $('[data-testid=eta]').textContent = formatSeconds(m.etaSeconds);
        $('[data-testid=lr]').textContent = m.lr.toPrecision(4);
        $('#epoch').textContent = `epoch ${m.epoch} of ${m.lastEpoch}, image ${m.epochIter} of ${m.size}`;
        if (m.totalIters % stride === 0) {
          points.push({ x: m.epoch - 1 + m.epochIter / m.size, epoch: m.epoch, iter: m.epochIter, losses: m.losses });
          if (points.length >= 2000) {
            const kept = points.filter((_, i) => i % 2 === 1);
            points.length = 0;
            points.push(...kept);
            stride *= 2;
          }
        }
        redraw();
        break;
      }
      case 'history':
        points.length = 0;
        points.push(...m.points);
        $('[data-testid=images-trained]').textContent = String(m.totalIters);
        redraw();
        break;
      case 'samples':
        $('[data-testid=samples]').replaceChildren(...Object.entries(m.images).map(([name, img]) => {
          const f = document.createElement('figure');
          const cap = document.createElement('figcaption');
          cap.textContent = name;
          f.append(rawToCanvas(img), cap);
          return f;
        }));
        break;
      case 'checkpoint':
        $('#checkpoint').textContent = `checkpoint saved (${m.why}) at ${new Date(m.saved.savedAt).toLocaleTimeString()}: ${m.saved.totalIters} images`;
        document.body.dataset.checkpoint = String(m.saved.totalIters);
        break;
      case 'file': {
        const a = document.createElement('a');
        const url = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        a.href = url;
        a.download = `latest_net_${m.net}.safetensors`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        break;
      }
      case 'translated':
        $('#translated-slot').replaceChildren(rawToCanvas(m.image, 'translated'));
        document.body.dataset.translated = m.name;
        break;
      case 'warning':
        showWarning(m.message);
        break;
      case 'error':
        showError(m.message);
        if (!document.body.dataset.ready) document.body.dataset.ready = 'error'; // the worker could not start
        break;
    }
  };
  worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);

  const guard = (fn: () => void) => () => {
    try {
      showError(null);
      fn();
    } catch (e) {
      showError((e as Error).message);
    }
  };
  $('[data-testid=train]').addEventListener('click', guard(() => {
    if (files.A.length === 0) throw new Error('domain A: no images chosen (the folder is empty)');
    if (files.B.length === 0) throw new Error('domain B: no images chosen (the folder is empty)');
    const options = readForm();
    showWarning(null);
    points.length = 0;
    stride = 1;
    hook.losses = [];
    $('[data-testid=images-trained]').textContent = '0';
    const summary = `${options.netG}, ngf ${options.ngf}, ${options.cropSize} px, ${options.nEpochs}+${options.nEpochsDecay} epochs, ` +
      `${files.A.length}+${files.B.length} images`;
    send({ type: 'start', options, A: files.A, B: files.B, summary, checkpointSeconds: checkpointSeconds() });
    $('#saved').textContent = '';
    setState('preparing', 'starting…');
  }));
  $('[data-testid=pause]').addEventListener('click', () => send({ type: 'pause' }));
  $('[data-testid=stop]').addEventListener('click', () => send({ type: 'stop' }));
  $('[data-testid=resume]').addEventListener('click', guard(() => {
    send({ type: 'resume', checkpointSeconds: checkpointSeconds() });
    $('#saved').textContent = '';
    setState('preparing', 'resuming…');
  }));
  $('#discard').addEventListener('click', () => {
    savedRun = false;
    send({ type: 'discard' });
  });
  $('[data-testid=download-ga]').addEventListener('click', () => send({ type: 'download', net: 'G_A' }));
  $('[data-testid=download-gb]').addEventListener('click', () => send({ type: 'download', net: 'G_B' }));
  const tr = $<HTMLInputElement>('[data-testid=translate-input]');
  tr.addEventListener('change', () => {
    const f = tr.files?.[0];
    tr.value = '';
    if (!f) return;
    void (async () => {
      try {
        showError(null);
        const bmp = await createImageBitmap(f, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' }).catch(() => {
          throw new Error(`'${f.name}' could not be read as an image (PNG, JPEG, WebP, GIF or BMP)`);
        });
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
        ctx.drawImage(bmp, 0, 0);
        const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
        const rgb = new Uint8Array(bmp.width * bmp.height * 3);
        for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { rgb[i] = rgba[j]; rgb[i + 1] = rgba[j + 1]; rgb[i + 2] = rgba[j + 2]; }
        const net = $<HTMLSelectElement>('#translate-net').value as 'G_A' | 'G_B';
        send({ type: 'translate', net, name: f.name, image: { data: rgb, width: bmp.width, height: bmp.height, channels: 3 } });
        bmp.close();
      } catch (e) {
        showError((e as Error).message);
      }
    })();
  });
  setState('idle', 'starting the training worker…');
  send({ type: 'init', backend: query.get('backend') });
}

try {
  main();
} catch (e) {
  showError(`The page could not start: ${(e as Error).message}`);
  document.body.dataset.ready = 'error';
}
