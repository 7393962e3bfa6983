// The training page (/train) in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), driven
// through its data-testid contract: its steps equal the Node engine's (which test/train_engine.test.ts holds
// equal to `cyclegan train`), a reload mid-run continues to the same weights as an uninterrupted run, the
// downloaded G_A works in `cyclegan translate`, and bad input (non-images, huge images, an empty folder, a full
// storage quota) is a message on the page. Tiny networks (ngf 4, 16 px crops) keep it short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { initBackend } from '../src/backends/index.js';
import { bundlePage, bundleTrainPage, type PageBundle, type TrainBundle } from '../src/web/bundle.js';
import { startServer, type RunningServer } from '../src/web/server.js';
import { loadNetwork } from '../src/weights/network_file.js';
import { decodeImageU8 } from '../src/data/image.js';
import { TrainEngine, pickEngineOptions, type StepResult } from '../src/web/train/engine.js';
import { LOSS_NAMES } from '../src/core/model.js';
import { webgpuKernels } from '../src/backends/webgpu/kernels/register_all.js';
import { options as trainOptions, runOnce } from './helpers/resume.js';
import { exportBrowserRun } from '../src/train/browser_run.js';
import { run as browserRunCommand } from '../src/cli/commands/browser_run.js';
import { run as trainCommand } from '../src/cli/commands/train.js';
import { loadNets, runPaths } from '../src/train/run_folder.js';
import { makeRandomDataset, maxParamDiff } from './workflow_util.js';
import { loadFolderData } from './helpers/engine.js';
import { REPO_ROOT } from './helpers/fixtures.js';
import { BUILTIN_DATASETS } from '../src/data/builtin/registry.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP = HAVE_CHROMIUM ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
const OUT_DIR = path.join(REPO_ROOT, 'test-output');
// Chromium's software WebGPU adapter, so that the webgpu backend runs without a GPU (as test/web.test.ts).
const SOFTWARE_WEBGPU = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];
// The tiny run of every test: the same flags for the page (official names in the URL) and for Node.
const TINY = { netG: 'resnet_6blocks', ngf: 4, ndf: 4, netD: 'n_layers', n_layers_D: 1, load_size: 18, crop_size: 16, pool_size: 3, seed: 11 };

type Context = import('playwright-core').BrowserContext;
type Page = import('playwright-core').Page;

let tmp: string;
let data: string;
let bundle: PageBundle;
let trainBundle: TrainBundle;
let server: RunningServer;
/** a built-in dataset cache with one dataset "built" (tiny random images), served to the page */
let cache: string;
const BUILT = 'mnist2ink';

before(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-webtrain-'));
  data = path.join(tmp, 'data');
  await makeRandomDataset(data, { n: 3, size: 20 });
  cache = path.join(tmp, 'cache');
  const ds = path.join(cache, 'datasets', BUILT);
  await makeRandomDataset(ds, { n: 3, size: 20 });
  // dataset.json as `cyclegan datasets get` writes it last (a dataset counts as built iff it is there)
  await fsp.writeFile(path.join(ds, 'dataset.json'), JSON.stringify({
    name: BUILT, version: BUILTIN_DATASETS[BUILT].version, description: 'tiny stand-in', source: 'test', license: 'test', counts: {},
    recommended: { preprocess: 'none', loadSize: 20, cropSize: 20, inputNc: 3, outputNc: 3, noFlip: true }, builtAt: new Date().toISOString(),
  }));
  [bundle, trainBundle] = await Promise.all([bundlePage(), bundleTrainPage()]);
  // no model, no run: the training page alone (and the test's dataset cache, never the user's)
  server = await startServer({ bundle, trainBundle, port: 0, cacheDir: cache });
  await fsp.mkdir(OUT_DIR, { recursive: true });
});

after(async () => {
  await server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function launch(extraArgs: string[] = []): Promise<Context> {
  const { chromium } = await import('playwright-core');
  const profile = await fsp.mkdtemp(path.join(tmp, 'profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

test('serve without flags: / and /train lead to the training page (the query kept); its scripts and the wasm files are served', async () => {
  const get = (p: string) => fetch(new URL(p, server.url), { redirect: 'manual' });
  let r = await get('/');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/train/');
  r = await get('/train?ngf=8&backend=wasm');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/train/?ngf=8&backend=wasm');
  r = await get('/train/');
  assert.equal(r.status, 200);
  const html = await r.text();
  for (const id of ['domain-a', 'domain-b', 'train', 'pause', 'resume', 'images-trained', 'backend', 'download-ga', 'error']) {
    assert.ok(html.includes(`data-testid="${id}"`), id);
  }
  for (const p of ['/train/train.js', '/train/worker.js', '/train/train.css', '/style.css', '/wasm/tfjs-backend-wasm-simd.wasm']) assert.equal((await get(p)).status, 200, p);
  assert.equal((await get('/train/../package.json')).status, 404);
  assert.equal((await get('/train/other.js')).status, 404);
});

test('serve without flags bundles only the training page at start; the translate page only if /app.js is asked for', async () => {
  const lines: string[] = [];
  const s = await startServer({ trainBundle, port: 0, cacheDir: cache, log: (l) => lines.push(l) });
  try {
    assert.deepEqual(lines.filter((l) => /web page bundled/.test(l)), [], lines.join('\n'));
    assert.equal((await fetch(new URL('/', s.url), { redirect: 'manual' })).status, 302);
    const r = await fetch(new URL('/app.js', s.url));
    assert.equal(r.status, 200);
    assert.ok((await r.text()).length > 100_000, 'the translate page bundle');
    assert.equal(lines.filter((l) => /web page bundled/.test(l)).length, 1, lines.join('\n'));
  } finally {
    await s.close();
  }
});

function trainUrl(params: Record<string, string | number>): string {
  const q = new URLSearchParams(Object.entries({ ...TINY, ...params }).map(([k, v]) => [k, String(v)]));
  return `${server.url}train?${q}`;
}

/** Opens the page; null (with the reason) when the worker cannot start the asked backend in this Chromium. */
async function open(ctx: Context, url: string, errors: string[]): Promise<Page | null> {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
  if ((await page.getAttribute('body', 'data-ready')) !== '1') return null;
  return page;
}

const files = async (dom: 'A' | 'B') => (await fsp.readdir(path.join(data, `train${dom}`))).sort().map((f) => path.join(data, `train${dom}`, f));

async function pickAndTrain(page: Page): Promise<void> {
  await page.setInputFiles('input[type=file][data-testid=domain-a]', await files('A'));
  await page.setInputFiles('input[type=file][data-testid=domain-b]', await files('B'));
  await page.click('[data-testid=train]');
}

async function waitState(page: Page, state: string, timeout = 240_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s || !!document.querySelector('[data-testid=error]:not([hidden])'), state, { timeout });
  const err = await page.$('[data-testid=error]:not([hidden])');
  if (err) throw new Error(`the page shows an error: ${await err.textContent()}`);
}

async function download(page: Page, which: 'ga' | 'gb', file: string): Promise<void> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=download-${which}]`)]);
  await dl.saveAs(file);
}

async function nodeSteps(backend: string, extra: Record<string, unknown>): Promise<{ steps: StepResult[]; engine: TrainEngine }> {
  await initBackend(backend, () => {});
  const opts = trainOptions(data, tmp, backend, { 'n-epochs': 1, 'n-epochs-decay': 1, ...extra });
  const engine = TrainEngine.create(pickEngineOptions(opts), await loadFolderData(data));
  const steps: StepResult[] = [];
  for (let r = await engine.step(); r; r = await engine.step()) steps.push(r);
  return { steps, engine };
}

function lossDiff(page: Array<Record<string, number>>, node: StepResult[]): number {
  assert.equal(page.length, node.length, 'steps');
  let m = 0;
  node.forEach((s, i) => { for (const n of LOSS_NAMES) m = Math.max(m, Math.abs(page[i][n] - s.losses[n]) / Math.max(1e-3, Math.abs(s.losses[n]))); });
  return m;
}

type Pixels = { width: number; height: number; rgba: number[] };

async function translatedPixels(page: Page): Promise<Pixels> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=translated]') as HTMLCanvasElement;
    return { width: c.width, height: c.height, rgba: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
  });
}

/** The test translations' image: 24x20 (a multiple of 4: the network runs at its size), written once. */
async function testImage(): Promise<string> {
  const img = path.join(tmp, 'test.png');
  if (existsSync(img)) return img;
  const px = Buffer.alloc(24 * 20 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + (i % 7) * 11) & 255;
  await sharp(px, { raw: { width: 24, height: 20, channels: 3 } }).png().toFile(img);
  return img;
}

/** Translates `img` in the page (the worker's test translation, G_A), a new result each time: its pixels. */
async function translateInPage(page: Page, img: string): Promise<Pixels> {
  await page.evaluate(() => document.querySelector('[data-testid=translated]')?.remove());
  await page.setInputFiles('[data-testid=translate-input]', img);
  await page.waitForSelector('[data-testid=translated], [data-testid=error]:not([hidden])', { timeout: 120_000 });
  const err = await page.$('[data-testid=error]:not([hidden])');
  if (err) throw new Error(`the page shows an error: ${await err.textContent()}`);
  return translatedPixels(page);
}

/** The largest difference in levels between the page's translation and `cyclegan translate` (wasm) of `img` with `model`. */
async function cliLevels(got: Pixels, model: string, img: string, out: string): Promise<number> {
  const cli = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli/main.js'), 'translate', '--model', model, '--backend', 'wasm', '--out', out, img], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const ref = await decodeImageU8(path.join(out, path.basename(img)));
  assert.deepEqual([got.width, got.height], [ref.width, ref.height]);
  let max = 0;
  for (let i = 0; i < ref.width * ref.height; i++) for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(got.rgba[i * 4 + c] - ref.data[i * 3 + c]));
  return max;
}

/** The largest difference in levels between two of the page's translations. */
function levels(a: Pixels, b: Pixels): number {
  assert.equal(a.rgba.length, b.rgba.length);
  let d = 0;
  for (let i = 0; i < a.rgba.length; i++) d = Math.max(d, Math.abs(a.rgba[i] - b.rgba[i]));
  return d;
}

// wasm in the page is Node's wasm: equal to the bit. webgl and webgpu (SwiftShader) sum in another order: the first step's
// losses (forward passes of the initial networks) agree to float precision; after that Adam's normalized update
// m/√v turns float-level differences of near-zero gradients into up to 2·lr per step and parameter, so the
// weights are held to that bound and the losses to a loose relative one.
const LR = 0.0002, STEPS = 6;
for (const v of [{ backend: 'wasm', args: [] as string[], first: 0, loss: 0, weights: 0 },
  { backend: 'webgl', args: [] as string[], first: 1e-4, loss: 2e-2, weights: 2 * LR * STEPS }, // what a browser without WebGPU picks
  { backend: 'webgpu', args: SOFTWARE_WEBGPU, first: 1e-4, loss: 2e-2, weights: 2 * LR * STEPS }]) {
  test(`training page (${v.backend}): the page's steps equal Node's; G_A downloaded from it translates in the CLI within 1 level of the page`,
    { skip: SKIP, timeout: 600_000 }, async (t) => {
      const ctx = await launch(v.args);
      try {
        const errors: string[] = [];
        const page = await open(ctx, trainUrl({ backend: v.backend, n_epochs: 1, n_epochs_decay: 1 }), errors);
        if (!page) {
          t.diagnostic(`${v.backend} could not start in this Chromium's worker; not compared`);
          return;
        }
        assert.equal((await page.textContent('[data-testid=backend]'))!.trim(), v.backend);
        if (v.backend === 'webgpu') {
          // the page's step runs our WGSL kernels, the ones Node's webgpu backend registers (one code path)
          const ours = await page.evaluate(() => (window as unknown as { cycleganTrain: { ourKernels: string[] } }).cycleganTrain.ourKernels);
          assert.deepEqual([...ours].sort(), webgpuKernels.map((k) => k.kernelName).sort());
        }
        await pickAndTrain(page);
        await waitState(page, 'done');
        assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), String(STEPS));
        assert.match((await page.textContent('[data-testid=estimate]'))!, /images\/s measured here/);
        // the live view: eight loss curves of six points, the samples, images/s
        assert.equal(await page.locator('[data-testid=loss-chart] polyline').count(), 8);
        assert.equal((await page.getAttribute('[data-testid=loss-chart] polyline[data-series=cycle_A]', 'points'))!.trim().split(/\s+/).length, STEPS);
        assert.equal(await page.locator('[data-testid=samples] canvas').count(), 6);
        assert.ok(Number(await page.textContent('[data-testid=images-per-second]')) > 0);
        const pageLosses = await page.evaluate(() => (window as unknown as { cycleganTrain: { losses: Array<Record<string, number>> } }).cycleganTrain.losses);
        const ga = path.join(tmp, `G_A-${v.backend}.safetensors`), gb = path.join(tmp, `G_B-${v.backend}.safetensors`);
        await download(page, 'ga', ga);
        await download(page, 'gb', gb);

        // the same run in Node (wasm; the engine is `cyclegan train`'s loop, test/train_engine.test.ts)
        const node = await nodeSteps('wasm', {});
        const first = lossDiff(pageLosses.slice(0, 1), node.steps.slice(0, 1));
        const ld = lossDiff(pageLosses, node.steps);
        const net = await loadNetwork(ga), netB = await loadNetwork(gb);
        const wd = maxParamDiff(net.params, node.engine.nets.G_A.params);
        const wdB = maxParamDiff(netB.params, node.engine.nets.G_B.params);
        t.diagnostic(`page (${v.backend}) vs Node (wasm), ${STEPS} steps: first step's losses within ${first.toExponential(2)}, all within ` +
          `${ld.toExponential(2)} (relative), G_A weights within ${wd.toExponential(2)}, G_B within ${wdB.toExponential(2)}`);
        assert.ok(first <= v.first, `first step's losses differ by ${first}`);
        assert.ok(ld <= v.loss, `losses differ by ${ld}`);
        assert.ok(wd <= v.weights, `G_A differs by ${wd}`);
        // the G_B download is G_B (a B → A generator), not G_A again
        assert.ok(wdB <= v.weights, `G_B differs by ${wdB}`);
        assert.ok(maxParamDiff(netB.params, node.engine.nets.G_A.params) > 10 * v.weights + 1e-6, 'the G_B file holds G_B, not G_A');
        node.engine.dispose();
        net.dispose();
        netB.dispose();

        // translate a test image in the page, and with the downloaded file in the CLI
        const img = await testImage();
        const got = await translateInPage(page, img);
        const max = await cliLevels(got, ga, img, path.join(tmp, `cli-${v.backend}`));
        t.diagnostic(`page translation (${v.backend}) vs cyclegan translate of the downloaded G_A: max ${max} levels`);
        assert.ok(max <= 1, `${max} levels apart`);
        await page.screenshot({ path: path.join(OUT_DIR, `web-train-${v.backend}.png`), fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await ctx.close();
      }
    });
}

// The training page's test translation on webgpu replays a captured forward (src/backends/webgpu/replay.ts, which
// the page's backend picker registers, as Node's webgpu backend does): translated again after more training, the
// plan must read the weights the optimizer updated (in place, in their buffers), never the captured ones.
test('training page (webgpu): the test translation replays a captured forward, and follows the weights as training goes on',
  { skip: SKIP, timeout: 600_000 }, async (t) => {
    const ctx = await launch(SOFTWARE_WEBGPU);
    try {
      const errors: string[] = [];
      // a run far longer than the test, so that each pause lands mid-run; lr 10x the default, so that a few steps
      // move the output by more than a level (which a plan reading stale weights would miss)
      const page = await open(ctx, trainUrl({ backend: 'webgpu', n_epochs: 200, n_epochs_decay: 0, lr: 0.002 }), errors);
      if (!page) {
        t.diagnostic('webgpu could not start in this Chromium\'s worker; not compared');
        return;
      }
      const img = await testImage();
      const trained = async () => Number((await page.textContent('[data-testid=images-trained]'))!.trim());
      const pauseAt = async (n: number) => {
        await page.waitForFunction((k) => Number(document.querySelector('[data-testid=images-trained]')?.textContent) >= k, n, { timeout: 240_000 });
        await page.click('[data-testid=pause]');
        await waitState(page, 'paused');
      };
      const replay = () => page.evaluate(() => (window as unknown as { cycleganTrain: { replay: Record<string, string> } }).cycleganTrain.replay);
      // the worker translates as test.py does without --eval: training mode, the same forward for instance norm
      const key = '1x20x24x3 training';
      await pickAndTrain(page);
      await pauseAt(1);
      // the first forward of the shape runs Network.apply (compiling), the second is captured, later ones replay
      const first = await translateInPage(page, img);
      for (let i = 2; i <= 4; i++) {
        const d = levels(await translateInPage(page, img), first);
        t.diagnostic(`translation ${i} (${i === 2 ? 'captured' : 'replayed'}) vs the first (Network.apply): max ${d} levels`);
        assert.ok(d <= 1, `translation ${i}: ${d} levels from the first`);
      }
      assert.deepEqual(await replay(), { [key]: 'replaying (2)' });
      const ga1 = path.join(tmp, 'G_A-replay-1.safetensors');
      await download(page, 'ga', ga1);
      const at1 = await trained();
      const cli1 = await cliLevels(first, ga1, img, path.join(tmp, 'cli-replay-1'));

      await page.click('[data-testid=resume]');
      await pauseAt(at1 + 2);
      const at2 = await trained();
      const later = await translateInPage(page, img);
      const status = await replay();
      const ga2 = path.join(tmp, 'G_A-replay-2.safetensors');
      await download(page, 'ga', ga2);
      const cli2 = await cliLevels(later, ga2, img, path.join(tmp, 'cli-replay-2'));
      const moved = levels(later, first);
      t.diagnostic(`paused at ${at1} images: the page's translations within ${cli1} levels of the CLI's; at ${at2}: within ${cli2} ` +
        `(replay ${status[key]}), ${moved} levels from the first pause's`);
      assert.ok(cli1 <= 1, `at ${at1} images: ${cli1} levels from the CLI's translation`);
      assert.ok(moved >= 2, `training moved the output by only ${moved} levels: a stale plan would not be seen`);
      assert.ok(cli2 <= 1, `at ${at2} images: ${cli2} levels from the CLI's translation`);
      // the optimizer updated the parameters in their buffers: the plan was kept and read the new weights
      assert.deepEqual(status, { [key]: 'replaying (3)' });
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });

test('training page: the built-in datasets `cyclegan serve` has built are offered; picking one trains on its images as Node does on its folder',
  { skip: SKIP, timeout: 300_000 }, async (t) => {
    const get = (p: string) => fetch(new URL(p, server.url));
    const index = await (await get('/datasets/index.json')).json() as { datasets: Array<{ name: string; files: { A: string[]; B: string[] } }> };
    assert.deepEqual(index.datasets.map((d) => d.name), [BUILT], 'only the built one');
    assert.equal(index.datasets[0].files.A.length, 3);
    const first = `/datasets/${BUILT}/A/${index.datasets[0].files.A[0]}`;
    assert.equal((await get(first)).headers.get('content-type'), 'image/png');
    for (const p of [`/datasets/${BUILT}/A/%2e%2e/dataset.json`, `/datasets/${BUILT}/A/nope.png`, '/datasets/sneaker2boot/A/x.png']) assert.equal((await get(p)).status, 404, p);

    const ctx = await launch();
    try {
      const errors: string[] = [];
      const page = (await open(ctx, trainUrl({ backend: 'wasm', n_epochs: 1, n_epochs_decay: 0 }), errors))!;
      await page.waitForSelector(`[data-testid=dataset] option[value="${BUILT}"]`, { state: 'attached', timeout: 30_000 });
      await page.selectOption('[data-testid=dataset]', BUILT);
      await page.waitForFunction((n) => document.body.dataset.dataset === n, BUILT, { timeout: 60_000 });
      assert.equal((await page.textContent('#count-a'))!.trim(), '3 file(s)');
      // the dataset's recommended transform, where the URL did not set the option
      assert.equal(await page.inputValue('[data-option=preprocess]'), 'none');
      assert.equal(await page.isChecked('[data-option=no_flip]'), true);
      await page.click('[data-testid=train]');
      await waitState(page, 'done');
      assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), '3');
      const pageLosses = await page.evaluate(() => (window as unknown as { cycleganTrain: { losses: Array<Record<string, number>> } }).cycleganTrain.losses);
      await initBackend('wasm', () => {});
      const root = path.join(cache, 'datasets', BUILT);
      const opts = trainOptions(root, tmp, 'wasm', { 'n-epochs': 1, 'n-epochs-decay': 0, preprocess: 'none', 'no-flip': true });
      const engine = TrainEngine.create(pickEngineOptions(opts), await loadFolderData(root));
      const steps: StepResult[] = [];
      for (let r = await engine.step(); r; r = await engine.step()) steps.push(r);
      engine.dispose();
      const d = lossDiff(pageLosses, steps);
      t.diagnostic(`built-in dataset in the page vs Node on its folder (wasm, 3 steps): losses within ${d}`);
      assert.equal(d, 0);
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });

test('training page: one tab trains at a time; a second tab is told another tab is training, and can train once that one pauses',
  { skip: SKIP, timeout: 300_000 }, async () => {
    const url = trainUrl({ backend: 'wasm', n_epochs: 200, n_epochs_decay: 0 }); // long enough to still run
    const ctx = await launch();
    try {
      const errors: string[] = [];
      const first = (await open(ctx, url, errors))!;
      await pickAndTrain(first);
      await waitState(first, 'training');
      const second = await ctx.newPage();
      second.on('pageerror', (e) => errors.push(e.message));
      await second.goto(url);
      await second.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
      await pickAndTrain(second);
      await second.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 120_000 });
      assert.match((await second.textContent('[data-testid=error]'))!, /another tab of this page is training \(they share the saved run\); pause it there first/);
      assert.equal(await first.evaluate(() => document.body.dataset.state), 'training', 'the first tab trains on');
      assert.notEqual(await second.evaluate(() => document.body.dataset.state), 'training');
      await first.click('[data-testid=pause]');
      await waitState(first, 'paused');
      await pickAndTrain(second);
      await waitState(second, 'training');
      // and now the first tab is the one refused
      await first.click('[data-testid=resume]');
      await first.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 60_000 });
      assert.match((await first.textContent('[data-testid=error]'))!, /another tab of this page is training/);
      await second.click('[data-testid=pause]');
      await waitState(second, 'paused');
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });

// OPFS, and IndexedDB (what a browser without OPFS uses; ?storage=indexeddb forces it here)
for (const storage of ['opfs', 'indexeddb'] as const) {
test(`training page (${storage}): a reload mid-run offers to resume, and continuing gives the uninterrupted run's weights`, { skip: SKIP, timeout: 600_000 }, async (t) => {
  const url = trainUrl({ backend: 'wasm', n_epochs: 2, n_epochs_decay: 1, checkpoint_minutes: 0, ...(storage === 'indexeddb' ? { storage } : {}) });
  const errors: string[] = [];
  const whole = path.join(tmp, `whole-${storage}.safetensors`), resumed = path.join(tmp, `resumed-${storage}.safetensors`);
  let wholeLosses: Array<Record<string, number>>;
  let ctx = await launch();
  try {
    const page = (await open(ctx, url, errors))!;
    assert.equal(await page.getAttribute('body', 'data-storage'), storage);
    await pickAndTrain(page);
    // pause and resume in the same tab: the run goes on from memory, unchanged
    await page.waitForFunction(() => Number(document.body.dataset.checkpoint ?? 0) >= 2, undefined, { timeout: 240_000 });
    await page.click('[data-testid=pause]');
    await waitState(page, 'paused');
    const pausedAt = (await page.textContent('[data-testid=images-trained]'))!.trim();
    assert.equal(await page.getAttribute('body', 'data-checkpoint'), pausedAt, 'a checkpoint on pause');
    assert.ok(await page.isVisible('[data-testid=resume]'));
    await page.click('[data-testid=resume]');
    await waitState(page, 'done');
    wholeLosses = await page.evaluate(() => (window as unknown as { cycleganTrain: { losses: Array<Record<string, number>> } }).cycleganTrain.losses);
    await download(page, 'ga', whole);
  } finally {
    await ctx.close();
  }
  ctx = await launch();
  try {
    const page = (await open(ctx, url, errors))!;
    assert.ok(await page.isHidden('[data-testid=resume]'), 'nothing to resume in a fresh profile');
    await pickAndTrain(page);
    await page.waitForFunction(() => Number(document.body.dataset.checkpoint ?? 0) >= 4, undefined, { timeout: 240_000 });
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid=resume]:not([hidden])');
    const at = Number((await page.textContent('[data-testid=images-trained]'))!.trim());
    t.diagnostic(`reloaded; the saved run had ${at} of 9 images trained`);
    assert.ok(at >= 4 && at < 9, `saved at ${at}`);
    await page.click('[data-testid=resume]');
    await waitState(page, 'done');
    assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), '9');
    const tail = await page.evaluate(() => (window as unknown as { cycleganTrain: { losses: Array<Record<string, number>> } }).cycleganTrain.losses);
    assert.deepEqual(tail, wholeLosses!.slice(at), 'the steps after the reload are the uninterrupted run\'s');
    await download(page, 'ga', resumed);
    await page.screenshot({ path: path.join(OUT_DIR, `web-train-resumed-${storage}.png`), fullPage: true });
  } finally {
    await ctx.close();
  }
  assert.ok((await fsp.readFile(whole)).equals(await fsp.readFile(resumed)), 'G_A after reload + resume is byte-identical to the uninterrupted run');
  assert.deepEqual(errors, []);
});
}

test('training page: non-images, huge images and an empty folder are messages; a full quota keeps the previous checkpoint', { skip: SKIP, timeout: 600_000 }, async (t) => {
  const bad = path.join(tmp, 'notes.png');
  await fsp.writeFile(bad, 'this is not an image');
  const huge = path.join(tmp, 'huge.png');
  await sharp({ create: { width: 4100, height: 4100, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toFile(huge);
  const ctx = await launch();
  try {
    const errors: string[] = [];
    const url = trainUrl({ backend: 'wasm', n_epochs: 1, n_epochs_decay: 1 });
    const page = (await open(ctx, url, errors))!;
    const errorText = async () => {
      await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 120_000 });
      return (await page.textContent('[data-testid=error]'))!;
    };
    // files dropped on a domain's box count as its images
    const dropped = await Promise.all((await files('B')).map(async (f) => ({ name: path.basename(f), bytes: Array.from(await fsp.readFile(f)) })));
    const dt = await page.evaluateHandle((list) => {
      const d = new DataTransfer();
      for (const f of list) d.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
      return d;
    }, dropped);
    await page.dispatchEvent('#drop-b', 'drop', { dataTransfer: dt });
    await page.waitForFunction(() => document.querySelector('#count-b')?.textContent === '3 file(s)', undefined, { timeout: 30_000 });
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
    // an empty folder
    await page.setInputFiles('input[type=file][data-testid=domain-a]', await files('A'));
    await page.click('[data-testid=train]');
    assert.match(await errorText(), /domain B: no images chosen/);
    // a bad option: the CLI's own check and message
    await page.setInputFiles('input[type=file][data-testid=domain-b]', await files('B'));
    await page.fill('[data-option=crop_size]', '14');
    await page.click('[data-testid=train]');
    assert.match(await errorText(), /--crop-size must be a multiple of 4 for --netG resnet_6blocks, got 14/);
    await page.fill('[data-option=crop_size]', '16');
    // only unusable files in a domain
    await page.setInputFiles('input[type=file][data-testid=domain-b]', [bad, huge]);
    await page.click('[data-testid=train]');
    const msg = await errorText();
    assert.match(msg, /domain B: no usable image/);
    assert.match(msg, /notes\.png \(could not be read as an image/);
    assert.match(msg, /huge\.png \(4100x4100 pixels is over the 16777216-pixel limit\)/);
    // mixed: the bad files are skipped with a warning, training goes on
    await page.setInputFiles('input[type=file][data-testid=domain-b]', [...await files('B'), bad]);
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=warning]:not([hidden])', { timeout: 120_000 });
    assert.match((await page.textContent('[data-testid=warning]'))!, /skipped 1 file\(s\) that cannot be used: notes\.png/);
    await waitState(page, 'done');
    const saved = Number(await page.getAttribute('body', 'data-checkpoint'));
    assert.equal(saved, 6);

    // a full quota: the next checkpoint fails with a message, and the previous one stays usable
    const cdp = await ctx.newCDPSession(page);
    const origin = new URL(server.url).origin;
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 65536 }); // the images fit, a checkpoint (~1 MB) does not
    await page.fill('[data-option=n_epochs]', '2'); // a new run of 9 images: nothing of it can be saved
    await page.click('[data-testid=train]');
    const q = await errorText();
    t.diagnostic(`quota message: ${q}`);
    assert.match(q, /storage quota for this page is full, so the checkpoint could not be saved; the previous checkpoint is kept/);
    await page.click('[data-testid=pause]').catch(() => {});
    await page.waitForFunction(() => document.body.dataset.state !== 'training', undefined, { timeout: 120_000 });
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await page.screenshot({ path: path.join(OUT_DIR, 'web-train-errors.png'), fullPage: true });
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
    assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), '6', 'the saved run is still the finished one');
    await page.waitForSelector('[data-testid=resume]:not([hidden])');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
});

test('static build: `npm run build:web` writes train/index.html, which trains from a plain static file server', { skip: SKIP, timeout: 300_000 }, async () => {
  const built = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build-web.mjs')], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const root = path.join(REPO_ROOT, 'dist', 'web');
  for (const f of ['train/index.html', 'train/train.js', 'train/worker.js', 'train/train.css', 'style.css', 'wasm/tfjs-backend-wasm-simd.wasm']) {
    assert.ok(existsSync(path.join(root, f)), f);
  }
  // any static host: files by path, a content type by extension, nothing else
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
  const host = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
    fsp.readFile(file).then((b) => { res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' }); res.end(b); },
      () => { res.writeHead(404); res.end(); });
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
  const ctx = await launch();
  try {
    const errors: string[] = [];
    const q = new URLSearchParams(Object.entries({ ...TINY, backend: 'wasm', n_epochs: 1, n_epochs_decay: 1 }).map(([k, v]) => [k, String(v)]));
    const page = (await open(ctx, `http://127.0.0.1:${(host.address() as AddressInfo).port}/train/index.html?${q}`, errors))!;
    await page.waitForSelector('body[data-datasets="none"]', { timeout: 30_000 });
    assert.match((await page.textContent('[data-testid=dataset-hint]'))!, /static build includes none/);
    await pickAndTrain(page);
    await waitState(page, 'done');
    assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), '6');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    host.close();
  }
});

test('training page ↔ CLI: a run downloaded mid-way continues in `cyclegan train`, and a CLI run continues in the page, both to the uninterrupted weights',
  { skip: SKIP, timeout: 600_000 }, async (t) => {
    const node = await nodeSteps('wasm', { 'n-epochs': 2, 'n-epochs-decay': 1 }); // 9 images, uninterrupted
    const ck = path.join(tmp, 'runs');
    const url = trainUrl({ backend: 'wasm', n_epochs: 2, n_epochs_decay: 1, checkpoint_minutes: 0 });
    const ctx = await launch();
    const log = console.log;
    try {
      const errors: string[] = [];
      const page = (await open(ctx, url, errors))!;
      await pickAndTrain(page);
      await page.waitForFunction(() => Number(document.body.dataset.checkpoint ?? 0) >= 2, undefined, { timeout: 240_000 });
      await page.click('[data-testid=pause]');
      await waitState(page, 'paused');
      const at = Number((await page.textContent('[data-testid=images-trained]'))!.trim());
      const runFile = path.join(tmp, 'page-run.safetensors');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-run]')]);
      assert.equal(dl.suggestedFilename(), 'cyclegan-run.safetensors');
      await dl.saveAs(runFile);
      console.log = () => {};
      assert.equal(await browserRunCommand(['import', runFile, '--name', 'fromPage', '--checkpoints-dir', ck]), 0);
      assert.equal(await trainCommand(['--dataroot', data, '--name', 'fromPage', '--checkpoints-dir', ck, '--continue', '--backend', 'wasm']), 0);
      console.log = log;
      const nets = await loadNets(runPaths(ck, 'fromPage'), 'latest', ['G_A']);
      const d1 = maxParamDiff(nets.G_A!.params, node.engine.nets.G_A.params);
      nets.G_A!.dispose();
      t.diagnostic(`paused in the page at ${at} of 9 images, continued by cyclegan train: G_A within ${d1} of the uninterrupted run`);
      assert.ok(at < 9, 'paused mid-run');
      assert.ok(d1 <= 1e-6, `page → CLI: G_A differs by ${d1}`);

      // CLI → page: `cyclegan train` stopped after 4 images, exported, continued in the page on the same images
      await runOnce(data, ck, 'wasm', 4);
      const exported = path.join(tmp, 'cli-run.safetensors');
      await fsp.writeFile(exported, await exportBrowserRun(ck, 'r'));
      await page.setInputFiles('[data-testid=upload-run]', exported);
      await waitState(page, 'done');
      assert.equal((await page.textContent('[data-testid=images-trained]'))!.trim(), '9');
      const ga = path.join(tmp, 'continued-G_A.safetensors');
      await download(page, 'ga', ga);
      const net = await loadNetwork(ga);
      const d2 = maxParamDiff(net.params, node.engine.nets.G_A.params);
      net.dispose();
      t.diagnostic(`cyclegan train stopped at 4, continued in the page: G_A within ${d2} of the uninterrupted run`);
      assert.ok(d2 <= 1e-6, `CLI → page: G_A differs by ${d2}`);
      assert.deepEqual(errors, []);
    } finally {
      console.log = log;
      node.engine.dispose();
      await ctx.close();
    }
  });
