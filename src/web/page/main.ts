// The browser page: translation in the tab with TF.js, and the live dashboard of a training run.
// Bundled by src/web/bundle.ts; the network, the test-time transform and the pixel conversions are the
// project's own modules, so the page computes what `cyclegan translate` computes in Node.
import { tf } from '../../core/tf.js';
import { decodeNetwork } from '../../core/weights/network_codec.js';
import type { Network } from '../../core/networks/index.js';
import { requiredMultiple, testTransform, translateImage } from '../../core/translate_image.js';
import { floatToU8, rgbToLuma, u8ToFloat, type RawImage } from '../../core/data/pixels.js';
import { startDashboard } from './dashboard.js';
import { rawToCanvas } from './canvas.js';
import { $, onDrop, showText } from './dom.js';
import { pickBackend } from './backend.js';
import { replayStatus } from '../../backends/webgpu/replay.js';
import { readPickedImage } from './image_file.js';

export interface ModelInfo {
  id: string;
  label: string;
  url: string;
  bytes: number;
  /** changes when the file changes (run checkpoints are rewritten in place) */
  version: string;
  spec: { role: string; netG?: string; inputNc: number; outputNc?: number; norm?: string; useDropout?: boolean };
}

export interface PageConfig {
  mode: 'model' | 'run';
  models: ModelInfo[];
  maxUploadBytes: number;
  maxPixels: number;
  run?: { name: string };
}

function setStatus(text: string): void {
  $('#status').textContent = text;
}

function showError(text: string | null): void {
  showText('#error', text);
}

function progress(value: number | null, hidden = false): void {
  const p = $<HTMLProgressElement>('#progress');
  p.hidden = hidden;
  if (value === null) p.removeAttribute('value'); // indeterminate
  else p.value = value;
}

async function fetchWithProgress(url: string, total: number, onProgress: (f: number) => void): Promise<Uint8Array> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok || !res.body) throw new Error(`could not load the model (${res.status} ${res.statusText})`);
  const length = Number(res.headers.get('content-length')) || total;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (length) onProgress(Math.min(1, got / length));
  }
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const loaded = new Map<string, { version: string; net: Network }>();

async function getNetwork(m: ModelInfo): Promise<Network> {
  const cached = loaded.get(m.id);
  if (cached && cached.version === m.version) return cached.net;
  cached?.net.dispose();
  loaded.delete(m.id);
  setStatus(`loading model ${m.label}…`);
  progress(0);
  const bytes = await fetchWithProgress(m.url, m.bytes, (f) => {
    progress(f);
    setStatus(`loading model ${m.label}… ${Math.round(f * 100)}%`);
  });
  const net = decodeNetwork(bytes, m.label);
  loaded.set(m.id, { version: m.version, net });
  return net;
}

async function decodeFile(file: File, cfg: PageConfig): Promise<{ raw: RawImage; bitmap: ImageBitmap }> {
  const { rgb, bitmap } = await readPickedImage(file, { maxBytes: cfg.maxUploadBytes, maxPixels: cfg.maxPixels });
  return { raw: rgb, bitmap };
}

async function translate(file: File, cfg: PageConfig, model: ModelInfo, backend: string): Promise<void> {
  showError(null);
  $('#result-slot').replaceChildren();
  $('#download').hidden = true;
  const decoded = await decodeFile(file, cfg);
  const { bitmap } = decoded;
  const inputCanvas = document.createElement('canvas');
  inputCanvas.width = bitmap.width;
  inputCanvas.height = bitmap.height;
  inputCanvas.dataset.testid = 'input';
  inputCanvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  $('#input-slot').replaceChildren(inputCanvas);

  const net = await getNetwork(model);
  let raw = decoded.raw;
  if (model.spec.inputNc === 1) raw = rgbToLuma(raw);
  else if (model.spec.inputNc !== 3) throw new Error(`this model takes ${model.spec.inputNc} channels; only RGB or greyscale models run here`);
  // The official test-time transform (--preprocess none: size rounded to a multiple of 4, bicubic).
  const x = testTransform(raw, {}, file.name);
  const m = requiredMultiple(net.spec);
  if (x.width % m || x.height % m) {
    throw new Error(`${model.spec.netG} needs a width and height that are multiples of ${m}; this image is ${x.width}x${x.height}`);
  }
  setStatus(`translating ${x.width}x${x.height} on ${backend}…`);
  progress(null);
  await tf.nextFrame(); // let the page paint the status before the GPU work blocks it
  const t0 = performance.now();
  // Exactly `cyclegan translate`: official test.py semantics unless eval mode is ticked.
  const evalMode = $<HTMLInputElement>('#eval').checked;
  const out = floatToU8(await translateImage(net, u8ToFloat(x), evalMode));
  const ms = performance.now() - t0;
  const { width: w, height: h } = out;

  // The download is the network's output as `cyclegan translate` writes it; the view is at the input's size.
  const exact = rawToCanvas(out);
  let result = exact;
  const input = decoded.raw;
  if (w !== input.width || h !== input.height) {
    result = document.createElement('canvas');
    result.width = input.width;
    result.height = input.height;
    result.getContext('2d')!.drawImage(exact, 0, 0, input.width, input.height);
  }
  result.dataset.testid = 'result';
  result.dataset.networkSize = `${w}x${h}`;
  const link = $<HTMLAnchorElement>('#download');
  const blob = await new Promise<Blob | null>((r) => exact.toBlob(r, 'image/png'));
  if (blob) {
    if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = `${file.name.replace(/\.[^.]*$/, '')}_${model.id}.png`;
    link.textContent = `download PNG (${w}x${h})`;
    link.hidden = false;
  }
  // Inserted last: the result element appearing means the translation is complete.
  $('#result-slot').replaceChildren(result);
  progress(1, true);
  setStatus(`done: ${w}x${h} in ${Math.round(ms)} ms on ${backend}`);
}

async function fetchConfig(): Promise<PageConfig> {
  const res = await fetch('/api/config', { cache: 'no-store' });
  if (!res.ok) throw new Error(`the server answered ${res.status} for its configuration`);
  return (await res.json()) as PageConfig;
}

function fillDirections(cfg: PageConfig): void {
  const select = $<HTMLSelectElement>('#direction');
  const current = select.value;
  select.replaceChildren(...cfg.models.map((m) => new Option(m.label, m.id, false, m.id === current)));
  $('#direction-label').hidden = cfg.models.length < 2;
  $('#translate').hidden = cfg.models.length === 0;
  // Eval mode only changes networks with batch norm or dropout (official --eval).
  const m = cfg.models.find((e) => e.id === select.value) ?? cfg.models[0];
  const spec = m?.spec as { norm?: string; useDropout?: boolean } | undefined;
  $('#eval-label').hidden = !(spec && (spec.norm === 'batch' || spec.useDropout));
}

async function main(): Promise<void> {
  let cfg = await fetchConfig();
  const forced = new URLSearchParams(location.search).get('backend');
  const picked = await pickBackend({ forced, wasmPath: '/wasm/' });
  const backend = picked.name;
  $('[data-testid=backend]').textContent = backend;
  $('[data-testid=backend]').title = picked.why;
  document.body.dataset.backend = backend;

  // For scripts and tests: run a served generator on an NHWC float input in [-1, 1] (Network.apply, never the
  // replayed forward), and where the page's translations with it stand with replay on webgpu (by input shape).
  (window as unknown as Record<string, unknown>).cyclegan = {
    backend,
    replayStatus(modelId: string): Record<string, string> {
      const net = loaded.get(modelId)?.net;
      return net ? replayStatus(net) : {};
    },
    async run(modelId: string, data: number[], shape: [number, number, number, number]): Promise<number[]> {
      const model = cfg.models.find((m) => m.id === modelId);
      if (!model) throw new Error(`no model '${modelId}'`);
      const net = await getNetwork(model);
      const y = tf.tidy(() => net.apply(tf.tensor4d(data, shape), { training: false }));
      try {
        return Array.from((await y.data()) as Float32Array);
      } finally {
        y.dispose();
      }
    },
  };

  fillDirections(cfg);
  if (cfg.mode === 'run') {
    startDashboard(cfg.run?.name ?? '', async () => {
      cfg = await fetchConfig();
      fillDirections(cfg);
    });
  }
  if (cfg.models.length === 1) $('#model-title').textContent = `Translate an image with ${cfg.models[0].label}`;

  let busy = false;
  const run = async (file: File | undefined) => {
    if (!file || busy) return;
    busy = true;
    document.body.dataset.state = 'busy';
    try {
      const model = cfg.models.find((m) => m.id === $<HTMLSelectElement>('#direction').value) ?? cfg.models[0];
      if (!model) throw new Error('no generator is available yet');
      await translate(file, cfg, model, backend);
      document.body.dataset.state = 'done';
    } catch (e) {
      progress(0, true);
      setStatus('');
      showError((e as Error).message);
      document.body.dataset.state = 'error';
    } finally {
      busy = false;
    }
  };
  $('#direction').addEventListener('change', () => fillDirections(cfg));
  const input = $<HTMLInputElement>('input[type=file]');
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    input.value = ''; // so that choosing the same file again (e.g. after ticking eval mode) runs again
    void run(f);
  });
  onDrop($('#drop'), (dt) => void run(dt?.files[0]));
  document.body.dataset.ready = '1';
}

main().catch((e) => {
  const el = $('#fatal');
  el.textContent = `The page could not start: ${(e as Error).message}`;
  el.hidden = false;
  document.body.dataset.ready = 'error';
});
