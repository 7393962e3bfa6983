// The training page (/train): picks the two image folders and the options, starts the Web Worker that trains
// (worker.ts), and draws what it posts: loss curves, samples, images/s, ETA, lr. Nothing here computes.
import { resolveTrainOptions, TRAIN_OPTIONS, type OptionDef } from '../../train/options.js';
import { drawChart, drawLegend } from '../page/dashboard.js';
import { PAGE_RUN_FLAGS, pickEngineOptions, type EngineOptions } from './engine.js';
import { addCurvePoint, curvePoint, emptyCurves, formatSeconds, type DatasetsIndex, type ServedDataset, type FromWorker, type PickedFile, type RunState, type ToWorker } from './protocol.js';
import { rawToCanvas } from '../page/canvas.js';
import { $, onDrop, showText } from '../page/dom.js';
import { readPickedImage, TRAIN_IMAGE_LIMITS } from '../page/image_file.js';

// The official options that matter in a browser, from the option table every command uses (names, help, defaults,
// choices, and resolveTrainOptions' checks); the URL takes the same names. Where a laptop GPU needs smaller than the
// official default, the page's own default is given here.
const PAGE_OPTIONS = ['netG', 'ngf', 'netD', 'ndf', 'n_layers_D', 'norm', 'load_size', 'crop_size', 'preprocess', 'no_flip', 'n_epochs',
  'n_epochs_decay', 'lr', 'beta1', 'lr_policy', 'lr_decay_iters', 'lambda_A', 'lambda_B', 'lambda_identity', 'pool_size', 'gan_mode',
  'batch_size', 'direction', 'serial_batches', 'init_type', 'init_gain', 'seed'] as const;
const LAPTOP: Record<string, string | number> = { netG: 'resnet_6blocks', ngf: 32, ndf: 32, load_size: 143, crop_size: 128, n_epochs: 50, n_epochs_decay: 50 };

const optionName = (d: OptionDef) => d.official ?? d.name;
const FIELDS: OptionDef[] = PAGE_OPTIONS.map((n) => {
  const d = TRAIN_OPTIONS.find((o) => optionName(o) === n);
  if (!d) throw new Error(`the option table has no ${n}`);
  return d;
});

/** Ours: how often the full state is saved to the browser's storage while training (0: after every step). */
const CHECKPOINT_MINUTES_DEFAULT = 3;

const query = new URLSearchParams(location.search);

interface Hook {
  backend: string;
  state: RunState;
  /** every step's losses seen by this page (tests compare them with Node's) */
  losses: Array<Record<string, number>>;
  lastError: string;
  /** our WGSL kernels registered on the backend in use (webgpu) */
  ourKernels: string[];
  /** after the last test translation: where the webgpu replayed forward stands for that generator (by input shape) */
  replay: Record<string, string>;
}
const hook: Hook = { backend: '', state: 'idle', losses: [], lastError: '', ourKernels: [], replay: {} };
(window as unknown as { cycleganTrain: Hook }).cycleganTrain = hook;

function buildForm(): void {
  const box = $('#options');
  for (const f of FIELDS) {
    const name = optionName(f);
    const label = document.createElement('label');
    const official = f.default === undefined ? '' : ` (official default ${String(f.default)})`;
    label.title = `${f.help}${LAPTOP[name] !== undefined ? official : ''}`;
    const caption = document.createElement('span');
    caption.textContent = name;
    let input: HTMLInputElement | HTMLSelectElement;
    const given = query.get(name);
    const def = LAPTOP[name] ?? f.default;
    if (f.choices) {
      const sel = document.createElement('select');
      for (const c of f.choices) sel.append(new Option(c, c));
      sel.value = given !== null && f.choices.includes(given) ? given : String(def);
      input = sel;
    } else if (f.type === 'boolean') {
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.checked = given !== null ? given !== 'false' && given !== '0' : Boolean(def);
      input = cb;
    } else {
      const n = document.createElement('input');
      n.type = f.type === 'number' ? 'number' : 'text';
      n.step = 'any';
      n.value = given ?? (def === undefined ? '' : String(def));
      input = n;
    }
    input.name = name;
    input.dataset.option = name;
    label.append(caption, input);
    box.append(label);
  }
  const ck = $<HTMLInputElement>('#checkpoint-minutes');
  ck.value = query.get('checkpoint_minutes') ?? String(CHECKPOINT_MINUTES_DEFAULT);
}

/** The form as engine options, checked by the same code as `cyclegan train`'s flags (errors name the flag). */
function readForm(): EngineOptions {
  const raw: Record<string, unknown> = { ...PAGE_RUN_FLAGS };
  for (const f of FIELDS) {
    const el = document.querySelector(`[data-option="${optionName(f)}"]`) as HTMLInputElement | HTMLSelectElement;
    if (f.type === 'boolean') raw[f.name] = (el as HTMLInputElement).checked;
    else if (f.type === 'number') {
      if (el.value.trim() === '') continue;
      const v = Number(el.value);
      if (!Number.isFinite(v)) throw new Error(`${optionName(f)} must be a number, got '${el.value}'`);
      raw[f.name] = v;
    } else raw[f.name] = el.value;
  }
  return pickEngineOptions(resolveTrainOptions(raw, { requireData: false }));
}

function checkpointSeconds(): number {
  const v = Number($<HTMLInputElement>('#checkpoint-minutes').value);
  if (!(v >= 0)) throw new Error(`checkpoint every … minutes must be 0 or more, got '${$<HTMLInputElement>('#checkpoint-minutes').value}'`);
  return v * 60;
}

function showError(text: string | null): void {
  showText('#error', text);
  if (text) hook.lastError = text;
}

function showWarning(text: string | null): void {
  showText('#warning', text);
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

/** The dataset's recommended transform options, in the form, except where the URL set them. */
function applyRecommended(r: ServedDataset['recommended']): void {
  const set = (name: string, v: string | boolean) => {
    if (query.has(name)) return;
    const el = document.querySelector(`[data-option="${name}"]`) as HTMLInputElement | HTMLSelectElement | null;
    if (!el) return;
    if (typeof v === 'boolean') (el as HTMLInputElement).checked = v;
    else el.value = v;
  };
  set('preprocess', r.preprocess);
  set('load_size', String(r.loadSize));
  set('crop_size', String(r.cropSize));
  set('no_flip', !!r.noFlip);
}

/**
 * The built-in datasets `cyclegan serve` serves next to the page (src/web/datasets_route.ts): choosing one fetches
 * its first images of each domain (the official --max_dataset_size rule: the first N in the folder's order) as if
 * they had been picked. A static host serves none, and the page says so.
 */
async function offerDatasets(files: { A: PickedFile[]; B: PickedFile[] }, showCount: () => void): Promise<void> {
  const sel = $<HTMLSelectElement>('[data-testid=dataset]');
  const hint = $('#dataset-hint');
  let index: DatasetsIndex;
  try {
    const r = await fetch('../datasets/index.json', { cache: 'no-store' });
    if (!r.ok) throw new Error(String(r.status));
    index = await r.json() as DatasetsIndex;
  } catch {
    hint.textContent = 'this copy of the page is served without built-in datasets (a static build includes none; `cyclegan serve` offers the ones built with `cyclegan datasets get`)';
    document.body.dataset.datasets = 'none';
    return;
  }
  for (const d of index.datasets) {
    const o = new Option(`${d.name} (${d.files.A.length}+${d.files.B.length} images)`, d.name);
    o.title = d.description;
    sel.append(o);
  }
  hint.textContent = index.hint;
  sel.disabled = index.datasets.length === 0;
  document.body.dataset.datasets = String(index.datasets.length);
  sel.addEventListener('change', () => {
    const d = index.datasets.find((x) => x.name === sel.value);
    if (!d) return;
    void (async () => {
      try {
        showError(null);
        const max = Number($<HTMLInputElement>('#dataset-max').value);
        if (!(Number.isInteger(max) && max >= 1)) throw new Error(`images of each domain must be a whole number ≥ 1, got '${$<HTMLInputElement>('#dataset-max').value}'`);
        hint.textContent = `loading ${d.name}…`;
        const got: { A: PickedFile[]; B: PickedFile[] } = { A: [], B: [] };
        for (const dom of ['A', 'B'] as const) {
          for (const name of d.files[dom].slice(0, max)) {
            const url = `../datasets/${encodeURIComponent(d.name)}/${dom}/${name.split('/').map(encodeURIComponent).join('/')}`;
            const r = await fetch(url);
            if (!r.ok) throw new Error(`${d.name}: ${dom}/${name} could not be fetched (HTTP ${r.status})`);
            got[dom].push({ name, file: await r.blob() });
          }
        }
        files.A = got.A;
        files.B = got.B;
        applyRecommended(d.recommended);
        showCount();
        hint.textContent = `${d.name}: ${d.description}`;
        document.body.dataset.dataset = d.name;
      } catch (e) {
        showError((e as Error).message);
        hint.textContent = '';
      }
    })();
  });
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
    onDrop($(`#drop-${lower}`), (dt) => {
      if (dt) void droppedFiles(dt).then((l) => { files[dom] = l; showCount(); }, (err: Error) => showError(err.message));
    });
  }

  void offerDatasets(files, showCount);

  const worker = new Worker(new URL('./worker.js', location.href), { type: 'module' });
  const send = (m: ToWorker) => worker.postMessage(m);
  let curves = emptyCurves();
  const svg = $('#loss-chart') as unknown as SVGSVGElement;
  let drawPending = false;
  const redraw = () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      drawChart(svg, curves.points);
      drawLegend($('#legend'), curves.points[curves.points.length - 1]);
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
    $('[data-testid=download-run]').hidden = !(state === 'paused' || state === 'done');
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
        document.body.dataset.storage = m.store ?? 'none';
        $('#storage').textContent = m.store === 'opfs' ? 'runs are saved in the Origin Private File System' :
          m.store === 'indexeddb' ? 'runs are saved in IndexedDB' : '';
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
        addCurvePoint(curves, curvePoint(m, m.size), m.totalIters);
        redraw();
        break;
      }
      case 'history':
        curves = m.curves; // the worker's own, stride included, so both go on keeping the same points
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
        a.download = m.net === 'run' ? 'cyclegan-run.safetensors' : `latest_net_${m.net}.safetensors`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        break;
      }
      case 'translated':
        hook.replay = m.replay;
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
    curves = emptyCurves();
    hook.losses = [];
    $('[data-testid=images-trained]').textContent = '0';
    send({ type: 'start', options, A: files.A, B: files.B, checkpointSeconds: checkpointSeconds() });
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
  $('[data-testid=download-run]').addEventListener('click', () => send({ type: 'download-run' }));
  const up = $<HTMLInputElement>('[data-testid=upload-run]');
  up.addEventListener('change', guard(() => {
    const f = up.files?.[0];
    up.value = '';
    if (!f) return;
    if (files.A.length === 0 || files.B.length === 0) throw new Error('choose the run\'s images of both domains first (the folders it was trained on)');
    curves = emptyCurves();
    hook.losses = [];
    $('#saved').textContent = '';
    send({ type: 'upload', state: f, name: f.name, A: files.A, B: files.B, checkpointSeconds: checkpointSeconds() });
    setState('preparing', `continuing ${f.name}…`);
  }));
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
        const { rgb: image, bitmap } = await readPickedImage(f, TRAIN_IMAGE_LIMITS);
        bitmap.close();
        const net = $<HTMLSelectElement>('#translate-net').value as 'G_A' | 'G_B';
        send({ type: 'translate', net, name: f.name, image });
      } catch (e) {
        showError((e as Error).message);
      }
    })();
  });
  setState('idle', 'starting the training worker…');
  const storage = query.get('storage');
  if (storage !== null && storage !== 'opfs' && storage !== 'indexeddb') showError(`storage must be opfs or indexeddb, got '${storage}'; using the default`);
  send({ type: 'init', backend: query.get('backend'), storage: storage === 'opfs' || storage === 'indexeddb' ? storage : null });
}

try {
  main();
} catch (e) {
  showError(`The page could not start: ${(e as Error).message}`);
  document.body.dataset.ready = 'error';
}
