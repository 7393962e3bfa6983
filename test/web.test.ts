// `cyclegan serve`: routing safety (path traversal in every encoding), the run dashboard API, and the page in
// headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against Node's own translation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { tf } from '../src/core/tf.js';
import { createNetwork, type NetworkSpec } from '../src/core/networks/index.js';
import { loadNetwork, networkFromStateDict, saveNetwork } from '../src/weights/network_file.js';
import { translateFile } from '../src/translate.js';
import { floatToU8 } from '../src/data/image.js';
import { bundlePage, type PageBundle } from '../src/web/bundle.js';
import { startServer, type RunningServer } from '../src/web/server.js';
import { fixturesAvailable, loadFixture, manifest, withPrefix, REPO_ROOT } from './helpers/fixtures.js';
import { decodeImageU8 } from '../src/data/image.js';
import { run as importTorch } from '../src/cli/commands/import_torch.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const NO_CHROMIUM = `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
const OUT_DIR = path.join(REPO_ROOT, 'test-output');
const GEN: NetworkSpec = { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false };

let bundle: PageBundle;
let tmp: string;
let modelFile: string;
let imageFile: string;

before(async () => {
  await tf.setBackend('cpu');
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-web-'));
  bundle = await bundlePage();
  const g = createNetwork(GEN, { seed: 7 });
  modelFile = path.join(tmp, 'G.safetensors');
  await saveNetwork(g, modelFile);
  g.dispose();
  // 48x32 (multiples of 4, so the network runs at the input's size), smooth gradients plus texture
  const w = 48, h = 32, px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    px[i] = (x * 5 + ((x * y) % 7) * 9) & 255;
    px[i + 1] = (y * 7 + (x % 5) * 20) & 255;
    px[i + 2] = (255 - x * 3 - y * 2) & 255;
  }
  imageFile = path.join(tmp, 'in.png');
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(imageFile);
  await fsp.mkdir(OUT_DIR, { recursive: true });
});

after(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** A raw HTTP/1.1 request: no client-side URL normalization, so the server sees exactly `target`. */
function rawGet(port: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const hdrs = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
    sock.write(`${method} ${target} HTTP/1.1\r\n${Object.entries(hdrs).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  });
}

async function withServer<T>(opts: Parameters<typeof startServer>[0], fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startServer({ bundle, port: 0, ...opts });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function makeRun(): Promise<{ dir: string; name: string; root: string }> {
  const dir = path.join(tmp, 'checkpoints');
  const name = 'horse2zebra';
  const root = path.join(dir, name);
  await fsp.mkdir(path.join(root, 'web', 'images'), { recursive: true });
  await fsp.writeFile(path.join(root, 'opt.json'), '{"secret": "opt"}');
  const line = (e: number, i: number, v: number) => JSON.stringify({ epoch: e, epochIter: i, totalIters: e * 100 + i, x: e - 1 + i / 100, lr: 2e-4, time: 0.1,
    losses: { D_A: v, G_A: v + 0.1, cycle_A: v + 0.2, idt_A: v + 0.3, D_B: v + 0.4, G_B: v + 0.5, cycle_B: v + 0.6, idt_B: v + 0.7 } });
  await fsp.writeFile(path.join(root, 'loss_log.jsonl'), [line(1, 20, 1), line(1, 40, 0.8), line(1, 60, 0.7)].join('\n') + '\n{"epoch": 1, "los');
  const img = await fsp.readFile(imageFile);
  for (const e of ['001', '002']) for (const l of ['real_A', 'fake_B', 'rec_A', 'real_B', 'fake_A', 'rec_B']) {
    await fsp.writeFile(path.join(root, 'web', 'images', `epoch${e}_${l}.png`), img);
  }
  return { dir, name, root };
}

test('serve: path traversal in any encoding, odd methods and foreign Host headers get nothing', async () => {
  const run = await makeRun();
  const secret = 'TOP-SECRET-' + Math.random().toString(36).slice(2);
  await fsp.writeFile(path.join(tmp, 'secret.txt'), secret);
  await fsp.writeFile(path.join(run.root, 'secret.txt'), secret);
  await fsp.writeFile(path.join(run.root, 'web', 'images', 'secret.txt'), secret);
  await fsp.rm(path.join(run.root, 'web', 'images', 'epoch000_link.png'), { force: true });
  await fsp.symlink(path.join(tmp, 'secret.txt'), path.join(run.root, 'web', 'images', 'epoch000_link.png'));
  const targets = [
    '/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt', '/%252e%252e%252fsecret.txt',
    '/..\\secret.txt', '/%5c..%5csecret.txt', '/..%5csecret.txt', '/%c0%ae%c0%ae/secret.txt', '/%uff0e%uff0e/secret.txt',
    '/wasm/../../../secret.txt', '/wasm/%2e%2e/%2e%2e/package.json', '/wasm/..%2f..%2f..%2fpackage.json', '/wasm/package.json',
    '/models/../G.safetensors', '/models/..%2fG.safetensors', '/models/%2e%2e%2fsecret.txt', '/models/G.safetensors',
    '/samples/../secret.txt', '/samples/..%2fsecret.txt', '/samples/%2e%2e%2f%2e%2e%2fsecret.txt', '/samples/secret.txt',
    '/samples/../../opt.json', '/samples/.%2e/opt.json', '/samples/epoch001_real_A.png/../../opt.json', '/samples/%2e%2e%5copt.json',
    '//etc/passwd', '/./secret.txt', '/secret.txt', '/opt.json', '/loss_log.jsonl', '/latest_net_G_A.safetensors', '/app.js/..',
    'http://127.0.0.1/../secret.txt', '/%00/secret.txt', '/index.html%00.txt', '/samples/epoch001_real_A.png%00.txt', '/samples/epoch000_link.png',
  ];
  for (const opts of [{ modelPath: modelFile }, { checkpointsDir: run.dir, name: run.name }]) {
    await withServer(opts, async (s) => {
      for (const t of targets) {
        const r = await rawGet(s.port, t);
        assert.ok(r.status >= 400, `${t} answered ${r.status}`);
        assert.ok(!r.body.includes(secret) && !r.body.includes('"secret"') && !r.body.includes('"dependencies"'), `${t} leaked a file`);
      }
      // the page's own assets and only the configured things are reachable
      assert.equal((await rawGet(s.port, '/')).status, 200);
      assert.equal((await rawGet(s.port, '/app.js')).status, 200);
      assert.equal((await rawGet(s.port, '/wasm/tfjs-backend-wasm-simd.wasm')).status, 200);
      assert.equal((await rawGet(s.port, '/', {}, 'POST')).status, 405);
      assert.equal((await rawGet(s.port, '/', {}, 'PUT')).status, 405);
      assert.equal((await rawGet(s.port, '/', { Host: 'evil.example:80' })).status, 403, 'DNS-rebinding guard');
      if ('name' in opts) assert.equal((await rawGet(s.port, '/samples/epoch002_fake_B.png')).status, 200);
    });
  }
});

test('serve --model: config names the model and serves exactly its bytes; refuses a discriminator', async () => {
  await withServer({ modelPath: modelFile }, async (s) => {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'binds to 127.0.0.1 by default');
    const cfg = await (await fetch(`${s.url}api/config`)).json() as { mode: string; models: Array<{ url: string; spec: { netG: string } }> };
    assert.equal(cfg.mode, 'model');
    assert.equal(cfg.models.length, 1);
    assert.equal(cfg.models[0].spec.netG, 'resnet_6blocks');
    const served = Buffer.from(await (await fetch(new URL(cfg.models[0].url, s.url))).arrayBuffer());
    assert.ok(served.equals(await fsp.readFile(modelFile)));
    const res = await fetch(s.url);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });
  const d = createNetwork({ role: 'discriminator', netD: 'basic', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'instance' }, { seed: 1 });
  const dFile = path.join(tmp, 'D.safetensors');
  await saveNetwork(d, dFile);
  d.dispose();
  await assert.rejects(startServer({ bundle, port: 0, modelPath: dFile }), /not a generator/);
  await assert.rejects(startServer({ bundle, port: 0, modelPath: path.join(tmp, 'none.safetensors') }), /cannot read model file/);
});

test('serve --checkpoints-dir --name: losses and samples follow the run as it writes them', async () => {
  const run = await makeRun();
  await withServer({ checkpointsDir: run.dir, name: run.name }, async (s) => {
    const get = async (p: string) => (await fetch(new URL(p, s.url))).json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    let l = await get('/api/losses?from=0');
    assert.equal(l.total, 3, 'the torn last line is skipped');
    assert.equal(l.entries[2].losses.idt_B, 0.7 + 0.7);
    assert.equal(l.entries[1].iter, 40);
    await fsp.appendFile(path.join(run.root, 'loss_log.jsonl'), 'ss": {}}\n' + JSON.stringify({ epoch: 2, iter: 20, D_A: 0.5, G_A: 0.4, cycle_A: 1, idt_A: 1, D_B: 1, G_B: 1, cycle_B: 1, idt_B: 1 }) + '\n');
    l = await get('/api/losses?from=3');
    assert.equal(l.total, 4);
    assert.deepEqual(l.entries.map((e: { epoch: number }) => e.epoch), [2], 'flat records are read too');
    const samples = await get('/api/samples');
    assert.equal(samples.epoch, 2);
    assert.deepEqual(samples.images.map((i: { label: string }) => i.label), ['real_A', 'fake_B', 'rec_A', 'real_B', 'fake_A', 'rec_B']);
    assert.deepEqual((await get('/api/config')).models, [], 'no generator before the first checkpoint');
    await fsp.copyFile(modelFile, path.join(run.root, 'latest_net_G_A.safetensors'));
    const cfg = await get('/api/config');
    assert.deepEqual(cfg.models.map((m: { id: string }) => m.id), ['G_A']);
  });
});

test('cyclegan serve (CLI): prints its URL, serves, stops on SIGTERM', async () => {
  const cli = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'serve', '--model', modelFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /serving on (http:\/\/\S+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    assert.equal((await fetch(`${url}api/config`)).status, 200);
  } finally {
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
  }
  const bad = spawn(process.execPath, [cli, 'serve', '--port', '0', '--model', path.join(tmp, 'missing.safetensors')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr.on('data', (d) => (err += d));
  assert.equal(await new Promise((r) => bad.on('exit', r)), 2);
  assert.match(err, /cannot read model file/);
});

// ---------------------------------------------------------------- browser tests

type Browser = import('playwright-core').BrowserContext;
type Page = import('playwright-core').Page;

// Chromium's software WebGPU adapter, so that the webgpu backend runs without a GPU.
const SOFTWARE_WEBGPU = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader'];

async function launch(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = await fsp.mkdtemp(path.join(tmp, 'profile-'));
  // A fresh profile per launch (playwright passes it as --user-data-dir).
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page>;
async function openPage(browser: Browser, url: string, errors: string[], mayFail: true): Promise<Page | null>;
async function openPage(browser: Browser, url: string, errors: string[], mayFail = false): Promise<Page | null> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // Everything must come from the server itself: any other request is a failure (the page works offline).
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === new URL(url).origin || u.protocol === 'blob:' || u.protocol === 'data:') return route.continue();
    errors.push(`external request ${u.href}`);
    return route.abort();
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 90_000 });
  if (mayFail && (await page.getAttribute('body', 'data-ready')) !== '1') return null;
  assert.equal(await page.getAttribute('body', 'data-ready'), '1', await page.textContent('#fatal') ?? '');
  return page;
}

async function dropFile(page: Page, file: string): Promise<void> {
  const bytes = Array.from(await fsp.readFile(file));
  const dt = await page.evaluateHandle(([b, name]) => {
    const d = new DataTransfer();
    d.items.add(new File([new Uint8Array(b as number[])], name as string, { type: 'image/png' }));
    return d;
  }, [bytes, path.basename(file)] as [number[], string]);
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
}

async function resultPixels(page: Page): Promise<{ width: number; height: number; rgba: number[] }> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=result]') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: c.width, height: c.height, rgba: Array.from(d.data) };
  });
}

test('browser: the page translates an uploaded image like Node does (within 2 levels) on webgl/default, wasm and webgpu',
  { skip: HAVE_CHROMIUM ? false : NO_CHROMIUM, timeout: 300_000 }, async (t) => {
    const netNode = await loadNetwork(modelFile);
    const ref = floatToU8((await translateFile(netNode, imageFile)).image);
    netNode.dispose();
    const variants = [
      { query: '', args: [] as string[], via: 'file input' },
      { query: '?backend=wasm', args: [] as string[], via: 'drop' },
      { query: '?backend=webgpu', args: SOFTWARE_WEBGPU, via: 'file input' },
    ];
    await withServer({ modelPath: modelFile }, async (s) => {
      for (const v of variants) {
        const browser = await launch(v.args);
        try {
          const errors: string[] = [];
          const page = await browser.newPage();
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(s.url + v.query);
          await page.waitForSelector('body[data-ready]', { timeout: 90_000 });
          if (v.query.includes('webgpu') && (await page.getAttribute('body', 'data-ready')) !== '1') {
            t.diagnostic(`webgpu could not start in this Chromium (${await page.textContent('#fatal')}); not compared`);
            continue;
          }
          assert.equal(await page.getAttribute('body', 'data-ready'), '1', await page.textContent('#fatal') ?? '');
          const backend = (await page.textContent('[data-testid=backend]'))!.trim();
          assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(backend), `backend shown: ${backend}`);
          if (v.via === 'drop') await dropFile(page, imageFile);
          else await page.setInputFiles('input[type=file]', imageFile);
          await page.waitForSelector('body[data-state=done] [data-testid=result], body[data-state=error]', { timeout: 120_000 });
          assert.equal(await page.getAttribute('body', 'data-state'), 'done', await page.textContent('[data-testid=error]') ?? '');
          const got = await resultPixels(page);
          assert.equal(got.width, ref.width);
          assert.equal(got.height, ref.height);
          let maxDiff = 0;
          for (let i = 0; i < ref.width * ref.height; i++) {
            for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(got.rgba[i * 4 + c] - ref.data[i * 3 + c]));
          }
          t.diagnostic(`browser (${backend}, ${v.via}) vs node: max diff ${maxDiff} levels over ${ref.width}x${ref.height}x3`);
          assert.ok(maxDiff <= 2, `${backend}: browser differs from Node by ${maxDiff} levels`);
          assert.ok(await page.isVisible('[data-testid=download]'), 'download link shown');
          if (backend === 'webgpu') {
            // The page's translations replay on webgpu (src/backends/webgpu/replay.ts, registered by the page's backend
            // picker): the first forward of a shape runs Network.apply, the second is captured, later ones replay it.
            // Each is the first's image (the same kernels) and so Node's.
            for (let i = 2; i <= 4; i++) {
              await page.evaluate(() => document.querySelector('[data-testid=result]')?.remove());
              await page.setInputFiles('input[type=file]', imageFile);
              await page.waitForSelector('body[data-state=done] [data-testid=result], body[data-state=error]', { timeout: 120_000 });
              assert.equal(await page.getAttribute('body', 'data-state'), 'done', await page.textContent('[data-testid=error]') ?? '');
              const again = await resultPixels(page);
              let d = 0;
              for (let j = 0; j < again.rgba.length; j++) d = Math.max(d, Math.abs(again.rgba[j] - got.rgba[j]));
              t.diagnostic(`webgpu translation ${i} (${i === 2 ? 'captured' : 'replayed'}) vs the first (Network.apply): max diff ${d} levels`);
              assert.ok(d <= 1, `translation ${i} differs from the first by ${d} levels`);
            }
            const status = await page.evaluate(() =>
              (window as unknown as { cyclegan: { replayStatus(id: string): Record<string, string> } }).cyclegan.replayStatus('model'));
            // (the page translates as test.py does without --eval: training mode, the same forward for instance norm)
            assert.deepEqual(status, { [`1x${ref.height}x${ref.width}x3 training`]: 'replaying (2)' });
          }
          await page.screenshot({ path: path.join(OUT_DIR, `web-translate-${backend}.png`), fullPage: true });
          assert.deepEqual(errors, []);
        } finally {
          await browser.close();
        }
      }
    });
  });

test('browser: a bad image and an oversized file are messages on the page', { skip: HAVE_CHROMIUM ? false : NO_CHROMIUM, timeout: 180_000 }, async () => {
  const bad = path.join(tmp, 'bad.png');
  await fsp.writeFile(bad, 'this is not an image at all');
  const browser = await launch();
  try {
    await withServer({ modelPath: modelFile, maxUploadBytes: 400 }, async (s) => {
      const errors: string[] = [];
      const page = await openPage(browser, s.url + '?backend=cpu', errors);
      await page.setInputFiles('input[type=file]', bad);
      await page.waitForSelector('body[data-state=error]', { timeout: 60_000 });
      assert.match((await page.textContent('[data-testid=error]'))!, /could not be read as an image/);
      assert.equal(await page.$('[data-testid=result]'), null);
      await page.setInputFiles('input[type=file]', imageFile); // > 400 bytes
      await page.waitForFunction(() => /limit/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), undefined, { timeout: 60_000 });
      // the CLI's words for a file over its size limit (core/limits.ts sizeLimitMessage)
      assert.match((await page.textContent('[data-testid=error]'))!, /: [\d.]+ (bytes|KB|MB) is over the 400 bytes limit/);
      assert.deepEqual(errors, []);
    });
  } finally {
    await browser.close();
  }
});

test('browser: official generators (PyTorch fixtures) run in the page within 3 levels of the official output',
  { skip: !HAVE_CHROMIUM ? NO_CHROMIUM : !fixturesAvailable() ? 'reference fixtures not found' : false, timeout: 300_000 }, async (t) => {
    const browser = await launch();
    try {
      for (const name of ['resnet_6blocks_ngf8', 'unet_128_ngf4']) {
        const cfg = manifest().fixtures[name];
        const tensors = loadFixture(name);
        const spec: NetworkSpec = { role: 'generator', netG: cfg.netG, inputNc: 3, outputNc: 3, ngf: cfg.ngf, norm: cfg.norm, useDropout: false };
        const g = networkFromStateDict(spec, withPrefix(tensors, 'param.'), undefined, name);
        const file = path.join(tmp, `${name}.safetensors`);
        await saveNetwork(g, file);
        g.dispose();
        const x = tensors.get('input')!;
        const [n, c, h, w] = x.shape;
        const nhwc = tf.tidy(() => tf.transpose(tf.tensor4d(x.data, [n, c, h, w]), [0, 2, 3, 1]).dataSync());
        const official = tf.tidy(() => tf.transpose(tf.tensor4d(tensors.get('output')!.data, [n, c, h, w]), [0, 2, 3, 1]).dataSync());
        await withServer({ modelPath: file }, async (s) => {
          const errors: string[] = [];
          const page = await openPage(browser, s.url, errors);
          const backend = (await page.textContent('[data-testid=backend]'))!.trim();
          const out = await page.evaluate(async ([d, shape]) =>
            (window as unknown as { cyclegan: { run(id: string, d: number[], s: number[]): Promise<number[]> } }).cyclegan.run('model', d, shape),
          [Array.from(nhwc), [n, h, w, c]] as [number[], number[]]);
          let maxAbs = 0;
          let maxLevels = 0;
          const level = (v: number) => Math.min(255, Math.max(0, Math.trunc(Math.fround(Math.fround((v + 1) / 2) * 255))));
          for (let i = 0; i < official.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(out[i] - official[i]));
            maxLevels = Math.max(maxLevels, Math.abs(level(out[i]) - level(official[i])));
          }
          t.diagnostic(`${name} in the browser (${backend}) vs official PyTorch: max abs ${maxAbs.toExponential(2)}, max ${maxLevels} levels`);
          assert.ok(maxLevels <= 3, `${name}: ${maxLevels} levels from the official output`);
          assert.deepEqual(errors, []);
          await page.close();
        });
      }
    } finally {
      await browser.close();
    }
  });

test('browser: the run dashboard draws the eight loss curves and the latest samples, and refreshes',
  { skip: HAVE_CHROMIUM ? false : NO_CHROMIUM, timeout: 180_000 }, async () => {
    const run = await makeRun();
    await fsp.writeFile(path.join(run.root, 'loss_log.jsonl'), '');
    const browser = await launch();
    try {
      await withServer({ checkpointsDir: run.dir, name: run.name }, async (s) => {
        const errors: string[] = [];
        const page = await openPage(browser, s.url + '?backend=cpu', errors);
        await page.waitForSelector('body[data-dashboard="0"]', { timeout: 30_000 });
        const lines = [1, 2, 3].map((k) => JSON.stringify({ epoch: 1, epochIter: k * 10, x: k / 10, losses: { D_A: 0.3 * k, G_A: 1 / k, cycle_A: 2, idt_A: 1, D_B: 0.2, G_B: 0.9, cycle_B: 1.5, idt_B: 0.7 } }));
        await fsp.appendFile(path.join(run.root, 'loss_log.jsonl'), lines.join('\n') + '\n');
        await page.waitForSelector('body[data-dashboard="3"]', { timeout: 30_000 });
        assert.equal(await page.locator('[data-testid=loss-chart] polyline').count(), 8);
        const pts = await page.getAttribute('[data-testid=loss-chart] polyline[data-series=D_A]', 'points');
        assert.equal(pts!.trim().split(/\s+/).length, 3);
        assert.equal(await page.locator('[data-testid=samples] img').count(), 6);
        assert.match((await page.textContent('#samples-epoch'))!, /epoch 2/);
        await page.waitForFunction(() => [...document.querySelectorAll('#samples img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
        await page.screenshot({ path: path.join(OUT_DIR, 'web-dashboard.png'), fullPage: true });
        assert.deepEqual(errors, []);
      });
    } finally {
      await browser.close();
    }
  });

// The issue's acceptance check: official generators saved by PyTorch, imported with import-torch, served, driven by
// headless Chromium through the page's own file input and download link, against the official test.py PNGs.
const TORCH_FX = path.join(REPO_ROOT, 'test', 'fixtures', 'torch');

test('browser: imported official PyTorch generators give the official test.py PNGs within 3 levels (upload → download)',
  { skip: !HAVE_CHROMIUM ? NO_CHROMIUM : !existsSync(path.join(TORCH_FX, 'manifest.json')) ? 'test/fixtures/torch not present' : false, timeout: 480_000 },
  async (t) => {
    interface TorchCase { name: string; netG: string; ngf: number; norm: string; files: string[]; input_nc?: number; output_nc?: number;
      images: Array<{ input: string; size_in: [number, number]; size_out: [number, number]; official: string; official_eval?: string }> }
    const cases = (JSON.parse(await fsp.readFile(path.join(TORCH_FX, 'manifest.json'), 'utf8')) as { cases: TorchCase[] }).cases;
    const log = console.log;
    // webgl here (software), and Chromium's software WebGPU: the backend a user with a GPU gets first
    for (const [variant, args, query] of [['default', [], ''], ['webgpu', SOFTWARE_WEBGPU, '?backend=webgpu']] as Array<[string, string[], string]>) {
      const browser = await launch(args);
      try {
        for (const c of cases) {
          const model = path.join(tmp, `torch-${c.name}.safetensors`);
          console.log = () => {};
          try {
            assert.equal(await importTorch([path.join(TORCH_FX, c.files[0]), '--netG', c.netG, '--ngf', String(c.ngf), '--norm', c.norm,
              '--input-nc', String(c.input_nc ?? 3), '--output-nc', String(c.output_nc ?? 3), '--out', model]), 0);
          } finally {
            console.log = log;
          }
          await withServer({ modelPath: model }, async (s) => {
            const errors: string[] = [];
            const page = await openPage(browser, s.url + query, errors, true);
            if (!page) {
              t.diagnostic(`${variant}: the page could not start that backend in this Chromium; not compared`);
              return;
            }
            const backend = (await page.textContent('[data-testid=backend]'))!.trim();
            for (const im of c.images) {
              for (const evalMode of im.official_eval ? [false, true] : [false]) {
                if (evalMode !== (await page.isChecked('#eval'))) await page.click('#eval');
                await page.evaluate(() => document.querySelector('[data-testid=result]')?.remove());
                await page.setInputFiles('input[type=file]', path.join(TORCH_FX, im.input));
                await page.waitForSelector('body[data-state=done] [data-testid=result], body[data-state=error]', { timeout: 120_000 });
                assert.equal(await page.getAttribute('body', 'data-state'), 'done', await page.textContent('[data-testid=error]') ?? '');
                const shown: number[] = await page.evaluate(() => { const r = document.querySelector('[data-testid=result]') as HTMLCanvasElement; return [r.width, r.height]; });
                assert.deepEqual(shown, im.size_in, 'the result is shown at the input size');
                const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
                const file = path.join(tmp, `dl-${c.name}-${im.input}-${evalMode}.png`);
                await dl.saveAs(file);
                const mine = await decodeImageU8(file);
                const official = await decodeImageU8(path.join(TORCH_FX, evalMode ? im.official_eval! : im.official));
                assert.deepEqual([mine.width, mine.height], im.size_out, 'the download is the network output, as test.py saves it');
                let max = 0;
                for (let i = 0; i < official.data.length; i++) max = Math.max(max, Math.abs(mine.data[i] - official.data[i]));
                t.diagnostic(`${c.name} ${im.input}${evalMode ? ' --eval' : ''} in the browser (${backend}): max ${max} levels from the official PNG`);
                assert.ok(max <= 3, `${c.name} ${im.input}: ${max} levels from the official output`);
              }
            }
            await page.screenshot({ path: path.join(OUT_DIR, `web-official-${c.name}-${variant}.png`), fullPage: true });
            assert.deepEqual(errors, []);
            await page.close();
          });
        }
      } finally {
        console.log = log;
        await browser.close();
      }
    }
  });
