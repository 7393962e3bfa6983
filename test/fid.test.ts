test('FID of two sets: statistics computed once and shared (--save-stats), the samples path equal to the covariance one', async () => {
  let seed = 5;
  const r = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5; };
  const feats = (n: number, d: number, shift: number): Features => ({ n, dims: d, data: Float64Array.from({ length: n * d }, () => r() + shift) });
  const d = 8;
  // n < d: from the samples; n ≥ d: from the statistics; both give frechetDistance of the statistics
  for (const n of [5, 20]) {
    const a = feats(n, d, 0), b = feats(n + 1, d, 0.3);
    const want = frechetDistance(statsOf(a), statsOf(b));
    const setA: FidSet = { features: a }, setB: FidSet = { features: b };
    assert.equal(fidFromSamples(setA, setB), n < d);
    const got = fidOfSets(setA, setB);
    assert.ok(Math.abs(got / want - 1) < 1e-9, `n ${n}: ${got} vs ${want}`);
    assert.equal(frechetDistanceOfFeatures(a, b), got);
    assert.equal(setA.stats !== undefined, n >= d, 'statistics are computed only on the covariance path');
  }
  // statsOfSet computes a folder's statistics once and keeps them: what --save-stats wrote is what the distance uses
  const a = feats(20, d, 0), b = feats(20, d, 0.3), other = feats(20, d, 1);
  const setA: FidSet = { features: a };
  const saved = statsOfSet(setA);
  assert.equal(statsOfSet(setA), saved);
  setA.stats = statsOf(other); // stand-in: had the distance recomputed them, it would not see this
  assert.equal(fidOfSets(setA, { features: b }), frechetDistance(statsOf(other), statsOf(b)));
  // an .npz (statistics only) against a folder
  assert.equal(fidOfSets({ stats: statsOf(a) }, { features: b }), frechetDistance(statsOf(a), statsOf(b)));
  assert.throws(() => fidOfSets({ features: feats(1, d, 0) }, { features: b }), /a covariance needs at least 2 images, got 1/);
  assert.throws(() => fidOfSets({ features: feats(3, 4, 0) }, { features: feats(3, 8, 0) }), /features have different dimensions \(4 and 8\)/);
  // one dimension check (sharedDims) for every pairing, and a folder's statistics are not computed before it
  const same = /features have different dimensions \(8 and 4\): use the same --dims for both$/;
  const big: FidSet = { features: feats(20, d, 0) };
  assert.throws(() => fidOfSets(big, { stats: statsOf(feats(20, 4, 0)) }), same);
  assert.equal(big.stats, undefined, 'statistics were computed before the dimensions were checked');
  assert.throws(() => frechetDistance(statsOf(feats(20, d, 0)), statsOf(feats(20, 4, 0))), same);
  await assert.rejects(kernelInceptionDistance(feats(3, d, 0), feats(3, 4, 0)), same);
  assert.throws(() => fidOfSets({}, big), /an FID set needs its features or its statistics/);
});

// FID/KID (issue 14): parity with pytorch-fid on a fixture made at test time by Debian's torch/torchvision
// (test/fixtures/fid/make_fid_fixture.py: patched Inception3 with seeded random weights, legacy .pth, scipy
// sqrtm), .npz statistics both ways with NumPy, edge cases, and the weights download against a local server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backends/index.js';
import { downloadFile, hashPrefixOf } from '../src/data/http_download.js';
import {
  computeFid, encodeFidStats, featuresOfFiles, fidFromSamples, fidOfSets, FidInception, frechetDistance, frechetDistanceOfFeatures,
  inceptionWeightsPath, kernelInceptionDistance, listFidImages, parseFidStats, readFidStats, statsOf, statsOfSet, writeFidStats,
  type Features, type FidDims, type FidSet,
} from '../src/metrics/index.js';
import { symmetricEigenvalues, traceSqrtProduct } from '../src/metrics/linalg.js';
import { encodeNpy } from '../src/metrics/npz.js';
import { writeStoredZip } from '../src/weights/zip.js';
import { readTorchStateDict } from '../src/weights/torch_pth.js';
import { REPO_ROOT, relativeError } from './helpers/fixtures.js';
import { makeDigitsDataset } from './workflow_util.js';

const PY = '/usr/bin/python3';
const SCRIPT = path.join(REPO_ROOT, 'test/fixtures/fid/make_fid_fixture.py');
const FX = path.join(REPO_ROOT, '.cache/fid-fixture'); // git-ignored
const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

/** Makes (or reuses, if made by this version of the script) the fixture; a reason to skip when torch is missing. */
function ensureFixture(): string | false {
  const probe = spawnSync(PY, ['-c', 'import torch, torchvision, scipy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `${PY} with torch, torchvision and scipy is needed (apt-get install python3-torch python3-torchvision python3-scipy)`;
    if (process.env.CI) throw new Error(`CI: ${why}`);
    return why;
  }
  const stamp = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  const stampFile = path.join(FX, 'stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return false;
  const tmp = `${FX}.tmp-${process.pid}`;
  const t0 = Date.now();
  const r = spawnSync(PY, [SCRIPT, tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fixture generator failed: ${r.stderr.slice(-2000)}`);
  require_ok(existsSync(path.join(tmp, 'expected.json')));
  spawnSync('rm', ['-rf', FX]);
  spawnSync('mv', [tmp, FX]);
  spawnSync('sh', ['-c', `printf %s ${stamp} > ${stampFile}`]);
  console.log(`# FID fixture made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return false;
}
function require_ok(v: boolean): void {
  if (!v) throw new Error('fixture generator wrote no expected.json');
}

const skip = ensureFixture();
const exp = skip ? undefined : JSON.parse(readFileSync(path.join(FX, 'expected.json'), 'utf8'));
const WEIGHTS = path.join(FX, 'inception_fixture.pth');
let net: FidInception | undefined;
async function getNet(): Promise<FidInception> {
  if (!net) {
    await initBackend('auto');
    net = FidInception.fromStateDict(await readTorchStateDict(WEIGHTS), WEIGHTS);
  }
  return net;
}
const filesOf = (dir: string): string[] => (exp[`files_${dir.toLowerCase()}`] as string[]).map((f) => path.join(FX, dir, f));

function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  return fn().finally(() => { console.log = log; });
}

test('linear algebra: eigenvalues and Tr(sqrtm(S1·S2)) against closed forms', () => {
  const n = 7;
  let s = 3;
  const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = r(); a[i * n + j] = v; a[j * n + i] = v; }
  const ev = symmetricEigenvalues(Float64Array.from(a), n);
  let tr = 0, fro = 0;
  for (let i = 0; i < n; i++) tr += a[i * n + i];
  for (const v of a) fro += v * v;
  assert.ok(Math.abs(ev.reduce((x, y) => x + y, 0) - tr) < 1e-12, 'Σλ = trace');
  assert.ok(Math.abs(ev.reduce((x, y) => x + y * y, 0) - fro) < 1e-12, 'Σλ² = ‖A‖²');
  // S = AAᵀ (PSD); with S1 = diag(c²)·… use S1 = c²·I: Tr sqrt(c² S) = c·Σ√λ(S); and rank-deficient S1
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let t = 0; for (let k = 0; k < n; k++) t += a[i * n + k] * a[j * n + k]; S[i * n + j] = t; }
  const evS = symmetricEigenvalues(Float64Array.from(S), n);
  const want = evS.reduce((x, y) => x + Math.sqrt(Math.max(y, 0)), 0);
  const I4 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I4[i * n + i] = 4;
  assert.ok(Math.abs(traceSqrtProduct(I4, S, n) - 2 * want) < 1e-10);
  assert.ok(Math.abs(traceSqrtProduct(S, I4, n) - 2 * want) < 1e-10, 'pivoted Cholesky path');
  // S1 = e0 e0ᵀ (rank 1): eig(S1 S) = {S00, 0…}
  const E = new Float64Array(n * n);
  E[0] = 1;
  assert.ok(Math.abs(traceSqrtProduct(E, S, n) - Math.sqrt(S[0])) < 1e-12);
});

test('pytorch-fid parity: features (64/192/768/2048), FID and KID on the fixture', { skip }, async () => {
  const m = await getNet();
  const a = filesOf('A'), b = filesOf('B');
  for (const dims of [64, 192, 768] as FidDims[]) {
    const f = await featuresOfFiles(m, a.slice(0, 3), { dims });
    const rel = relativeError(f.data, (exp.dims[dims].features_a as number[][]).flat());
    console.log(`# features dims ${dims}: relative error ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-4, `dims ${dims}: ${rel}`);
  }
  // batch size 4 over 10 images: a last partial batch; the whole folder is also fewer than the default 50
  const fa = await featuresOfFiles(m, a, { dims: 2048, batchSize: 4 });
  const fb = await featuresOfFiles(m, b, { dims: 2048 });
  const rel = relativeError(fa.data.subarray(0, 3 * 2048), (exp.dims['2048'].features_a as number[][]).flat());
  console.log(`# features dims 2048: relative error ${rel.toExponential(2)}`);
  assert.ok(rel <= 1e-4, `dims 2048: ${rel}`);
  const fid = frechetDistance(statsOf(fa), statsOf(fb));
  const want = exp.dims['2048'].fid as number;
  console.log(`# FID ${fid} vs pytorch-fid ${want}: ${(Math.abs(fid / want - 1) * 100).toExponential(2)} %`);
  assert.ok(Math.abs(fid / want - 1) <= 0.005, `FID ${fid} vs ${want}`);
  // the same from the features (cross-Gram path, n < d): no d×d work
  const fidF = frechetDistanceOfFeatures(fa, fb);
  console.log(`# FID from features ${fidF}: ${(Math.abs(fidF / want - 1) * 100).toExponential(2)} %`);
  assert.ok(Math.abs(fidF / want - 1) <= 0.005, `FID (features) ${fidF} vs ${want}`);
  assert.ok(Math.abs(fidF / fid - 1) <= 1e-6, `both exact identities agree (${fidF} vs ${fid})`);
  const kid = await kernelInceptionDistance(fa, fb, { subsets: 1, subsetSize: 1000 });
  const wantK = exp.dims['2048'].kid as number;
  console.log(`# KID ${kid.mean} vs reference ${wantK}: ${(Math.abs(kid.mean / wantK - 1) * 100).toExponential(2)} %`);
  assert.equal(kid.subsetSize, 10);
  assert.ok(Math.abs(kid.mean / wantK - 1) <= 0.01, `KID ${kid.mean} vs ${wantK}`);
  // statistics written by NumPy (np.savez) read back: same FID
  const npStats = await readFidStats(path.join(FX, 'stats_a_2048.npz'));
  assert.ok(Math.abs(frechetDistance(npStats, statsOf(fb)) / want - 1) <= 0.005);
  // our statistics file, read by np.load, against pytorch-fid's statistics of the same images
  const ours = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-fid-')), 'a.npz');
  await writeFidStats(ours, statsOf(fa));
  const py = spawnSync(PY, ['-c', `import numpy as np, json, sys
f = np.load(sys.argv[1]); g = np.load(sys.argv[2])
print(json.dumps([f['mu'].dtype.str, list(f['sigma'].shape), float(abs(f['mu'] - g['mu']).max() / abs(g['mu']).max()), float(abs(f['sigma'] - g['sigma']).max() / abs(g['sigma']).max())]))`,
  ours, path.join(FX, 'stats_a_2048.npz')], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const [dtype, shape, dmu, dsig] = JSON.parse(py.stdout);
  assert.equal(dtype, '<f8');
  assert.deepEqual(shape, [2048, 2048]);
  assert.ok(dmu < 1e-4 && dsig < 1e-4, `np.load of ours vs pytorch-fid's statistics: ${dmu} ${dsig}`);
  // with per-dims FID at 64 (a 64×64 problem where the pivoted path sees full rank 9 of 64)
  const f64a = await featuresOfFiles(m, a, { dims: 64 }), f64b = await featuresOfFiles(m, b, { dims: 64 });
  const fid64 = frechetDistance(statsOf(f64a), statsOf(f64b));
  assert.ok(Math.abs(fid64 / exp.dims['64'].fid - 1) <= 0.005, `FID@64 ${fid64} vs ${exp.dims['64'].fid}`);
});

test('cyclegan fid on the command line (--dims 192): JSON, --kid, --save-stats, a stats file as PATH1', { skip }, async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-fid-'));
  const stats = path.join(dir, 'a.npz');
  const want = exp.dims['192'];
  const r = spawnSync(process.execPath, [CLI, 'fid', path.join(FX, 'A'), path.join(FX, 'B'), '--inception-weights', WEIGHTS,
    '--dims', '192', '--kid', '--kid-subsets', '2', '--kid-subset-size', '10', '--save-stats', stats, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  assert.deepEqual(Object.keys(out).sort(), ['fid', 'kid_mean', 'kid_std', 'n1', 'n2']);
  assert.equal(out.n1, 10);
  assert.equal(out.n2, 10);
  assert.ok(Math.abs(out.fid / want.fid - 1) <= 0.005, `CLI FID ${out.fid} vs ${want.fid}`);
  assert.ok(Math.abs(out.kid_mean / want.kid - 1) <= 0.01, `CLI KID ${out.kid_mean} vs ${want.kid}`);
  assert.ok(out.kid_std < 1e-6 * Math.abs(out.kid_mean), 'every subset holds all 10 images: the same MMD');
  assert.match(r.stderr, /Inception features of .*A: 10 \/ 10/);
  const py = spawnSync(PY, ['-c', 'import numpy as np, sys; f = np.load(sys.argv[1]); print(f["mu"].shape, f["sigma"].shape, f["sigma"].dtype)', stats], { encoding: 'utf8' });
  assert.equal(py.stdout.trim(), '(192,) (192, 192) float64', py.stderr);
  // the saved statistics as PATH1 (nothing to compute for it): same FID
  const r2 = spawnSync(process.execPath, [CLI, 'fid', stats, path.join(FX, 'B'), '--inception-weights', WEIGHTS, '--dims', '192', '--json'], { encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  const out2 = JSON.parse(r2.stdout.trim());
  assert.ok(Math.abs(out2.fid - out.fid) <= 1e-9 * Math.abs(out.fid), `${out2.fid} vs ${out.fid}`);
  assert.equal(out2.n1, undefined);
  assert.equal(out2.n2, 10);
});

test('.npz statistics: round trip, np.savez_compressed input, Fortran order, bad files', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-npz-'));
  const d = 3;
  const st = { dims: d, mu: Float64Array.from([1.5, -2, 1e-300]), sigma: Float64Array.from([1, 0.5, 0, 0.5, 2, 0.25, 0, 0.25, 3]) };
  const f = path.join(dir, 's.npz');
  await writeFidStats(f, st);
  const back = await readFidStats(f);
  assert.deepEqual([...back.mu], [...st.mu]);
  assert.deepEqual([...back.sigma], [...st.sigma]);
  assert.throws(() => parseFidStats(Buffer.from('not a zip'), 'x.npz'), /x\.npz is not an \.npz file/);
  const mismatched = writeStoredZip([{ name: 'mu.npy', data: encodeNpy([3], st.mu) }, { name: 'sigma.npy', data: encodeNpy([2, 2], st.sigma.subarray(0, 4)) }]);
  assert.throws(() => parseFidStats(mismatched, 'y.npz'), /y\.npz: 'sigma' has shape \[2,2\], expected \[3, 3\]/);
  assert.throws(() => parseFidStats(writeStoredZip([{ name: 'mu.npy', data: encodeNpy([3], st.mu) }]), 'z.npz'), /z\.npz has no 'sigma' array/);
  if (spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0) {
    const g = path.join(dir, 'c.npz');
    const py = spawnSync(PY, ['-c', `import numpy as np, sys
np.savez_compressed(sys.argv[1], mu=np.arange(3, dtype=np.float32), sigma=np.asfortranarray(np.arange(9.).reshape(3, 3)))
f = np.load(sys.argv[2]); print(f['mu'].tolist(), f['sigma'].tolist())`, g, f], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), '[1.5, -2.0, 1e-300] [[1.0, 0.5, 0.0], [0.5, 2.0, 0.25], [0.0, 0.25, 3.0]]');
    const c = await readFidStats(g);
    assert.deepEqual([...c.mu], [0, 1, 2]);
    assert.deepEqual([...c.sigma], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  }
});

test('folders: empty, non-image files, an unreadable image, one image, missing path → one line each', async () => {
  await initBackend('auto');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-fidf-'));
  const empty = path.join(dir, 'empty');
  await fsp.mkdir(empty);
  const mixed = path.join(dir, 'mixed');
  await fsp.mkdir(path.join(mixed, 'sub'), { recursive: true });
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');
  await fsp.writeFile(path.join(mixed, 'b.png'), png);
  await fsp.writeFile(path.join(mixed, 'a.PNG'), png);
  await fsp.writeFile(path.join(mixed, 'notes.txt'), 'hello');
  await fsp.writeFile(path.join(mixed, 'sub', 'c.png'), png);
  const l = await listFidImages(mixed);
  assert.deepEqual(l.files.map((p) => path.basename(p)), ['a.PNG', 'b.png']);
  assert.deepEqual(l.ignored.map((p) => path.basename(p)).sort(), ['notes.txt', 'sub']);
  const one = path.join(dir, 'one');
  await fsp.mkdir(one);
  await fsp.writeFile(path.join(one, 'x.png'), png);
  const bad = path.join(dir, 'bad');
  await fsp.mkdir(bad);
  await fsp.writeFile(path.join(bad, 'a.png'), png);
  await fsp.writeFile(path.join(bad, 'broken.png'), 'this is not a png');
  const cases: [string, string, RegExp][] = [
    [empty, mixed, /no images in .*empty \(the folder is empty\)/],
    [one, mixed, /has 1 image: FID needs at least 2/],
    [path.join(dir, 'nope'), mixed, /nope does not exist/],
    [path.join(dir, 'x.npz'), mixed, /x\.npz does not exist/],
  ];
  if (!skip) cases.push([bad, mixed, /broken\.png: /]);
  for (const [p1, p2, re] of cases) {
    await assert.rejects(computeFid(p1, p2, { file: WEIGHTS }), (e: Error) => re.test(e.message) && !e.message.includes('\n'), p1);
  }
  await assert.rejects(computeFid(mixed, mixed, { dims: 100 as FidDims }), /--dims must be one of 64, 192, 768, 2048/);
  await assert.rejects(computeFid(path.join(dir, 'x.npz'), mixed, { kid: true }), /--kid needs two image folders/);
  // on the command line: exit 2 and one line
  for (const [args, re] of [[[empty, mixed], /^cyclegan: no images in .*empty/], [[mixed], /fid needs exactly two paths/]] as [string[], RegExp][]) {
    const r = spawnSync(process.execPath, [CLI, 'fid', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
  }
});

test('weights mapping: a missing or unexpected key is a one-line error naming it', { skip }, async () => {
  const sd = await readTorchStateDict(WEIGHTS);
  const w = sd.get('Mixed_6b.branch7x7_2.conv.weight')!;
  sd.delete('Mixed_6b.branch7x7_2.conv.weight');
  assert.throws(() => FidInception.fromStateDict(sd, 'w.pth'), /w\.pth is not the pytorch-fid Inception state dict: 1 missing key\(s\), first 'Mixed_6b\.branch7x7_2\.conv\.weight'/);
  sd.set('Mixed_6b.branch7x7_2.conv.weight', { shape: [w.shape[0], w.shape[1], 7, 1], data: w.data });
  assert.throws(() => FidInception.fromStateDict(sd, 'w.pth'), /Mixed_6b\.branch7x7_2\.conv\.weight has shape \[128,128,7,1\], expected \[128,128,1,7\]/);
  sd.set('Mixed_6b.branch7x7_2.conv.weight', w);
  sd.set('AuxLogits.fc.weight', { shape: [1], data: new Float32Array(1) });
  assert.throws(() => FidInception.fromStateDict(sd, 'w.pth'), /1 unexpected key\(s\), first 'AuxLogits\.fc\.weight'/);
});

test('weights download: progress, resume after an interrupted transfer, corrupt file rejected, flag and env', async () => {
  const body = Buffer.alloc(300_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7919) % 251;
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 8);
  const ranges: (string | undefined)[] = [];
  let mode: 'cut' | 'ok' | 'corrupt' = 'cut';
  let served = 0;
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    if (req.url?.startsWith('/redirect/')) {
      res.writeHead(302, { location: req.url.slice('/redirect'.length) });
      return res.end();
    }
    const data = mode === 'corrupt' ? Buffer.from(body).fill(1, 1000, 1010) : body;
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, { 'content-length': data.length - start, ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
    if (mode === 'cut' && served++ === 0) {
      // first response: send 40% and drop the connection
      res.write(data.subarray(start, 120_000), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(data.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-dl-'));
  try {
    assert.equal(hashPrefixOf('pt_inception-2015-12-05-6726825d.pth'), '6726825d');
    const name = `weights-${hash}.pth`;
    const dest = path.join(dir, name);
    const seen: number[] = [];
    await downloadFile(`${base}/redirect/${name}`, dest, { onProgress: (d) => seen.push(d) });
    assert.deepEqual(readFileSync(dest), body);
    assert.ok(ranges.includes('bytes=120000-'), `resumed with a Range request (${ranges.join(' ')})`);
    assert.equal(seen.at(-1), body.length);
    assert.ok(!existsSync(`${dest}.part`));
    // a part file left by an earlier run is resumed too
    mode = 'ok';
    ranges.length = 0;
    const dest2 = path.join(dir, 'again', name);
    await fsp.mkdir(path.dirname(dest2));
    await fsp.writeFile(`${dest2}.part`, body.subarray(0, 50_000));
    await downloadFile(`${base}/${name}`, dest2);
    assert.deepEqual(ranges, ['bytes=50000-']);
    assert.deepEqual(readFileSync(dest2), body);
    // corrupt: rejected by the hash prefix, nothing installed
    mode = 'corrupt';
    const dest3 = path.join(dir, 'bad', name);
    await assert.rejects(downloadFile(`${base}/${name}`, dest3), /is corrupt: sha256 [0-9a-f]{16}… does not start with [0-9a-f]{8} \(deleted; run again\)/);
    assert.ok(!existsSync(dest3) && !existsSync(`${dest3}.part`));
    // the FID weights path: cached download into <cache>/models, then the flag and the env var
    mode = 'ok';
    const cache = path.join(dir, 'cache');
    await assert.rejects(inceptionWeightsPath({ cacheDir: cache, url: `${base}/${name}` }), /does not start with 6726825d.*--inception-weights FILE/);
    assert.ok(!existsSync(path.join(cache, 'models', 'pt_inception-2015-12-05-6726825d.pth')));
    await assert.rejects(inceptionWeightsPath({ file: path.join(dir, 'missing.pth') }), /--inception-weights: .*missing\.pth does not exist/);
    process.env.CYCLEGAN_INCEPTION_WEIGHTS = dest;
    try {
      assert.equal(await inceptionWeightsPath({ cacheDir: cache }), dest);
    } finally {
      delete process.env.CYCLEGAN_INCEPTION_WEIGHTS;
    }
  } finally {
    server.close();
  }
});

test('--fid-batch-size is bounded like fid --batch-size: 0 is one line naming the flag (it used to reach the Inception batch loop, which then never advanced)', () => {
  for (const [args, flag] of [[['eval', '--dataroot', 'd', '--name', 'r', '--metrics', 'fid', '--fid-batch-size', '0'], 'fid-batch-size'],
    [['fid', 'a', 'b', '--batch-size', '0'], 'batch-size']] as const) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--${flag} must be between 1 and 256, got 0`), r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('cyclegan eval --metrics fid,kid,psnr,ssim on a run: both directions, scores in the run folder and on the page', { skip }, async () => {
  await initBackend('auto');
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-evalfid-'));
  const data = path.join(root, 'data'), ck = path.join(root, 'ck'), res = path.join(root, 'res');
  await makeDigitsDataset(data, { train: 2, test: 3, size: 16 });
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  const common = ['--dataroot', data, '--name', 'r', '--checkpoints-dir', ck];
  let r = cli(['train', ...common, '--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--netD', 'n_layers', '--n-layers-D', '1',
    '--load-size', '16', '--crop-size', '16', '--n-epochs', '1', '--n-epochs-decay', '0', '--seed', '1', '--display-freq', '1000']);
  assert.equal(r.status, 0, r.stderr);
  r = cli(['test', ...common, '--results-dir', res]);
  assert.equal(r.status, 0, r.stderr);
  r = cli(['eval', ...common, '--results-dir', res, '--metrics', 'fid,kid,psnr,ssim', '--inception-weights', WEIGHTS,
    '--kid-subsets', '3', '--kid-subset-size', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.ok(Number.isFinite(out.psnr) && Number.isFinite(out.ssim), 'PSNR/SSIM against testB_truth');
  assert.deepEqual(out.scores.map((x: { label: string }) => x.label), ['fake_B', 'fake_A']);
  for (const x of out.scores) {
    assert.equal(x.n_fake, 3);
    assert.equal(x.n_real, 3);
    assert.ok(Number.isFinite(x.fid) && x.fid > 0 && Number.isFinite(x.kid_mean) && x.kid_std >= 0, JSON.stringify(x));
  }
  const saved = JSON.parse(readFileSync(path.join(ck, 'r', 'eval_latest.json'), 'utf8'));
  assert.equal(saved.scores[0].fid, out.scores[0].fid);
  const page = readFileSync(path.join(res, 'r', 'test_latest', 'index.html'), 'utf8');
  assert.match(page, /fake_B: FID \d+\.\d{4}\s+KID/);
  // the same number as `cyclegan fid` on the PNGs `cyclegan test` wrote (translations are quantised the same way)
  const fakes = path.join(root, 'fakeB');
  await fsp.mkdir(fakes);
  const imgs = path.join(res, 'r', 'test_latest', 'images');
  for (const f of await fsp.readdir(imgs)) if (f.endsWith('_fake_B.png')) await fsp.copyFile(path.join(imgs, f), path.join(fakes, f));
  const lib = await quiet(() => computeFid(fakes, path.join(data, 'testB'), { file: WEIGHTS }));
  assert.equal(lib.n1, 3);
  assert.ok(Math.abs(lib.fid - out.scores[0].fid) <= 1e-6 * lib.fid, `eval ${out.scores[0].fid} vs fid on saved PNGs ${lib.fid}`);
  // unknown metric: one line
  r = cli(['eval', ...common, '--metrics', 'fid,lpips']);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^cyclegan: --metrics: unknown metric 'lpips'/);
});

test('the wasm backend (tfjs pools instead of the native-composed ones) gives the same features', { skip }, async () => {
  const prev = await initBackend('auto');
  await initBackend('wasm');
  const w = FidInception.fromStateDict(await readTorchStateDict(WEIGHTS), WEIGHTS);
  try {
    for (const dims of [768, 2048] as FidDims[]) {
      const f = await featuresOfFiles(w, filesOf('A').slice(0, 2), { dims });
      const rel = relativeError(f.data, (exp.dims[dims].features_a as number[][]).slice(0, 2).flat());
      console.log(`# wasm features dims ${dims}: relative error ${rel.toExponential(2)}`);
      assert.ok(rel <= 1e-4, `wasm dims ${dims}: ${rel}`);
    }
  } finally {
    w.dispose();
    await initBackend(prev);
  }
});

test.after(() => net?.dispose());
