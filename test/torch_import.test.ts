// Reading PyTorch state dicts (zip and legacy torch.save formats, safetensors) and `cyclegan import-torch`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CycleGANError } from '../src/core/errors.js';
import { parseTorchStateDict, readTorchStateDict, type StateDict } from '../src/weights/torch_pth.js';
import { unpickle, PyDict } from '../src/weights/pickle.js';
import { loadNetwork } from '../src/weights/network_file.js';
import { run as importTorch } from '../src/cli/commands/import_torch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const FX = path.join(ROOT, 'test/fixtures/torch');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const fx = (f: string) => path.join(FX, f);

async function tmpDir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'cg-torch-'));
}

function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  return fn().finally(() => {
    console.log = log;
  });
}

function values(sd: StateDict, key: string): number[] {
  const t = sd.get(key);
  assert.ok(t, `key ${key} present`);
  return Array.from(t.data);
}

for (const fmt of ['zip', 'legacy']) {
  test(`reader: exact values, views, strides and dtypes (${fmt} format)`, async () => {
    const sd = await readTorchStateDict(fx(`reader_cases.${fmt}.pth`));
    // DataParallel 'module.' prefix removed
    assert.deepEqual([...sd.keys()], ['f32', 'view_offset', 'transposed', 'f16', 'f64', 'i64', 'bf16']);
    const ar = Array.from({ length: 24 }, (_, i) => i);
    assert.deepEqual(sd.get('f32')!.shape, [2, 3, 4]);
    assert.deepEqual(values(sd, 'f32'), ar);
    assert.deepEqual(sd.get('view_offset')!.shape, [3, 4]);
    assert.deepEqual(values(sd, 'view_offset'), ar.slice(12));
    assert.deepEqual(sd.get('transposed')!.shape, [4, 3]);
    assert.deepEqual(values(sd, 'transposed'), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual(values(sd, 'f16'), [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    assert.deepEqual(values(sd, 'f64'), [-2, -0.75, 0.5, 1.75]);
    assert.deepEqual(sd.get('i64')!.shape, []);
    assert.deepEqual(values(sd, 'i64'), [7]);
    assert.deepEqual(values(sd, 'bf16'), [1.5, -2, 0.25]);
  });
}

test('reader: zip, legacy and safetensors copies of one generator hold identical tensors', async () => {
  const zip = await readTorchStateDict(fx('resnet_6blocks_ngf4.zip.pth'));
  const legacy = await readTorchStateDict(fx('resnet_6blocks_ngf4.legacy.pth'));
  const st = await readTorchStateDict(fx('resnet_6blocks_ngf4.safetensors'));
  assert.equal(zip.size, 36);
  for (const other of [legacy, st]) {
    assert.deepEqual([...other.keys()], [...zip.keys()]);
    for (const [k, t] of zip) {
      assert.deepEqual(other.get(k)!.shape, t.shape, k);
      assert.deepEqual(other.get(k)!.data, t.data, k);
    }
  }
  assert.deepEqual(zip.get('model.1.weight')!.shape, [4, 3, 7, 7]);
  assert.deepEqual(zip.get('model.16.weight')!.shape, [16, 8, 3, 3]); // ConvTranspose2d: [in, out, kh, kw]
  assert.ok(zip.get('model.1.bias')!.data.some((v) => v !== 0));
});

test('reader: legacy checkpoints keep the stale InstanceNorm statistics for the loader to drop', async () => {
  const sd = await readTorchStateDict(fx('resnet_9blocks_ngf4.legacy.pth'));
  assert.ok(sd.has('model.2.running_mean'));
  assert.ok(sd.has('model.2.num_batches_tracked'));
  assert.equal(sd.size, 48 + 69);
});

/** Re-packs the zip fixture under another folder name with a minimal writer: every other entry deflated, and
 * optionally with zip64 records (sentinel 0xFFFFFFFF fields resolved through the zip64 extra field and EOCD). */
async function repack(zip64: boolean): Promise<Buffer> {
  const { ZipReader } = await import('../src/weights/zip.js');
  const { deflateRawSync } = await import('node:zlib');
  const src = new ZipReader(readFileSync(fx('reader_cases.zip.pth')));
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  let i = 0;
  for (const entry of src.entries.keys()) {
    const data = src.read(entry);
    const method = i++ % 2 === 0 ? 8 : 0;
    const comp = method === 8 ? deflateRawSync(data) : Buffer.from(data);
    const name = Buffer.from(entry.replace(/^[^/]+\//, 'my_weights/'));
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(zip64 ? 0xffffffff : comp.length, 20);
    ch.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    let extra = Buffer.alloc(0);
    if (zip64) {
      extra = Buffer.alloc(4 + 24);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(comp.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
      ch.writeUInt16LE(extra.length, 30);
    }
    parts.push(lh, name, comp);
    central.push(ch, name, extra);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const e64 = Buffer.alloc(56);
    e64.writeUInt32LE(0x06064b50, 0);
    e64.writeBigUInt64LE(44n, 4);
    e64.writeBigUInt64LE(BigInt(i), 24);
    e64.writeBigUInt64LE(BigInt(i), 32);
    e64.writeBigUInt64LE(BigInt(cd.length), 40);
    e64.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(e64, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : i, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : i, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, cd, ...tail, eocd]);
}

for (const zip64 of [false, true]) {
  test(`reader: zip archives under any folder name, stored or deflated${zip64 ? ', zip64 records' : ''}`, async () => {
    const sd = parseTorchStateDict(await repack(zip64), 'repacked.pth');
    assert.deepEqual(values(sd, 'transposed'), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual(values(sd, 'f16'), [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    assert.deepEqual(values(sd, 'f64'), [-2, -0.75, 0.5, 1.75]);
  });
}

test('pickle VM: protocol-2 opcodes torch uses (memo, marks, tuples, longs, dict items)', () => {
  // Built by hand so the test states exactly which opcodes it covers.
  const b: number[] = [];
  const str = (s: string) => {
    const u = Buffer.from(s, 'utf8');
    b.push(0x58, u.length, 0, 0, 0, ...u);
  };
  b.push(0x80, 2, 0x7d, 0x71, 0, 0x28); // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
  str('a');
  b.push(0x28, 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x4d, 0x2c, 0x01); // MARK 1 -2 300
  b.push(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40); // LONG1 2**70
  b.push(0x74, 0x71, 1); // TUPLE, BINPUT 1
  str('b');
  b.push(0x5d, 0x28, 0x88, 0x4e, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x65); // EMPTY_LIST MARK True None 1.5 APPENDS
  str('c');
  b.push(0x8c, 2, 0xc3, 0xa9); // SHORT_BINUNICODE 'é'
  str('d');
  b.push(0x68, 1); // BINGET 1: the same tuple again
  b.push(0x75, 0x2e); // SETITEMS STOP
  const { value, end } = unpickle(Uint8Array.from(b));
  assert.equal(end, b.length);
  assert.ok(value instanceof PyDict);
  assert.deepEqual([...value.get('a') as unknown[]], [1, -2, 300, 2n ** 70n]);
  assert.deepEqual(value.get('b'), [true, null, 1.5]);
  assert.equal(value.get('c'), 'é');
  assert.equal(value.get('d'), value.get('a'));
});

test('reader: Python-2 style OrderedDict pickles (items passed to REDUCE) and py2 byte-string keys', () => {
  // What torch.save under Python 2 writes for a state dict: OrderedDict([['w', tensor]]) with the items as
  // REDUCE arguments; keys are SHORT_BINSTRING. Storage: one FloatStorage of 2 elements, legacy layout.
  const b: number[] = [];
  const txt = (s: string) => b.push(...Buffer.from(s, 'latin1'));
  const pickled = (bytes: number[]) => b.push(...bytes);
  // magic number (LONG1), protocol version 1001 (BININT2), sys_info {} (EMPTY_DICT)
  pickled([0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  pickled([0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]);
  pickled([0x80, 2, 0x7d, 0x2e]);
  // main pickle
  pickled([0x80, 2, 0x63]); txt('collections\nOrderedDict\n');
  pickled([0x5d, 0x28, 0x5d, 0x28, 0x55, 1]); txt('w');
  pickled([0x63]); txt('torch._utils\n_rebuild_tensor\n');
  pickled([0x28, 0x28, 0x55, 7]); txt('storage'); // MARK (args), MARK (pid)
  pickled([0x63]); txt('torch\nFloatStorage\n');
  pickled([0x55, 1]); txt('0');
  pickled([0x55, 3]); txt('cpu');
  pickled([0x4b, 2, 0x4e, 0x74, 0x51]); // numel 2, view_metadata None, TUPLE, BINPERSID
  pickled([0x4b, 0, 0x4b, 2, 0x85, 0x4b, 1, 0x85, 0x74, 0x52]); // offset 0, size (2,), stride (1,), TUPLE, REDUCE
  pickled([0x65, 0x65, 0x85, 0x52, 0x2e]); // APPENDS (pair), APPENDS (list), TUPLE1, REDUCE, STOP
  pickled([0x80, 2, 0x5d, 0x55, 1]); txt('0'); pickled([0x61, 0x2e]); // storage keys ['0']
  const data = Buffer.alloc(8 + 8);
  data.writeBigInt64LE(2n, 0);
  data.writeFloatLE(1.25, 8);
  data.writeFloatLE(-3, 12);
  const sd = parseTorchStateDict(Buffer.concat([Buffer.from(b), data]), 'py2.pth');
  assert.deepEqual([...sd.keys()], ['w']);
  assert.deepEqual(sd.get('w')!.shape, [2]);
  assert.deepEqual(values(sd, 'w'), [1.25, -3]);
});

test('reader: unreadable files are one clear CycleGANError naming the file', async () => {
  const dir = await tmpDir();
  const zipBuf = readFileSync(fx('resnet_6blocks_ngf4.zip.pth'));
  const legacyBuf = readFileSync(fx('resnet_6blocks_ngf4.legacy.pth'));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty.pth', new Uint8Array(0), /not a PyTorch checkpoint/],
    ['text.pth', Buffer.from('hello, this is not a checkpoint\n'), /not a PyTorch checkpoint/],
    ['image.pth', readFileSync(fx('resnet_6blocks_ngf4_in0.png')), /not a PyTorch checkpoint/],
    ['truncated_zip.pth', zipBuf.subarray(0, Math.floor(zipBuf.length / 2)), /cannot read PyTorch weights/],
    ['truncated_legacy.pth', legacyBuf.subarray(0, Math.floor(legacyBuf.length / 2)), /cannot read PyTorch weights: truncated/],
    ['corrupt_pickle.pth', Buffer.concat([legacyBuf.subarray(0, 40), Buffer.alloc(200, 0xee)]), /cannot read PyTorch weights/],
  ];
  for (const [name, data, re] of cases) {
    const p = path.join(dir, name);
    await fsp.writeFile(p, data);
    await assert.rejects(readTorchStateDict(p), (e: unknown) => {
      assert.ok(e instanceof CycleGANError, `${name}: ${String(e)}`);
      assert.match(e.message, re, name);
      assert.ok(e.message.includes(p), `${name}: message names the file: ${e.message}`);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
  await assert.rejects(readTorchStateDict(path.join(dir, 'missing.pth')), /missing\.pth: cannot read PyTorch weights: no such file or folder \(ENOENT\)$/);
  await fsp.rm(dir, { recursive: true, force: true });
});

test('import-torch: each format and family imports into a self-describing model file', async () => {
  const dir = await tmpDir();
  const cases: Array<[string, string, number, number]> = [
    ['resnet_6blocks_ngf4.zip.pth', 'resnet_6blocks', 4, 36],
    ['resnet_6blocks_ngf4.legacy.pth', 'resnet_6blocks', 4, 36],
    ['resnet_6blocks_ngf4.safetensors', 'resnet_6blocks', 4, 36],
    ['resnet_9blocks_ngf4.legacy.pth', 'resnet_9blocks', 4, 48],
    ['unet_128_ngf4.zip.pth', 'unet_128', 4, 28],
    ['unet_256_ngf2.legacy.pth', 'unet_256', 2, 32],
  ];
  for (const [file, netG, ngf, nParams] of cases) {
    const out = path.join(dir, `${file}.safetensors`);
    assert.equal(await quiet(() => importTorch([fx(file), '--netG', netG, '--ngf', String(ngf), '--out', out])), 0);
    const net = await loadNetwork(out);
    try {
      assert.deepEqual(net.spec, { role: 'generator', netG, inputNc: 3, outputNc: 3, ngf, norm: 'instance', useDropout: false });
      assert.equal(net.params.size, nParams, file);
      // weights land in TF.js layout: conv [kh,kw,in,out]
      const key = netG.startsWith('unet') ? 'model.model.0.weight' : 'model.1.weight';
      const src = (await readTorchStateDict(fx(file))).get(key);
      assert.ok(src);
      const w = net.params.get(key)!;
      const [o, i, kh, kw] = src.shape;
      assert.deepEqual(w.shape, [kh, kw, i, o]);
      const d = w.dataSync();
      const [y, x, ci, co] = [1, 2, i - 1, o - 1];
      assert.equal(d[((y * kw + x) * i + ci) * o + co], src.data[((co * i + ci) * kh + y) * kw + x]);
    } finally {
      net.dispose();
    }
  }
  await fsp.rm(dir, { recursive: true, force: true });
});

test('import-torch: a wrong --netG or --ngf is one clear line naming the key and the flag', async () => {
  const dir = await tmpDir();
  const out = path.join(dir, 'x.safetensors');
  const attempts: Array<[string[], RegExp]> = [
    [['--netG', 'resnet_9blocks', '--ngf', '4'], /unexpected key 'model\.16\.weight' for netG=resnet_9blocks/],
    [['--netG', 'resnet_6blocks', '--ngf', '8'], /'model\.1\.weight' has shape \[4,3,7,7\] but .* expects \[8,3,7,7\]/],
    [['--netG', 'unet_128', '--ngf', '4'], /unexpected key 'model\.1\.weight'/],
  ];
  for (const [flags, re] of attempts) {
    await assert.rejects(importTorch([fx('resnet_6blocks_ngf4.zip.pth'), ...flags, '--out', out]), (e: unknown) => {
      assert.ok(e instanceof CycleGANError, String(e));
      assert.match(e.message, re);
      assert.match(e.message, /--netG/);
      assert.match(e.message, /--ngf/);
      return true;
    });
  }
  // and from the real CLI: exit 2, one line on stderr, no stack trace, no file written
  const r = spawnSync(process.execPath, [CLI, 'import-torch', fx('resnet_6blocks_ngf4.legacy.pth'), '--netG', 'resnet_9blocks', '--ngf', '4', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('cyclegan:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /unexpected key 'model\.16\.weight'.* check --netG and --ngf/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  await assert.rejects(fsp.stat(out));
  // a corrupt file through the CLI
  const bad = path.join(dir, 'bad.pth');
  await fsp.writeFile(bad, readFileSync(fx('unet_128_ngf4.zip.pth')).subarray(0, 5000));
  const r2 = spawnSync(process.execPath, [CLI, 'import-torch', bad, '--netG', 'unet_128', '--ngf', '4', '--out', out], { encoding: 'utf8' });
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /cyclegan: .*bad\.pth: cannot read PyTorch weights/);
  assert.doesNotMatch(r2.stderr, /^\s+at /m);
  await fsp.rm(dir, { recursive: true, force: true });
});

test('import-torch: bad flags are usage errors', async () => {
  await assert.rejects(importTorch(['--netG', 'resnet_6blocks', '--out', 'x.safetensors']), /needs the \.pth file/);
  await assert.rejects(importTorch([fx('resnet_6blocks_ngf4.zip.pth'), '--netG', 'resnet_7blocks', '--out', 'x.safetensors']), /unknown --netG 'resnet_7blocks'/);
  await assert.rejects(importTorch([fx('resnet_6blocks_ngf4.zip.pth'), '--netG', 'resnet_6blocks', '--ngf', '4']), /missing required flag --out/);
});

test('reader: randomly corrupted files either parse or fail as a CycleGANError, never a crash', () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const f of ['reader_cases.zip.pth', 'reader_cases.legacy.pth']) {
    const orig = readFileSync(fx(f));
    let failed = 0;
    for (let it = 0; it < 400; it++) {
      const b = Buffer.from(orig);
      for (let j = 0, k = 1 + Math.floor(rnd() * 4); j < k; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        parseTorchStateDict(b, f);
      } catch (e) {
        assert.ok(e instanceof CycleGANError, `${f} mutation ${it}: ${(e as Error).stack}`);
        failed++;
      }
    }
    assert.ok(failed > 0, 'some mutations must be detected');
  }
});
