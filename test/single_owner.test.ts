// Every shared fact has one owner (issue 9): names, lists, codecs and file names are declared in one module
// and imported everywhere else. Each test reads the sources for a second copy (which fails it) and checks the
// owner's behaviour where a copy used to disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { REPO_ROOT } from './helpers/fixtures.js';
import { tf } from '../src/core/tf.js';
import { LOSS_NAMES, VISUAL_NAMES, MODEL_NAMES, LOSS_COLORS, visualNames } from '../src/core/model_names.js';
import * as model from '../src/core/model.js';
import { NET_NAMES, parseSampleImageFile, sampleImageFile } from '../src/train/run_folder.js';
import { readModelSpec } from '../src/web/models.js';
import { normalizeLossRecord } from '../src/web/run_data.js';
import { floatToU8, decodeImageU8 } from '../src/data/image.js';
import { saveTensorPng } from '../src/report/images.js';
import { lossPlotSvg } from '../src/report/loss_plot.js';
import { CG_KERNEL_NAMES, GPU_ONLY_KERNEL_NAMES } from '../src/core/ops/kernel_names.js';
import { bundlePage, bundleTrainPage, TFJS_NODE_IMPORTS } from '../src/web/bundle.js';
import { writeSafetensors } from '../src/core/weights/safetensors.js';
import { addCurvePoint, curvePoint, emptyCurves, MAX_CURVE_POINTS } from '../src/web/train/protocol.js';
import { readFailureReason, readFileBounded, readFileIfExists } from '../src/read_file.js';
import { describeSystemError } from '../src/core/errors.js';
import { readModelBytes } from '../src/weights/network_file.js';
import { formatBytes, maxRunStateBytes } from '../src/core/limits.js';
import { readTorchStateDict } from '../src/weights/torch_pth.js';
import { readFidStats } from '../src/metrics/npz.js';
import { readIdx } from '../src/data/builtin/idx.js';
import { ImageDecodeError } from '../src/data/decode.js';
import { run as browserRunCommand } from '../src/cli/commands/browser_run.js';
import { BACKENDS, GPU_IDS_BACKENDS } from '../src/backends/names.js';
import { backendFor, jsonToRawFlags, TRAIN_OPTIONS } from '../src/train/options.js';
import { createNetwork } from '../src/core/networks/index.js';
import { encodeNetwork } from '../src/weights/network_file.js';
import { writePng } from './workflow_util.js';
import { spawnSync } from 'node:child_process';

const SRC = path.join(REPO_ROOT, 'src');

/** Every .ts file under src/ (path relative to src/, '/'-separated) → its code with comments removed. */
async function sources(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = await fsp.readFile(p, 'utf8');
        // comments may mention a name; only code counts as a copy ('//' inside 'http://' is kept)
        const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
        out.set(path.relative(SRC, p).split(path.sep).join('/'), code);
      }
    }
  };
  await walk(SRC);
  return out;
}

let cache: Promise<Map<string, string>> | undefined;
/** The files whose code contains `needle`, sorted. */
async function holders(needle: string): Promise<string[]> {
  const src = await (cache ??= sources());
  return [...src].filter(([, code]) => code.includes(needle)).map(([f]) => f).sort();
}

test('loss, visual and model names and the loss colours are declared once, in the model\'s declaration', async () => {
  for (const needle of ["'D_A', 'G_A', 'cycle_A'", "'real_A', 'fake_B', 'rec_A'", "'G_A', 'G_B', 'D_A', 'D_B'", "'#1f77b4'", "'#7f7f7f'"]) {
    assert.deepEqual(await holders(needle), ['core/model_names.ts'], `${needle} is restated outside src/core/model_names.ts`);
  }
  // the model, the run folder, the report, the server and the page all import them
  const src = await (cache ??= sources());
  for (const f of ['core/model.ts', 'train/run_folder.ts', 'report/training_page.ts', 'report/loss_plot.ts', 'web/run_data.ts', 'web/page/dashboard.ts']) {
    assert.match(src.get(f)!, /from '(\.\.\/)*(\.\/)?(core\/)?model_names\.js'/, `${f} does not import src/core/model_names.ts`);
  }
  // the model re-exports the same objects (one declaration, as BaseModel's loss_names/visual_names/model_names)
  assert.equal(model.LOSS_NAMES, LOSS_NAMES);
  assert.equal(model.VISUAL_NAMES, VISUAL_NAMES);
  assert.equal(NET_NAMES, MODEL_NAMES);
  assert.deepEqual(Object.keys(LOSS_COLORS), [...LOSS_NAMES]);
  assert.deepEqual(visualNames(false), ['real_A', 'fake_B', 'rec_A', 'real_B', 'fake_A', 'rec_B']);
  // the loss plot escapes its labels with the reports' one escaper (html.ts escapeHtml), not a copy
  assert.deepEqual(await holders("'&amp;'"), ['report/html.ts']);
  // the loss plot draws each loss in the model's colour, read from LOSS_COLORS itself (no renamed copy)
  assert.deepEqual(await holders('= LOSS_COLORS;'), []);
  const svg = lossPlotSvg([{ x: 0, losses: { D_A: 1, cycle_B: 2 } }, { x: 1, losses: { D_A: 0.5, cycle_B: 1 } }]);
  for (const n of ['D_A', 'cycle_B'] as const) assert.ok(svg.includes(`stroke="${LOSS_COLORS[n]}"`), `${n} is not drawn in ${LOSS_COLORS[n]}`);
  // the server keeps exactly the model's losses from a loss_log line
  const rec = normalizeLossRecord({ epoch: 1, iter: 2, ...Object.fromEntries(LOSS_NAMES.map((n, i) => [n, i])), extra: 9 }, 0);
  assert.deepEqual(Object.keys(rec!.losses), [...LOSS_NAMES]);
});

test('one safetensors parser and one halfToFloat: the server reads model headers through it', async () => {
  assert.deepEqual(await holders('__metadata__'), ['core/weights/safetensors.ts']);
  assert.deepEqual(await holders('function halfToFloat'), ['core/weights/safetensors.ts']);
  // the server's header reader validates as the parser does (overlapping tensors used to pass it)
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-owner-'));
  try {
    const spec = { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false };
    const good = writeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]), { 'cyclegan.spec': JSON.stringify(spec) });
    await fsp.writeFile(path.join(dir, 'good.safetensors'), good);
    assert.deepEqual(await readModelSpec(path.join(dir, 'good.safetensors')), spec);
    const header = JSON.stringify({ __metadata__: { 'cyclegan.spec': '{}' }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } });
    const bad = Buffer.concat([Buffer.alloc(8), Buffer.from(header), Buffer.alloc(12)]);
    bad.writeBigUInt64LE(BigInt(header.length), 0);
    await fsp.writeFile(path.join(dir, 'bad.safetensors'), bad);
    await assert.rejects(readModelSpec(path.join(dir, 'bad.safetensors')), /not a valid safetensors file \(tensors 'a' and 'b' overlap\)/);
    // and takes the architecture out of the metadata with the model check's own steps (specOfMetadata), same words
    assert.deepEqual(await holders('no architecture in its metadata'), ['core/weights/model_check.ts']);
    const noSpec = path.join(dir, 'nospec.safetensors');
    await fsp.writeFile(noSpec, writeSafetensors(new Map([['w', { shape: [1], data: new Float32Array([1]) }]]), {}));
    await assert.rejects(readModelSpec(noSpec), (e: Error) => e.message.startsWith(`${noSpec}: no architecture in its metadata; if it is a PyTorch state dict`));
    await fsp.writeFile(noSpec, writeSafetensors(new Map([['w', { shape: [1], data: new Float32Array([1]) }]]), { 'cyclegan.spec': JSON.stringify({ ...spec, ngf: 1e9 }) }));
    await assert.rejects(readModelSpec(noSpec), /nospec\.safetensors: bad architecture metadata: ngf must be a whole number from 1 to 1024/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('one image extension list, one tensor2im and one PNG writer', async () => {
  assert.deepEqual(await holders("'.tiff'"), ['data/image_files.ts']);
  // nor as a pattern (official.ts counted a dataset's images with its own /\.(jpe?g|png|…|tiff?|webp)$/i and walker)
  assert.deepEqual(await holders('tiff?'), []);
  assert.deepEqual(await holders('/ 2) * 255'), ['core/data/pixels.ts']);
  // sharp's .png(): the raw-pixel writer, the loss plot's SVG rasteriser, and test's --aspect_ratio resize
  assert.deepEqual(await holders('.png()'), ['data/decode.ts', 'report/loss_plot.ts', 'train/test_run.ts']);
  // report samples are quantised by the same float32 tensor2im as translations: find values where float64
  // arithmetic (the report's old copy) truncates to another level, and check the PNG holds floatToU8's
  const vals: number[] = [];
  for (let i = 0; vals.length < 3 && i < 1_000_000; i++) {
    const v = Math.fround(-1 + (2 * i) / 1_000_000);
    const f = Math.fround;
    if (Math.floor(((v + 1) / 2) * 255) !== Math.trunc(f(f(f(v + 1) / 2) * 255))) vals.push(v);
  }
  assert.ok(vals.length > 0, 'no value separates float32 from float64 quantisation');
  const data = new Float32Array([...vals, 0, 0, 0].slice(0, 3));
  const file = path.join(os.tmpdir(), `cg-owner-${process.pid}.png`);
  const t = tf.tensor4d(data, [1, 1, 1, 3]);
  try {
    await saveTensorPng(t, file);
    const png = await decodeImageU8(file);
    assert.deepEqual([...png.data], [...floatToU8({ data, width: 1, height: 1, channels: 3 }).data]);
  } finally {
    t.dispose();
    await fsp.rm(file, { force: true });
  }
});

test('run-folder file names are known only to RunFolder (src/train/run_folder.ts)', async () => {
  for (const needle of ["'opt.json'", "'loss_log.jsonl'", "_net_${net}", 'epoch${String(', '^epoch(', "'samples.json'", "'train_opt.txt'"]) {
    assert.deepEqual(await holders(needle), ['train/run_folder.ts'], `${needle} is used outside the run folder module`);
  }
  assert.equal(sampleImageFile(3, 'fake_B'), 'epoch003_fake_B.png');
  assert.deepEqual(parseSampleImageFile(sampleImageFile(12, 'idt_A')), { epoch: 12, visual: 'idt_A' });
  assert.equal(parseSampleImageFile('notes.txt'), null);
});

test('custom kernel names are declared once (src/core/ops/kernel_names.ts) and used by ops and both backends', async () => {
  for (const k of [...CG_KERNEL_NAMES, ...GPU_ONLY_KERNEL_NAMES]) {
    assert.deepEqual(await holders(`'${k}'`), ['core/ops/kernel_names.ts'], `'${k}' is a bare string elsewhere`);
  }
  const src = await (cache ??= sources());
  for (const k of GPU_ONLY_KERNEL_NAMES) {
    const webgpu = `backends/webgpu/kernels/${k}.ts`;
    assert.ok(src.has(webgpu), `${webgpu} is missing`);
    assert.match(src.get(webgpu)!, /kernel_names\.js'/, `${webgpu} does not use the declared name`);
  }
  for (const f of ['core/ops/nn.ts', 'core/gradients/MirrorPad_grad.ts', 'core/optim.ts', 'core/networks/backward.ts']) {
    assert.match(src.get(f)!, /kernel_names\.js'/, `${f} does not take the kernel names from src/core/ops/kernel_names.ts`);
  }
  for (const k of CG_KERNEL_NAMES) {
    // the native backend implements every custom kernel (one file each); the webgpu backend those it has
    const native = `backends/native/kernels/${k}.ts`;
    assert.ok(src.has(native), `${native} is missing`);
    assert.match(src.get(native)!, /kernel_names\.js'/, `${native} does not use the declared name`);
    const webgpu = path.join('backends', 'webgpu', 'kernels', `${k}.ts`).split(path.sep).join('/');
    if (src.has(webgpu)) assert.match(src.get(webgpu)!, /kernel_names\.js'/, `${webgpu} does not use the declared name`);
  }
});

// The page is bundled from Node-free modules (scripts/check-boundaries.mjs, run by `npm run build`, checks ours);
// the Node-only modules TF.js packages import on their Node code paths are stubbed, exactly those listed in
// TFJS_NODE_IMPORTS (src/web/bundle.ts): an unlisted one fails bundling, and a listed one the page no longer
// reaches fails here, so the list stays the page's real one.
test('the web page bundles stub exactly the listed TF.js Node imports, none from our modules', async (t) => {
  const train = await bundleTrainPage();
  const bundles = [await bundlePage(), train.page, train.worker];
  const pairs = [...new Set(bundles.flatMap((b) => b.nodeImports.map((n) => `${n.module} <- ${n.importer}`)))].sort();
  t.diagnostic(`Node-only modules stubbed in the page bundles (${pairs.length}): ${pairs.join('; ')}`);
  for (const n of bundles.flatMap((b) => b.nodeImports)) {
    assert.doesNotMatch(n.importer, /^dist\//, `${n.importer} (our code, in the page) imports ${n.module}`);
  }
  assert.deepEqual(pairs, [...TFJS_NODE_IMPORTS].sort());
});

test('bundling refuses page code that imports a Node module (instead of stubbing it)', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-page-'));
  try {
    const entry = path.join(dir, 'entry.js');
    await fsp.writeFile(path.join(dir, 'reads_files.js'), "import { readFileSync } from 'node:fs';\nexport const f = () => readFileSync('x');\n");
    await fsp.writeFile(entry, "import { f } from './reads_files.js';\nconsole.log(f);\n");
    await assert.rejects(bundlePage({ entry }), /cannot bundle the web page: .*reads_files\.js imports the Node module 'node:fs'/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('official defaults and the size rule have one owner each', async () => {
  // the option table refers to the model's and the transform's defaults instead of restating them
  assert.deepEqual(await holders('0.0002'), ['core/model.ts']);
  assert.deepEqual(await holders("'resize_and_crop', loadSize: 286"), ['core/data/transforms.ts']);
  const { TRAIN_OPTIONS } = await import('../src/train/options.js');
  const { defaultCycleGANOptions } = await import('../src/core/model.js');
  const { DEFAULT_TRANSFORM } = await import('../src/core/data/transforms.js');
  const def = (name: string) => TRAIN_OPTIONS.find((d) => d.name === name)!.default;
  const m = defaultCycleGANOptions();
  assert.deepEqual([def('ngf'), def('netG'), def('lr'), def('lambda-identity'), def('pool-size')], [m.ngf, m.netG, m.lr, m.lambdaIdentity, m.poolSize]);
  assert.deepEqual([def('load-size'), def('crop-size'), def('preprocess')], [DEFAULT_TRANSFORM.loadSize, DEFAULT_TRANSFORM.cropSize, DEFAULT_TRANSFORM.preprocess]);
  assert.deepEqual(await holders("'AtoB', 'BtoA'"), ['core/limits.ts']);
  // and no module renames an owner's list or rule (the option table took --preprocess's choices as PREPROCESS)
  assert.deepEqual(await holders('= PREPROCESS_MODES;'), []);
  assert.deepEqual(await holders('= sameSizeMultiple;'), []);
  // one size rule: the networks' module, used by translate (and the page) and the train options
  assert.deepEqual(await holders("'unet_256' ?"), ['core/networks/size.ts']);
  const { requiredMultiple } = await import('../src/translate.js');
  const size = await import('../src/core/networks/size.js');
  assert.equal(requiredMultiple, size.requiredMultiple);
  // the discriminator's part of the rule (a crop it can score) too: the train options call it, and it agrees with
  // the networks it describes (a PatchGAN's output is empty exactly where it says the crop is too small)
  assert.deepEqual(await holders('(s - 2) / 2'), ['core/networks/size.ts']);
  assert.match((await (cache ??= sources())).get('train/options.ts')!, /discriminatorTooDeep\(/);
  const { createNetwork } = await import('../src/core/networks/index.js');
  for (const [netD, nLayersD] of [['basic', 3], ['n_layers', 1], ['n_layers', 4]] as const) {
    const net = createNetwork({ role: 'discriminator', netD, nLayersD, inputNc: 1, ndf: 1, norm: 'none' }, { seed: 1 });
    try {
      for (let side = 4; side <= 40; side++) {
        const out = tf.tidy(() => net.apply(tf.zeros([1, side, side, 1]) as tf.Tensor4D).shape[1]);
        assert.equal(size.discriminatorTooDeep({ netD, nLayersD }, side) === undefined, out >= 1, `${netD} ${nLayersD} at ${side}: output side ${out}`);
      }
    } finally {
      net.dispose();
    }
  }
  assert.deepEqual(size.discriminatorTooDeep({ netD: 'n_layers', nLayersD: 8 }, 32), { layers: 8, most: 3 });
  assert.equal(size.discriminatorTooDeep({ netD: 'pixel', nLayersD: 8 }, 1), undefined);
});

test('TF.js setup has one owner: gradients, Tensor methods, the page\'s Node stubs; no union package in the library', async () => {
  assert.deepEqual(await holders('registerGradient('), ['core/gradients/register_all_gradients.ts']);
  assert.deepEqual(await holders('Tensor.prototype'), ['core/chained_ops.ts']);
  assert.deepEqual(await holders('wasm-out/'), ['web/bundle.ts']);
  assert.deepEqual(await holders("'@tensorflow/tfjs'"), []);
  // every gradient config is its own file, named after its kernel, and registered from the list
  const src = await (cache ??= sources());
  const files = [...src.keys()].filter((f) => /^core\/gradients\/\w+_grad\.ts$/.test(f));
  const list = src.get('core/gradients/register_all_gradients.ts')!;
  for (const f of files) {
    const kernel = /(\w+)_grad\.ts$/.exec(f)![1];
    assert.match(src.get(f)!, new RegExp(`kernelName: tf\\.${kernel},`), `${f} is not ${kernel}'s gradient`);
    assert.ok(list.includes(`from './${kernel}_grad.js'`), `${f} is not in register_all_gradients.ts`);
  }
});

test('a test\'s results layout, the checkpoint label it loads and the flags that fix a run\'s networks have one owner each', async () => {
  // RESULTS/NAME/<phase>_<epoch>[_iter<n>]/index.html + images/: resultsPaths (test_run.ts); eval's metrics go on that page
  assert.deepEqual(await holders("'index.html'"), ['train/run_folder.ts', 'train/test_run.ts']);
  assert.deepEqual(await holders("'./results'"), ['train/options.ts'], 'the --results-dir default is restated');
  const src = await (cache ??= sources());
  assert.match(src.get('cli/commands/eval_metrics.ts')!, /resultsPaths\(/);
  // --load_iter n > 0 loads iter_<n>, else --epoch: testLabelOf (train --continue of an official run folder asks it too)
  assert.deepEqual(await holders('> 0 ? `iter_'), ['train/options.ts']);
  const { resultsPaths, testLabelOf } = await import('../src/train/test_run.js');
  assert.equal(testLabelOf({ epoch: '5', loadIter: 7 }), 'iter_7');
  assert.deepEqual(resultsPaths({ resultsDir: 'r', name: 'n', epoch: 'latest', loadIter: 7, phase: 'test' }),
    { dir: path.join('r', 'n', 'test_latest_iter7'), images: path.join('r', 'n', 'test_latest_iter7', 'images'), page: path.join('r', 'n', 'test_latest_iter7', 'index.html') });
  // the flags train --continue and test take from the run (ARCH_FLAGS, options.ts), not two lists
  assert.deepEqual(await holders("'ndf', 'norm', 'input-nc', 'output-nc', 'no-dropout'"), ['train/options.ts']);
  for (const f of ['train/test_setup.ts', 'cli/commands/train.ts']) assert.match(src.get(f)!, /ARCH_FLAGS\b/, `${f} does not use ARCH_FLAGS`);
});

// The web pages (issue 12's training page beside the translate page) share their browser-side facts too.
test('the pages decode images in one module (src/web/page/image_file.ts): translate page, training page and worker', async () => {
  for (const needle of ['createImageBitmap(', 'getImageData(', 'PNG, JPEG, WebP, GIF or BMP', 'function headerSize']) {
    assert.deepEqual(await holders(needle), ['web/page/image_file.ts'], `${needle} is restated outside src/web/page/image_file.ts`);
  }
  const src = await (cache ??= sources());
  for (const f of ['web/page/main.ts', 'web/train/page.ts', 'web/train/worker.ts']) {
    assert.match(src.get(f)!, /from '(\.\.\/page|\.)\/image_file\.js'/, `${f} does not decode through src/web/page/image_file.ts`);
  }
});

test('the pages pick their TF.js backend in one module (src/web/page/backend.ts): translate page and training worker', async () => {
  for (const needle of ["'webgpu', 'webgl', 'wasm'", 'WEBGL_RENDER_FLOAT32_CAPABLE', 'setWasmPaths(', 'tf.setBackend(', 'registerWebGPUKernels()']) {
    assert.deepEqual((await holders(needle)).filter((f) => f.startsWith('web/')), ['web/page/backend.ts'], `${needle} is restated outside src/web/page/backend.ts`);
  }
  const src = await (cache ??= sources());
  for (const f of ['web/page/main.ts', 'web/train/worker.ts']) {
    assert.match(src.get(f)!, /import \{ pickBackend \} from '(\.\.\/page|\.)\/backend\.js'/, `${f} does not pick its backend through src/web/page/backend.ts`);
  }
});

test('the training page and its worker thin the loss curves by one rule (src/web/train/protocol.ts)', async () => {
  const src = await (cache ??= sources());
  for (const needle of ['% 2 === 1', 'stride *= 2']) {
    assert.deepEqual((await holders(needle)).filter((f) => f.startsWith('web/')), ['web/train/protocol.ts'], `${needle} is restated outside src/web/train/protocol.ts`);
  }
  // the curves' x (fractional epoch): one rule for `cyclegan train`'s loss log and the page
  assert.deepEqual(await holders('epoch - 1 + '), ['core/data/sampling.ts']);
  for (const f of ['train/trainer.ts', 'web/train/protocol.ts']) assert.match(src.get(f)!, /fractionalEpoch\(/, `${f} does not place its points with fractionalEpoch`);
  for (const f of ['web/train/page.ts', 'web/train/worker.ts']) assert.match(src.get(f)!, /addCurvePoint\(/, `${f} does not thin through addCurvePoint`);
  // the rule: every stride-th image's point; at the bound every other point goes and the stride doubles
  const h = emptyCurves();
  const losses = { G_A: 1 };
  for (let n = 1; n <= MAX_CURVE_POINTS; n++) addCurvePoint(h, curvePoint({ epoch: 1, epochIter: n, losses }, 10 * MAX_CURVE_POINTS), n);
  assert.equal(h.stride, 2);
  assert.equal(h.points.length, MAX_CURVE_POINTS / 2);
  assert.deepEqual(h.points.slice(0, 2).map((p) => p.iter), [2, 4]);
  assert.equal(h.points[0].x, 2 / (10 * MAX_CURVE_POINTS));
  addCurvePoint(h, curvePoint({ epoch: 1, epochIter: MAX_CURVE_POINTS + 1, losses }, 1), MAX_CURVE_POINTS + 1);
  assert.equal(h.points.length, MAX_CURVE_POINTS / 2, 'an image off the stride adds no point');
  addCurvePoint(h, curvePoint({ epoch: 2, epochIter: 1, losses }, 4), MAX_CURVE_POINTS + 2);
  assert.deepEqual(h.points.at(-1), { x: 1.25, epoch: 2, iter: 1, losses });
});

test('a training-page run is summarised and declared finished in one place each (the worker)', async () => {
  assert.deepEqual((await holders(' epochs, ')).filter((f) => f.startsWith('web/')), ['web/train/worker.ts']);
  const src = await (cache ??= sources());
  const worker = src.get('web/train/worker.ts')!;
  assert.equal(worker.split('px, ${').length - 1, 1, 'the run summary is written more than once');
  assert.equal(worker.split('finished: ${').length - 1, 1, 'the finished line is written more than once');
});

test('commands take shared flags from their one declaration and parse with the one command parser', async () => {
  // official options: the option table (pickOptions); CLI-only flags several commands share: cli/args.ts commonFlags;
  // the FID/KID flags of `fid` and `eval --metrics`: METRIC_FLAGS, with the library's defaults
  for (const [needle, owner] of [["name: 'help'", 'cli/args.ts'], ["name: 'cache-dir'", 'cli/args.ts'], ["name: 'mirror'", 'cli/args.ts'],
    ["name: 'inception-weights'", 'cli/commands/eval_metrics.ts'], ["name: 'kid-subsets'", 'cli/commands/eval_metrics.ts']] as const) {
    assert.deepEqual(await holders(needle), [owner], `${needle} is declared outside ${owner}`);
  }
  const { TRAIN_OPTIONS, TEST_OPTIONS } = await import('../src/train/options.js');
  const src = await (cache ??= sources());
  const commands = [...src].filter(([f]) => f.startsWith('cli/commands/'));
  for (const name of new Set([...TRAIN_OPTIONS, ...TEST_OPTIONS].map((d) => d.name))) {
    // other meanings under the same name: fid's --batch-size and --seed are pytorch-fid's and KID's; --model of
    // export, serve and translate is a model file (translate also takes the official cycle_gan | test)
    const other = (f: string) => (f === 'cli/commands/fid.ts' && ['batch-size', 'seed'].includes(name)) || name === 'model';
    const own = commands.filter(([f, code]) => code.includes(`name: '${name}'`) && !other(f));
    assert.deepEqual(own.map(([f]) => f), [], `--${name} is declared by a command instead of picked from the option table`);
  }
  assert.deepEqual(await holders('parseArgs('), ['flags.ts', 'train/options.ts']);
  assert.deepEqual(await holders("?? 1000"), []);
  // one check each for an FID set's size and a covariance's samples; KID's choice fields declared once
  assert.deepEqual(await holders('FID needs at least 2'), ['metrics/index.ts']);
  assert.deepEqual(await holders('a covariance needs at least 2'), ['metrics/linalg.ts']);
  // one check that two sides share a feature dimension, one non-finite check (fid.ts sharedDims, checkFinite)
  assert.deepEqual(await holders('different dimensions'), ['metrics/fid.ts']);
  assert.equal(src.get('metrics/fid.ts')!.split('different dimensions').length, 2, 'fid.ts words the dimension check more than once');
  assert.equal(src.get('metrics/fid.ts')!.split('Number.isFinite(').length, 2, 'fid.ts checks finiteness in more than one place');
  assert.deepEqual(await holders('kidSubsetSize?: number'), ['metrics/fid.ts']);
  const { KID_DEFAULTS } = await import('../src/metrics/fid.js');
  const { EVAL_METRIC_FLAGS } = await import('../src/cli/commands/eval_metrics.js');
  assert.equal(EVAL_METRIC_FLAGS.find((f) => f.name === 'kid-subset-size')!.default, KID_DEFAULTS.subsetSize);
  // every command starts with parseCommand (parse, --help, the parser's notes) but those whose options go
  // through resolveTrainOptions / resolveTestSetup, which print the notes themselves
  assert.deepEqual(commands.filter(([, code]) => code.includes('parseCommandArgs(')).map(([f]) => f).sort(),
    ['cli/commands/eval.ts', 'cli/commands/test.ts', 'cli/commands/train.ts', 'cli/commands/translate.ts']);
  const { run: fid } = await import('../src/cli/commands/fid.js');
  const errors: string[] = [];
  const error = console.error;
  console.error = (line: unknown) => { errors.push(String(line)); };
  try {
    await assert.rejects(fid(['--batchSize', '4']), /fid needs exactly two paths/);
  } finally {
    console.error = error;
  }
  assert.deepEqual(errors, ['cyclegan: --batchSize is the older spelling of --batch-size; using it as such']);
  // parseCommandArgs: a train-only flag is named as such, with the command's --help
  for (const cmd of ['fid', 'datasets', 'export', 'browser_run']) {
    const { run } = await import(`../src/cli/commands/${cmd}.js`) as { run: (argv: string[]) => Promise<number> };
    await assert.rejects(run(['--lr', '0.1']), new RegExp(`unknown flag --lr \\(a train option; ${cmd.replace('_', '-')} does not take it\\); see cyclegan ${cmd.replace('_', '-')} --help`));
  }
});

test('one reader of whole user files (src/read_file.ts): missing, folder, device or oversized files are one line naming the file, refused before reading', async () => {
  // the six loaders that each had their own read + error wording read through readFileBounded, and nothing
  // else spells the read-failure wording
  const src = await (cache ??= sources());
  const readers = ['metrics/npz.ts', 'weights/torch_pth.ts', 'weights/network_file.ts', 'data/decode.ts', 'data/builtin/idx.ts', 'cli/commands/browser_run.ts'];
  for (const f of readers) {
    assert.doesNotMatch(src.get(f)!, /\breadFile\(|fsp\.readFile|\.code \?\? /, `${f} reads a file or words an fs error itself`);
    assert.match(src.get(f)!, /readFileBounded\(/, `${f} does not read through src/read_file.ts`);
  }
  // one table of system error words (core/errors.ts): the read failures and describeSystemError's lines say the same
  for (const code of ["'EADDRINUSE'", "'EADDRNOTAVAIL'", "'ENOTFOUND'"]) assert.deepEqual(await holders(code), [], `${code} is worded outside the table`);
  for (const words of ["'no such file", "'permission denied'", "'too many open files", "'it is a folder, not a file'"]) {
    assert.deepEqual(await holders(words), ['core/errors.ts'], `${words} is worded outside src/core/errors.ts`);
  }
  assert.deepEqual(await holders('CYCLEGAN_MAX_WEIGHTS_MB to raise it'), ['core/limits.ts']);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-read-'));
  try {
    const missing = path.join(dir, 'missing.bin');
    const oneLine = (re: RegExp) => (e: Error & { userFacing?: boolean }) => {
      assert.equal(e.userFacing, true, e.message);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, re);
      return true;
    };
    const esc = missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await assert.rejects(readModelBytes(missing), oneLine(new RegExp(`^${esc}: cannot read model file: no such file or folder \\(ENOENT\\)$`)));
    await assert.rejects(readTorchStateDict(missing), oneLine(new RegExp(`^${esc}: cannot read PyTorch weights: no such file`)));
    await assert.rejects(readFidStats(missing), oneLine(new RegExp(`^${esc}: cannot read FID statistics: no such file`)));
    await assert.rejects(readIdx(missing), oneLine(new RegExp(`^${esc}: cannot read IDX file: no such file`)));
    await assert.rejects(decodeImageU8(missing), (e) => e instanceof ImageDecodeError && oneLine(new RegExp(`^${esc}: cannot read image: no such file`))(e));
    await assert.rejects(browserRunCommand(['import', missing, '--name', 'x', '--checkpoints-dir', dir]), oneLine(new RegExp(`^${esc}: cannot read saved browser run: no such file`)));
    const enoent = await fsp.readFile(missing).catch((e: unknown) => e);
    assert.equal(readFailureReason(enoent), 'no such file or folder (ENOENT)');
    // too many open files is about the process, not the named file: its reason says what to do
    assert.equal(readFailureReason(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })),
      'too many open files: raise the limit (ulimit -n) or use fewer workers (EMFILE)');
    assert.equal(describeSystemError(enoent), `${missing}: no such file or folder: check the path (ENOENT in open)`);
    // serve's bind failures are the table's lines too (they had their own wording), naming the address and port
    const { listen } = await import('../src/web/http.js');
    const taken = await listen(async () => {}, '127.0.0.1', 0, () => {});
    try {
      const port = (taken.address() as { port: number }).port;
      await assert.rejects(listen(async () => {}, '127.0.0.1', port, () => {}),
        oneLine(new RegExp(`^127\\.0\\.0\\.1:${port}: the address is already in use: choose another --port, or stop the program using it \\(EADDRINUSE in listen\\)$`)));
    } finally {
      await new Promise((r) => taken.close(r));
    }
    // a folder, a device
    await assert.rejects(readModelBytes(dir), oneLine(/: cannot read model file: it is a folder, not a file$/));
    if (process.platform === 'linux') await assert.rejects(readFileBounded('/dev/zero', { what: 'image', maxBytes: 10 }), oneLine(/^\/dev\/zero: cannot read image: not a regular file/));
    // a 5 GB sparse file (no disk used) is over every loader's limit and refused by size, before any byte is read
    const huge = path.join(dir, 'huge.bin');
    const fh = await fsp.open(huge, 'w');
    await fh.truncate(5 * 1024 ** 3);
    await fh.close();
    const over = /: cannot read [\w ]+: 5120 MB is over the \d+ MB limit/;
    for (const load of [readModelBytes, readTorchStateDict, readFidStats, readIdx, decodeImageU8]) await assert.rejects(load(huge), oneLine(over));
    // a saved run holds four networks and Adam's moments of each: its bound (maxRunStateBytes) is past 5 GB, so it
    // gets a sparse file one byte over that bound
    const hugeRun = path.join(dir, 'huge-run.bin');
    const fr = await fsp.open(hugeRun, 'w');
    await fr.truncate(maxRunStateBytes() + 1);
    await fr.close();
    assert.ok(maxRunStateBytes() >= 12 * 1024 ** 3, 'a run whose four networks are each at the weights limit can --continue');
    await assert.rejects(browserRunCommand(['import', hugeRun, '--name', 'x', '--checkpoints-dir', dir]),
      oneLine(new RegExp(`: cannot read saved browser run: ${formatBytes(maxRunStateBytes() + 1)} is over the ${formatBytes(maxRunStateBytes())} limit \\(set CYCLEGAN_MAX_WEIGHTS_MB to raise it\\)$`)));
    await assert.rejects(readModelBytes(huge), oneLine(/over the 1024 MB limit \(set CYCLEGAN_MAX_WEIGHTS_MB to raise it\)$/));
    // an IDX file whose gzip stream is broken: one line naming it
    const badIdx = path.join(dir, 'bad-idx.gz');
    await fsp.writeFile(badIdx, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]));
    await assert.rejects(readIdx(badIdx), oneLine(/bad-idx\.gz: its gzip data is corrupt/));
    // within the limit: the bytes as written; one byte over: refused
    const small = path.join(dir, 'small.bin');
    await fsp.writeFile(small, Buffer.from('0123456789'));
    assert.equal((await readFileBounded(small, { what: 'test file', maxBytes: 10 })).toString(), '0123456789');
    await assert.rejects(readFileBounded(small, { what: 'test file', maxBytes: 9 }), oneLine(/small\.bin: cannot read test file: 10 bytes is over the 9 bytes limit$/));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('backend names, what --gpu_ids resolves to and the CPU fallback chain have one owner (src/backends/names.ts)', async () => {
  assert.deepEqual(await holders("'auto-cpu'"), ['backends/names.ts']);
  // 'gpu' as a value (webgpu/index.ts names navigator's 'gpu' property, which is not a backend name)
  const src = await (cache ??= sources());
  assert.deepEqual([...src].filter(([, code]) => /(===|!==|[?:(=]|return)\s*'gpu'/.test(code)).map(([f]) => f), ['backends/names.ts']);
  assert.deepEqual(await holders("'native', 'wasm', 'cpu'"), ['backends/names.ts']);
  assert.deepEqual(await holders("'native', 'wasm'"), ['backends/names.ts'], 'the demo measures the chain it names itself');
  // the option table checks --backend against the same list the backends start
  const def = TRAIN_OPTIONS.find((d) => d.name === 'backend')!;
  assert.equal(def.choices, BACKENDS);
  assert.equal(backendFor('auto', '-1', false), GPU_IDS_BACKENDS.cpu);
  assert.equal(backendFor('auto', '0', false), GPU_IDS_BACKENDS.gpu);
  for (const b of Object.values(GPU_IDS_BACKENDS)) assert.equal(jsonToRawFlags({ backend: b }).backend, undefined);
  // translate --model resolves --gpu_ids by the same rule (backendFor): -1 is the CPU chain, not the GPU case (it
  // used to take any --gpu_ids for a GPU request, so -1 printed the no-GPU note, or used a GPU where there was one)
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-backend-'));
  try {
    const net = createNetwork({ role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false }, { seed: 1 });
    const model = path.join(dir, 'g.safetensors');
    await fsp.writeFile(model, encodeNetwork(net));
    net.dispose();
    const img = path.join(dir, 'in.png');
    await writePng(img, new Uint8Array(16 * 16 * 3), 16, 16, 3);
    const cli = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
    const translate = (ids: string) => spawnSync(process.execPath, [cli, 'translate', '--model', model, img, '--out', path.join(dir, `out${ids}`),
      '--preprocess', 'none', '--gpu_ids', ids], { encoding: 'utf8', env: { ...process.env, CYCLEGAN_DEBUG: '' }, timeout: 120_000 });
    const cpu = translate('-1');
    assert.equal(cpu.status, 0, cpu.stderr);
    assert.doesNotMatch(cpu.stderr, /--gpu_ids: no hardware GPU|using webgpu/);
    const gpu = translate('0');
    assert.equal(gpu.status, 0, gpu.stderr);
    assert.match(gpu.stderr, /--gpu_ids: no hardware GPU backend here|using webgpu on/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('the training page: losses read by the one stacked read (readLosses), images prepared as the worker decodes them and by the engine for any caller, no RunStore pass-throughs', async () => {
  const { readLosses, disposeLosses } = model;
  assert.deepEqual(await holders('tf.stack(LOSS_NAMES'), ['core/model.ts']);
  assert.deepEqual(await holders('out[n] = v[i]'), ['core/model.ts']);
  const src = await (cache ??= sources());
  assert.match(src.get('web/train/engine.ts')!, /readLosses\(/);
  assert.match(src.get('web/train/engine.ts')!, /data\.A\.map\(\(im\) => prepareImage\(im, options\)\)/, 'the engine prepares what any caller gives it');
  assert.match(src.get('web/train/worker.ts')!, /prepareImage\(/);
  assert.doesNotMatch(src.get('web/train/storage.ts')!, /private (write|read|remove)\(/);
  // the values as eight separate reads gave them, and the caller may free the losses as soon as the read has started
  const before = tf.memory().numTensors;
  const t = Object.fromEntries(LOSS_NAMES.map((n, i) => [n, tf.scalar(i / 3 - 1)])) as model.LossTensors;
  const read = readLosses(t);
  disposeLosses(t);
  assert.deepEqual(await read, Object.fromEntries(LOSS_NAMES.map((n, i) => [n, Math.fround(i / 3 - 1)])));
  assert.equal(tf.memory().numTensors, before);
});

test('run-folder and dataset files are read bounded (readFileIfExists): missing is the caller\'s fallback, too large is one line naming the file', async () => {
  const { runPaths, readRunOptions, readLossLog, loadCheckpoint } = await import('../src/train/run_folder.js');
  const { readDatasetInfo } = await import('../src/data/builtin.js');
  const { acquireRunLock, LOCK_NAME } = await import('../src/train/run_lock.js');
  const { lossesSince } = await import('../src/web/run_data.js');
  const { TrainingReport } = await import('../src/report/training_page.js');
  const { getOfficialDataset } = await import('../src/data/official.js');
  const { MAX_RUN_JSON_BYTES, MAX_LOSS_LOG_BYTES } = await import('../src/core/limits.js');
  const src = await (cache ??= sources());
  for (const f of ['train/run_folder.ts', 'report/training_page.ts', 'train/run_lock.ts', 'data/builtin.ts', 'train/evaluate.ts', 'web/run_data.ts', 'metrics/run_eval.ts']) {
    assert.doesNotMatch(src.get(f)!, /\breadFile\(|fsp\.readFile/, `${f} reads a file whole without a bound`);
  }
  assert.match(src.get('data/official.ts')!, /ZipReader\(new Uint8Array\(await readFileBounded\(/);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-runjson-'));
  const sparse = async (file: string, bytes: number) => {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const fh = await fsp.open(file, 'w');
    await fh.truncate(bytes);
    await fh.close();
  };
  const oneLine = (file: string, what: string) => (e: Error & { userFacing?: boolean }) => {
    assert.equal(e.userFacing, true, e.message);
    assert.doesNotMatch(e.message, /\n/);
    assert.ok(e.message.startsWith(`${file}: cannot read ${what}: `) && / is over the \d+ MB limit/.test(e.message), e.message);
    return true;
  };
  try {
    const paths = runPaths(dir, 'run');
    // missing: each caller's fallback, as before
    assert.equal(await readFileIfExists(paths.opt, { what: 'x', maxBytes: 1 }), undefined);
    assert.equal(await readRunOptions(paths), undefined);
    assert.deepEqual(await readLossLog(paths), []);
    assert.equal(await loadCheckpoint(paths), undefined);
    assert.equal(await readDatasetInfo(dir), null);
    // one byte over the limit (sparse: no disk used, refused before a byte is read)
    await sparse(paths.opt, MAX_RUN_JSON_BYTES + 1);
    await assert.rejects(readRunOptions(paths), oneLine(paths.opt, 'run options'));
    await sparse(paths.latestPointer, MAX_RUN_JSON_BYTES + 1);
    await assert.rejects(loadCheckpoint(paths), oneLine(paths.latestPointer, 'checkpoint pointer'));
    // an over-long loss log used to read as no log at all (and --continue then rewrote it empty)
    await sparse(paths.lossLog, MAX_LOSS_LOG_BYTES + 1);
    await assert.rejects(readLossLog(paths), oneLine(paths.lossLog, 'loss log'));
    await assert.rejects(lossesSince(paths, 0), oneLine(paths.lossLog, 'loss log'));
    await sparse(paths.samples, MAX_RUN_JSON_BYTES + 1);
    await assert.rejects(new TrainingReport(paths, 'run').load(), oneLine(paths.samples, 'report rows'));
    await sparse(path.join(paths.root, LOCK_NAME), MAX_RUN_JSON_BYTES + 1);
    await assert.rejects(acquireRunLock(paths.root, () => {}), oneLine(path.join(paths.root, LOCK_NAME), 'run lock'));
    await sparse(path.join(dir, 'dataset.json'), MAX_RUN_JSON_BYTES + 1);
    await assert.rejects(readDatasetInfo(dir), oneLine(path.join(dir, 'dataset.json'), 'dataset info'));
    // eval's results page (test's index.html): missing is left alone, over the limit is one line
    const { addMetricsToPage } = await import('../src/metrics/run_eval.js');
    const { MAX_RESULTS_PAGE_BYTES } = await import('../src/core/limits.js');
    const resultsPage = path.join(dir, 'results', 'index.html');
    assert.equal(await addMetricsToPage(resultsPage, ['FID 1']), false);
    await sparse(resultsPage, MAX_RESULTS_PAGE_BYTES + 1);
    await assert.rejects(addMetricsToPage(resultsPage, ['FID 1']), oneLine(resultsPage, 'results page'));
    // an official dataset archive over CYCLEGAN_MAX_ZIP_MB (from a local mirror folder)
    const mirror = path.join(dir, 'mirror');
    await sparse(path.join(mirror, 'mini.zip'), 2 * 1024 * 1024);
    const cacheDir = path.join(dir, 'cache');
    const was = process.env.CYCLEGAN_MAX_ZIP_MB;
    process.env.CYCLEGAN_MAX_ZIP_MB = '1';
    try {
      await assert.rejects(getOfficialDataset('mini', { cacheDir, mirror }), (e: Error & { userFacing?: boolean }) => {
        assert.equal(e.userFacing, true, e.message);
        assert.match(e.message, /mini\.zip: cannot read dataset archive: 2 MB is over the 1 MB limit \(set CYCLEGAN_MAX_ZIP_MB to raise it\)$/);
        return true;
      });
    } finally {
      if (was === undefined) delete process.env.CYCLEGAN_MAX_ZIP_MB;
      else process.env.CYCLEGAN_MAX_ZIP_MB = was;
    }
    assert.equal(await fsp.stat(path.join(cacheDir, 'datasets', 'mini')).catch(() => null), null, 'nothing is installed');
    // a cached pretrained generator copied into a run folder is read as any model file (bounded)
    const { getPretrained } = await import('../src/data/official.js');
    const { maxWeightBytes } = await import('../src/core/limits.js');
    const cachedModel = path.join(cacheDir, 'pretrained', 'horse2zebra.safetensors');
    await sparse(cachedModel, maxWeightBytes() + 1);
    await assert.rejects(getPretrained('horse2zebra', { cacheDir, checkpointsDir: path.join(dir, 'ck') }), oneLine(cachedModel, 'model file'));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('the pages read a picked image through one reader with limits (readImageFile), in the CLI\'s words for sizes and pixels', async () => {
  // the translate page decoded first and checked its pixels after (no header check), the training page's test
  // translation checked nothing; the worker had the whole rule
  assert.deepEqual(await holders('openImage('), ['web/page/image_file.ts']);
  assert.deepEqual(await holders('-pixel limit'), ['core/limits.ts']);
  assert.deepEqual(await holders('4096 * 4096'), ['core/limits.ts']);
  const { pixelLimitMessage, sizeLimitMessage } = await import('../src/core/limits.js');
  assert.equal(pixelLimitMessage(5000, 4000, 100, null), '5000x4000 pixels is over the 100-pixel limit');
  assert.equal(sizeLimitMessage(60 * 1048576, 50 * 1048576), '60 MB is over the 50 MB limit');
});
