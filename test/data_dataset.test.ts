import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { scanImageFolder, UnalignedDataset, type Batch, type DatasetOptions } from '../src/data/dataset.js';
import { CycleGANError } from '../src/core/errors.js';

async function png(path: string, w: number, h: number, value: number, channels: 1 | 3 | 4 = 3) {
  await mkdir(join(path, '..'), { recursive: true });
  const d = new Uint8Array(w * h * channels).fill(value);
  if (channels === 4) for (let i = 3; i < d.length; i += 4) d[i] = 0; // fully transparent: must still read as `value`
  await sharp(d, { raw: { width: w, height: h, channels } }).png().toFile(path);
}

let root: string;
const A = 3, B = 5;
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cg-ds-'));
  for (let i = 0; i < A; i++) await png(join(root, 'trainA', `a${i}.png`), 40, 36, 10 + i, i === 1 ? 4 : i === 2 ? 1 : 3);
  for (let i = 0; i < B; i++) await png(join(root, 'trainB', i === 4 ? 'sub/b4.png' : `b${i}.png`), 36, 40, 100 + i);
  const jpg = await sharp(new Uint8Array(32 * 32 * 3).fill(50), { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer();
  await writeFile(join(root, 'trainA', 'broken.jpg'), jpg.subarray(0, jpg.length >> 1));
  await writeFile(join(root, 'trainA', 'notes.txt'), 'hello');
  await writeFile(join(root, 'trainA', '.DS_Store'), 'x');
  await mkdir(join(root, 'emptyA')); await mkdir(join(root, 'emptyB'));
  await png(join(root, 'badB', 'ok.png'), 8, 8, 1);
  await mkdir(join(root, 'badA'));
  await writeFile(join(root, 'badA', 'x.png'), 'not a png');
  await symlink(join(root, 'badB'), join(root, 'trainB', 'zlink')); // a link to a folder is not followed (os.walk)
});
test.after(async () => { await rm(root, { recursive: true, force: true }); });

const base = (o: Partial<DatasetOptions> = {}): DatasetOptions => ({
  dataroot: root, preprocess: 'crop', loadSize: 32, cropSize: 32, seed: 5, warn: () => {}, ...o,
});

async function collect(ds: UnalignedDataset, max = Infinity): Promise<{ a: string[]; b: string[]; pix: number[][]; shapes: number[][] }> {
  const out = { a: [] as string[], b: [] as string[], pix: [] as number[][], shapes: [] as number[][] };
  for await (const batch of ds.epoch()) {
    out.a.push(...batch.aPaths.map((p) => basename(p)));
    out.b.push(...batch.bPaths.map((p) => basename(p)));
    out.shapes.push(batch.A.shape, batch.B.shape);
    out.pix.push(Array.from(batch.A.dataSync().slice(0, 8)), Array.from(batch.B.dataSync().slice(0, 8)));
    batch.A.dispose(); batch.B.dispose();
    if (out.shapes.length / 2 >= max) break;
  }
  return out;
}

test('scan skips unreadable files with one warning naming each', async () => {
  const warnings: string[] = [];
  const ds = await UnalignedDataset.open(base({ warn: (m) => warnings.push(m) }));
  try {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /broken\.jpg/);
    assert.match(warnings[0], /notes\.txt \(not an image file type\)/);
    assert.doesNotMatch(warnings[0], /DS_Store|zlink/);
    assert.deepEqual(ds.filesA.map((f) => basename(f.path)), ['a0.png', 'a1.png', 'a2.png']);
    assert.deepEqual(ds.filesB.map((f) => basename(f.path)), ['b0.png', 'b1.png', 'b2.png', 'b3.png', 'b4.png']);
    assert.equal(ds.length, 5);
  } finally { await ds.close(); }
});

test('serial batches: A and B in order, each index % size; greyscale and RGBA become RGB', async () => {
  const ds = await UnalignedDataset.open(base({ serialBatches: true, noFlip: true }));
  try {
    const r = await collect(ds);
    assert.deepEqual(r.a, ['a0.png', 'a1.png', 'a2.png', 'a0.png', 'a1.png']);
    assert.deepEqual(r.b, ['b0.png', 'b1.png', 'b2.png', 'b3.png', 'b4.png']);
    // pixel values are v/127.5 - 1 of the constant images (alpha ignored, grey replicated)
    for (let k = 0; k < 5; k++) {
      const va = 10 + (k % 3), vb = 100 + k;
      for (const x of r.pix[2 * k]) assert.ok(Math.abs(x - (va / 127.5 - 1)) < 1e-6, `A ${k}`);
      for (const x of r.pix[2 * k + 1]) assert.ok(Math.abs(x - (vb / 127.5 - 1)) < 1e-6, `B ${k}`);
    }
    assert.deepEqual(r.shapes[0], [1, 32, 32, 3]);
  } finally { await ds.close(); }
});

test('shuffled epochs visit every index once; B is random; a seed fixes everything', async () => {
  const runs = [];
  for (const seed of [11, 11, 12]) {
    const ds = await UnalignedDataset.open(base({ seed }));
    try { runs.push([await collect(ds), await collect(ds)]); } finally { await ds.close(); }
  }
  const [r1, r2, r3] = runs;
  assert.deepEqual(r1, r2);
  assert.notDeepEqual(r1, r3);
  for (const ep of r1) {
    // indices 0..4 once each -> A gets a0, a1 twice and a2 once in some order
    const counts = ep.a.reduce((m, p) => m.set(p, (m.get(p) ?? 0) + 1), new Map<string, number>());
    assert.deepEqual([...counts.entries()].sort(), [['a0.png', 2], ['a1.png', 2], ['a2.png', 1]]);
  }
  assert.notDeepEqual(r1[0], r1[1]); // the two epochs are separate draws
});

test('batches, max dataset size, BtoA and channels', async () => {
  let ds = await UnalignedDataset.open(base({ batchSize: 2, serialBatches: true }));
  try {
    const r = await collect(ds);
    assert.deepEqual(r.shapes.filter((_, i) => i % 2 === 0).map((s) => s[0]), [2, 2, 1]);
    assert.equal(ds.batchesPerEpoch, 3);
  } finally { await ds.close(); }
  ds = await UnalignedDataset.open(base({ maxDatasetSize: 2, serialBatches: true }));
  try {
    assert.equal(ds.length, 2);
    assert.deepEqual((await collect(ds)).b, ['b0.png', 'b1.png']);
  } finally { await ds.close(); }
  ds = await UnalignedDataset.open(base({ direction: 'BtoA', inputNc: 1, outputNc: 3, serialBatches: true, preprocess: 'resize_and_crop', loadSize: 36, cropSize: 32 }));
  try {
    const r = await collect(ds, 2);
    // real_A comes from trainB with input_nc channels
    assert.deepEqual(r.a, ['b0.png', 'b1.png']);
    assert.deepEqual(r.b, ['a0.png', 'a1.png']);
    assert.deepEqual(r.shapes[0], [1, 32, 32, 1]);
    assert.deepEqual(r.shapes[1], [1, 32, 32, 3]);
  } finally { await ds.close(); }
});

test('state save/restore resumes mid-epoch and across epochs exactly', async () => {
  const full = await UnalignedDataset.open(base({ seed: 99 }));
  let want;
  try { want = [await collect(full), await collect(full)]; } finally { await full.close(); }
  const first = await UnalignedDataset.open(base({ seed: 99 }));
  let state;
  let part;
  try {
    part = await collect(first, 2);
    state = JSON.parse(JSON.stringify(first.getState()));
    assert.equal(state.position, 2);
  } finally { await first.close(); }
  const second = await UnalignedDataset.open(base({ seed: 12345 }));
  try {
    second.setState(state);
    const rest = await collect(second);
    const next = await collect(second);
    assert.deepEqual([...part.a, ...rest.a], want[0].a);
    assert.deepEqual([...part.b, ...rest.b], want[0].b);
    assert.deepEqual([...part.pix, ...rest.pix], want[0].pix);
    assert.deepEqual(next, want[1]);
  } finally { await second.close(); }
});

test('decoding runs on a worker, prefetches ahead, and matches the main-thread path', async () => {
  const w = await UnalignedDataset.open(base({ seed: 3, prefetch: 2 }));
  const m = await UnalignedDataset.open(base({ seed: 3, workers: 0 }));
  try {
    assert.equal(w.threaded, true);
    assert.equal(m.threaded, false);
    const it = w.epoch();
    const first = (await it.next()).value as Batch;
    // the next two batches (2 files each) were requested before the consumer asked for them
    assert.equal(w.stats.started, 2 * 3);
    first.A.dispose(); first.B.dispose();
    const rest: Batch[] = [];
    for await (const b of it) rest.push(b);
    const wa = [first, ...rest];
    const mb: Batch[] = [];
    for await (const b of m.epoch()) mb.push(b);
    assert.equal(mb.length, wa.length);
    for (let i = 1; i < wa.length; i++) {
      assert.deepEqual(wa[i].A.dataSync(), mb[i].A.dataSync());
      assert.deepEqual(wa[i].B.dataSync(), mb[i].B.dataSync());
    }
    for (const b of [...rest, ...mb]) { b.A.dispose(); b.B.dispose(); }
  } finally { await w.close(); await m.close(); }
});

test('missing, empty and unusable folders are clear errors naming the folder', async () => {
  await assert.rejects(UnalignedDataset.open(base({ dataroot: join(root, 'nope') })), (e: unknown) => e instanceof CycleGANError && /nope is not a folder/.test(e.message));
  await assert.rejects(UnalignedDataset.open(base({ phase: 'test' })), (e: unknown) => e instanceof CycleGANError && /missing folder .*testA/.test(e.message));
  await assert.rejects(UnalignedDataset.open(base({ phase: 'empty' })), (e: unknown) => e instanceof CycleGANError && /no usable image in .*emptyA \(the folder is empty\)/.test(e.message));
  await assert.rejects(UnalignedDataset.open(base({ phase: 'bad' })), (e: unknown) => e instanceof CycleGANError && /no usable image in .*badA .*x\.png/.test(e.message));
  await assert.rejects(scanImageFolder(join(root, 'trainA', 'a0.png')), /is not a folder/);
  await assert.rejects(UnalignedDataset.open(base({ preprocess: 'zoom' })), /unknown --preprocess 'zoom'/);
});

test('a file that breaks after the scan is skipped with a warning at load time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cg-ds2-'));
  try {
    for (const d of ['trainA', 'trainB']) for (let i = 0; i < 2; i++) await png(join(dir, d, `${i}.png`), 16, 16, 40 * i);
    const warnings: string[] = [];
    const ds = await UnalignedDataset.open({ dataroot: dir, preprocess: 'none', serialBatches: true, warn: (m) => warnings.push(m) });
    try {
      const good = await readFile(join(dir, 'trainA', '0.png'));
      await writeFile(join(dir, 'trainA', '0.png'), Buffer.concat([good.subarray(0, 40), Buffer.alloc(good.length - 40)]));
      const r = await collect(ds);
      assert.deepEqual(r.a, ['1.png', '1.png']);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /0\.png/);
    } finally { await ds.close(); }
  } finally { await rm(dir, { recursive: true, force: true }); }
});
