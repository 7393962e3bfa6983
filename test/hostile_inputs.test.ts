// Hostile and broken inputs (issue 10). Every case is BUILT here (zip bombs, stride-0 and shared-storage
// amplification, malformed safetensors headers, absurd architecture metadata, pixel bombs, absurd flags,
// unwritable folders, an injected ENOSPC, two trainers on one run) and run through the CLI in a child
// process: the result must be one line on stderr naming the file or flag (no stack trace), a non-zero exit,
// and a peak RSS under RSS_LIMIT_MB, measured in the child by a preloaded module.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as os from 'node:os';
import { promises as fsp, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { deflateRawSync, createDeflateRaw } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf } from '../src/core/tf.js';
import { createNetwork, type GeneratorSpec } from '../src/core/networks/index.js';
import { encodeNetwork, expectedStateShapes } from '../src/weights/network_file.js';
import { makeRandomDataset, tempDir, writePng } from './workflow_util.js';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
/** Peak resident memory allowed for any case (each input file is under 10 MB). */
const RSS_LIMIT_MB = 512;
const SPEC: GeneratorSpec = { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false };
const TINY = ['--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--netD', 'n_layers', '--n-layers-D', '1',
  '--load-size', '18', '--crop-size', '16', '--backend', 'wasm', '--seed', '1', '--no-flip'];

let dir = '';
let preload = '';
let modelFile = '';

test.before(async () => {
  dir = await tempDir('hostile');
  // Reports the child's peak RSS (KB) to the file named by RSS_OUT, whatever way it exits; and, with
  // INJECT_ENOSPC_AT=n, makes the n-th file opened for writing inside a checkpoint generation fail with
  // ENOSPC half-way through its write, as a full disk does.
  preload = path.join(dir, 'preload.mjs');
  writeFileSync(preload, `
import { promises as fsp, writeFileSync } from 'node:fs';
process.on('exit', () => { if (process.env.RSS_OUT) writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)); });
const at = Number(process.env.INJECT_ENOSPC_AT || 0);
if (at > 0) {
  let n = 0;
  const open = fsp.open;
  fsp.open = async function (p, flags, ...rest) {
    const fh = await open.call(this, p, flags, ...rest);
    if (typeof p === 'string' && /[\\\\/]state[\\\\/]gen-/.test(p) && String(flags).includes('w') && ++n >= at) {
      fh.writeFile = async (data) => {
        const half = typeof data === 'string' ? data.slice(0, data.length >> 1) : data.subarray(0, data.length >> 1);
        await fh.write(half);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write', path: p });
      };
    }
    return fh;
  };
}
// INJECT_EACCES=substring: listing, creating or writing any path containing it fails with EACCES, as a folder
// without permission does for a normal user (the tests run as root, where chmod does not deny anything).
const denied = process.env.INJECT_EACCES;
if (denied) {
  for (const name of ['readdir', 'mkdir', 'open']) {
    const orig = fsp[name];
    fsp[name] = async function (p, ...rest) {
      if (typeof p === 'string' && p.includes(denied) && (name !== 'open' || /[wa]/.test(String(rest[0])))) {
        throw Object.assign(new Error(name + ": EACCES: permission denied '" + p + "'"), { code: 'EACCES', errno: -13, syscall: name, path: p });
      }
      return orig.call(this, p, ...rest);
    };
  }
  (await import('node:module')).syncBuiltinESMExports(); // named imports of node:fs/promises see the patch
}
`);
  await tf.setBackend('cpu');
  const net = createNetwork(SPEC, { seed: 3 });
  modelFile = path.join(dir, 'tiny.safetensors');
  await fsp.writeFile(modelFile, encodeNetwork(net));
  net.dispose();
});

test.after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

interface Run { status: number | null; stderr: string; stdout: string; rssMb: number }

let rssCounter = 0;
function cli(args: string[], env: Record<string, string> = {}): Run {
  const rssFile = path.join(dir, `rss-${rssCounter++}`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, CLI, ...args], {
    encoding: 'utf8', env: { ...process.env, CYCLEGAN_DEBUG: '', RSS_OUT: rssFile, ...env }, timeout: 240_000,
  });
  const rssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : NaN;
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, rssMb };
}

/**
 * One error line on stderr matching `re`, no stack trace, exit 2, bounded memory. Commands that report
 * progress (train) may print their progress lines before it: `progress` allows those, and the error must
 * then be the last line and the only 'cyclegan:' line.
 */
function assertOneLine(r: Run, re: RegExp, what: string, progress = false): void {
  const lines = r.stderr.trim().split('\n');
  assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
  if (progress) assert.equal(lines.filter((l) => l.startsWith('cyclegan:')).length, 1, `${what}: expected one error line, got:\n${r.stderr}`);
  else assert.equal(lines.length, 1, `${what}: expected one line, got:\n${r.stderr}`);
  const last = lines[lines.length - 1];
  assert.match(last, /^cyclegan: /, what);
  assert.match(last, re, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: stack trace`);
  assert.ok(r.rssMb < RSS_LIMIT_MB, `${what}: peak RSS ${r.rssMb.toFixed(0)} MB`);
}

// ---------------------------------------------------------------- builders: pickle, zip, .pth, safetensors

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function zlibCrc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A protocol-2 pickle writer for exactly what torch.save emits for a state dict. */
class Pickler {
  private parts: Buffer[] = [Buffer.from([0x80, 2])];
  private op(...bytes: number[]): this { this.parts.push(Buffer.from(bytes)); return this; }
  global(mod: string, name: string): this { this.parts.push(Buffer.from(`c${mod}\n${name}\n`, 'latin1')); return this; }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5); h[0] = 0x58; h.writeUInt32LE(b.length, 1);
    this.parts.push(h, b); return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 2 ** 31) { const h = Buffer.alloc(5); h[0] = 0x4a; h.writeInt32LE(n, 1); this.parts.push(h); return this; }
    const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); this.parts.push(Buffer.from([0x8a, 8]), b); return this;
  }
  tuple(items: number[]): this { this.mark(); for (const i of items) this.int(i); return this.op(0x74); }
  mark(): this { return this.op(0x28); }
  emptyTuple(): this { return this.op(0x29); }
  reduce(): this { return this.op(0x52); }
  tupleEnd(): this { return this.op(0x74); }
  binpersid(): this { return this.op(0x51); }
  newFalse(): this { return this.op(0x89); }
  setitems(): this { return this.op(0x75); }
  stop(): Buffer { this.op(0x2e); return Buffer.concat(this.parts); }
}

interface TensorDef { key: string; storage: string; numel: number; shape: number[]; stride: number[]; offset?: number }

/** data.pkl of an OrderedDict of tensors over FloatStorages, plus optional extra non-tensor entries. */
function statePickle(tensors: TensorDef[], extras: Record<string, string> = {}): Buffer {
  const p = new Pickler();
  p.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) {
    p.str(t.key).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str(t.storage).str('cpu').int(t.numel).tupleEnd().binpersid();
    p.int(t.offset ?? 0).tuple(t.shape).tuple(t.stride).newFalse();
    p.global('collections', 'OrderedDict').emptyTuple().reduce();
    p.tupleEnd().reduce();
  }
  for (const [k, v] of Object.entries(extras)) {
    // an object of an unknown class (what a pickled Python object becomes here: inert data)
    p.str(k).global('argparse', 'Namespace').emptyTuple().reduce();
    void v;
  }
  return p.setitems().stop();
}

interface ZipItem { name: string; data: Buffer; deflate?: boolean; compressed?: Buffer; declaredSize?: number }

/** A zip archive (torch.save layout: archive/data.pkl, archive/data/<key>); entries stored or deflated. */
function makeZip(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const it of items) {
    const name = Buffer.from(it.name);
    const comp = it.compressed ?? (it.deflate ? deflateRawSync(it.data) : it.data);
    const method = it.compressed || it.deflate ? 8 : 0;
    const size = it.declaredSize ?? it.data.length;
    const crc = it.compressed ? 0 : zlibCrc32(it.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(size, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(size, 24); ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, comp);
    central.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(items.length, 8); eocd.writeUInt16LE(items.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

function pth(tensors: TensorDef[], storages: Record<string, ZipItem | Buffer>, extras?: Record<string, string>): Buffer {
  const items: ZipItem[] = [{ name: 'archive/data.pkl', data: statePickle(tensors, extras) }];
  for (const [k, v] of Object.entries(storages)) items.push(Buffer.isBuffer(v) ? { name: `archive/data/${k}`, data: v } : { ...v, name: `archive/data/${k}` });
  items.push({ name: 'archive/version', data: Buffer.from('3\n') });
  return makeZip(items);
}

/** A valid .pth of SPEC's generator (zeros), every tensor with its own storage. */
function validPth(extras?: Record<string, string>): Buffer {
  const defs: TensorDef[] = [];
  const storages: Record<string, Buffer> = {};
  let i = 0;
  for (const [key, shape] of expectedStateShapes(SPEC)) {
    const numel = shape.reduce((a, b) => a * b, 1);
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    defs.push({ key, storage: String(i), numel, shape, stride });
    storages[String(i++)] = Buffer.alloc(numel * 4);
  }
  return pth(defs, storages, extras);
}

/** Deflates `total` zero bytes in 1 MB pieces without ever holding them (a real deflate bomb). */
async function deflateZeros(total: number): Promise<Buffer> {
  const z = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  z.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => z.on('end', r));
  const piece = Buffer.alloc(1 << 20);
  for (let left = total; left > 0; left -= piece.length) {
    if (!z.write(left >= piece.length ? piece : piece.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(chunks);
}

/** Re-serializes the model file with its header edited by `edit` (the data section is kept as it is). */
function editHeader(buf: Buffer, edit: (h: Record<string, any>) => unknown, rawHeader?: string): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const out = edit(header);
  const text = Buffer.from(rawHeader ?? JSON.stringify(out ?? header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([len, text, buf.subarray(8 + n)]);
}

async function write(name: string, data: Buffer | Uint8Array): Promise<string> {
  const f = path.join(dir, name);
  await fsp.writeFile(f, data);
  return f;
}

const importArgs = (f: string) => ['import-torch', f, '--netG', 'resnet_6blocks', '--ngf', '4', '--out', path.join(dir, 'imported.safetensors')];

// ---------------------------------------------------------------- weights

test('zip bombs: refused before inflating, or inflation stopped at the declared size', async () => {
  // 1. an entry declaring 2 GB: over the weights limit, refused from the central directory
  const big = pth([{ key: 'w', storage: '0', numel: 5e8, shape: [5e8], stride: [1] }],
    { 0: { name: '', data: Buffer.alloc(0), compressed: Buffer.alloc(1 << 20, 7), declaredSize: 2e9 } });
  assertOneLine(cli(importArgs(await write('bomb_2g.pth', big))), /bomb_2g\.pth: cannot read PyTorch weights: its storages declare 1907 MB, over the 1024 MB limit \(set CYCLEGAN_MAX_WEIGHTS_MB/, 'declared 2 GB');
  // 2. an entry declaring 512 MB from 100 KB: a ratio no weights file has
  const ratio = pth([{ key: 'w', storage: '0', numel: 128 << 20, shape: [128 << 20], stride: [1] }],
    { 0: { name: '', data: Buffer.alloc(0), compressed: Buffer.alloc(100 << 10, 7), declaredSize: 512 << 20 } });
  assertOneLine(cli(importArgs(await write('bomb_ratio.pth', ratio))), /bomb_ratio\.pth: .*would inflate 102400 bytes to 536870912 \(over 50x: a zip bomb\?\); set CYCLEGAN_MAX_INFLATE_RATIO/, 'ratio');
  // 3. a real deflate bomb that lies: declares 4000 bytes, inflates to 256 MB; inflation stops at 4000
  const stream = await deflateZeros(256 << 20);
  const liar = pth([{ key: 'w', storage: '0', numel: 1000, shape: [1000], stride: [1] }],
    { 0: { name: '', data: Buffer.alloc(0), compressed: stream, declaredSize: 4000 } });
  const r = cli(importArgs(await write('bomb_liar.pth', liar)));
  assertOneLine(r, /bomb_liar\.pth: cannot read PyTorch weights: zip entry archive\/data\/0 inflates to more than its declared 4000 bytes/, 'lying bomb');
  console.log(`# zip bombs: ${(big.length / 1e6).toFixed(1)} MB / ${(ratio.length / 1e6).toFixed(1)} MB / ${(liar.length / 1e6).toFixed(2)} MB files; peak RSS of the last ${r.rssMb.toFixed(0)} MB`);
});

test('stride-0 and shared-storage views cannot expand a small file', async () => {
  const oneFloat = Buffer.alloc(4);
  const s0 = pth([{ key: 'w', storage: '0', numel: 1, shape: [1e9], stride: [0] }], { 0: oneFloat });
  assert.ok(s0.length < 1024);
  assertOneLine(cli(importArgs(await write('stride0.pth', s0))), /stride0\.pth: .*tensors would take 3815 MB as float32, over the 1024 MB limit/, 'stride 0, 1e9');
  const s0b = pth([{ key: 'w', storage: '0', numel: 1, shape: [1e8], stride: [0] }], { 0: oneFloat });
  assertOneLine(cli(importArgs(await write('stride0b.pth', s0b))), /stride0b\.pth: .*claim 381 MB but the file stores only 4 bytes/, 'stride 0, 1e8');
  const mb1 = Buffer.alloc(1 << 20);
  const shared = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, storage: '0', numel: 1 << 18, shape: [1 << 18], stride: [1] }));
  const r = cli(importArgs(await write('shared2000.pth', pth(shared(2000), { 0: mb1 }))));
  assertOneLine(r, /shared2000\.pth: .*tensors would take 2000 MB as float32, over the 1024 MB limit/, '2000 views');
  assertOneLine(cli(importArgs(await write('shared100.pth', pth(shared(100), { 0: mb1 })))), /shared100\.pth: .*claim 100 MB but the file stores only 1 MB/, '100 views');
  // a view past its storage
  assertOneLine(cli(importArgs(await write('past.pth', pth([{ key: 'w', storage: '0', numel: 4, shape: [2, 2], stride: [4, 1] }], { 0: Buffer.alloc(16) })))),
    /past\.pth: .*tensor reaches past its storage/, 'past storage');
  console.log(`# 2000 tensors over one 1 MB storage: refused, peak RSS ${r.rssMb.toFixed(0)} MB`);
});

test('a state dict with an extra pickled object imports with a warning naming it', async () => {
  const f = await write('extra.pth', validPth({ training_args: 'x' }));
  const r = cli(importArgs(f));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: .*extra\.pth: ignoring 1 non-tensor entry in the state dict: 'training_args' \(argparse\.Namespace\)/);
  assert.ok(r.rssMb < RSS_LIMIT_MB);
});

test('malformed safetensors headers and absurd architecture metadata: one line each, before building a network', async () => {
  const good = readFileSync(modelFile);
  const spec = (patch: Record<string, unknown> | null | string) => (h: Record<string, any>) => {
    h.__metadata__['cyclegan.spec'] = typeof patch === 'string' ? patch : JSON.stringify(patch === null ? null : { ...SPEC, ...patch });
  };
  const cases: Array<[string, Buffer, RegExp]> = [
    ['null_entry', editHeader(good, (h) => { h['model.1.weight'] = null; }), /tensor 'model\.1\.weight' is not an object/],
    ['no_shape', editHeader(good, (h) => { delete h['model.1.weight'].shape; }), /tensor 'model\.1\.weight' has a bad shape undefined/],
    ['neg_shape', editHeader(good, (h) => { h['model.1.weight'].shape = [-4, 3, 7, 7]; }), /has a bad shape \[-4,3,7,7\]/],
    ['frac_shape', editHeader(good, (h) => { h['model.1.weight'].shape = [4.5, 3, 7, 7]; }), /has a bad shape \[4\.5,3,7,7\]/],
    ['bad_dtype', editHeader(good, (h) => { h['model.1.weight'].dtype = 'Q8'; }), /unknown dtype "Q8"/],
    ['past_end', editHeader(good, (h) => { h['model.1.weight'].data_offsets = [0, 1e12]; }), /truncated or its offsets do not match/],
    ['overlap', editHeader(good, (h) => {
      const a = h['model.1.weight'], b = h['model.1.bias'];
      b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + (b.data_offsets[1] - b.data_offsets[0])];
    }), /overlap/],
    ['not_json', editHeader(good, () => undefined, '{"a": '), /header is not JSON/],
    ['huge_header_len', (() => { const b = Buffer.from(good); b.writeBigUInt64LE(1n << 40n, 0); return b; })(), /header length 1099511627776 is out of range/],
    ['meta_null', editHeader(good, (h) => { h.__metadata__ = null; }), /__metadata__ is not an object/],
    ['spec_not_json', editHeader(good, spec('{ngf:')), /architecture metadata is not valid JSON/],
    ['spec_null', editHeader(good, spec(null)), /bad architecture metadata: the architecture is not an object/],
    ['ngf_huge', editHeader(good, spec({ ngf: 4096 })), /ngf must be a whole number from 1 to 1024, got 4096/],
    ['ngf_1e9', editHeader(good, spec({ ngf: 1e9 })), /ngf must be a whole number from 1 to 1024/],
    ['input_nc_1e6', editHeader(good, spec({ inputNc: 1e6 })), /input_nc must be a whole number from 1 to 64, got 1000000/],
    ['proto_netG', editHeader(good, spec({ netG: '__proto__' })), /unknown netG '__proto__'/],
    ['shape_vs_spec', editHeader(good, spec({ ngf: 8 })), /has shape \[4,3,7,7\] but netG=resnet_6blocks ngf=8 norm=instance has \[8,3,7,7\]/],
  ];
  const out = path.join(dir, 'never');
  const img = path.join(dir, 'in.png');
  await writePng(img, new Uint8Array(16 * 16 * 3), 16, 16, 3);
  let peak = 0;
  for (const [name, buf, re] of cases) {
    const f = await write(`${name}.safetensors`, buf);
    const t = cli(['translate', '--model', f, img, '--out', out, '--backend', 'cpu']);
    assertOneLine(t, new RegExp(`${name}\\.safetensors: .*${re.source}`), `translate ${name}`);
    peak = Math.max(peak, t.rssMb);
  }
  // export and serve load through the same check
  const f = path.join(dir, 'ngf_huge.safetensors');
  assertOneLine(cli(['export', '--model', f, '--format', 'onnx', '--out', path.join(dir, 'x.onnx')]), /ngf_huge\.safetensors: bad architecture metadata: ngf/, 'export');
  assertOneLine(cli(['serve', '--model', f, '--port', '0']), /ngf_huge\.safetensors: bad architecture metadata: ngf/, 'serve');
  assert.ok(!existsSync(out));
  console.log(`# ${cases.length} malformed model files: peak RSS ${peak.toFixed(0)} MB`);
});

// ---------------------------------------------------------------- images

/** A PNG whose header claims w×h; the pixel data is one tiny IDAT (never reached). */
function pngClaiming(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32LE(0); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlibCrc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateRawSync(Buffer.alloc(10))), chunk('IEND', Buffer.alloc(0))]);
}

/** An 8-bit RLE BMP whose header claims w×h (1 KB of file). */
function rleBmpClaiming(w: number, h: number): Buffer {
  const b = Buffer.alloc(1078 + 4);
  b.write('BM', 0, 'latin1'); b.writeUInt32LE(b.length, 2); b.writeUInt32LE(1078, 10);
  b.writeUInt32LE(40, 14); b.writeInt32LE(w, 18); b.writeInt32LE(h, 22); b.writeUInt16LE(1, 26); b.writeUInt16LE(8, 28);
  b.writeUInt32LE(1, 30); b.writeUInt32LE(256, 46);
  b.writeUInt16LE(0x0100, 1078); // end of bitmap
  return b;
}

test('pixel bombs and too-small images: one line naming the file', async () => {
  const out = path.join(dir, 'px-out');
  const t = (f: string, extra: string[] = []) => cli(['translate', '--model', modelFile, f, '--out', out, '--backend', 'cpu', ...extra]);
  const r = t(await write('bomb8000.png', pngClaiming(8000, 8000)));
  assertOneLine(r, /bomb8000\.png: 8000x8000 pixels is over the 16777216-pixel limit \(set CYCLEGAN_MAX_PIXELS to raise it\)/, 'png bomb');
  assertOneLine(t(await write('bomb16000.bmp', rleBmpClaiming(16000, 16000))), /bomb16000\.bmp: .*16000x16000 pixels is over the 16777216-pixel limit/, 'bmp bomb');
  const one = path.join(dir, 'one.png');
  await writePng(one, new Uint8Array(3), 1, 1, 3);
  assertOneLine(t(one), /one\.png: the image is 0x0 after --preprocess, but resnet_6blocks needs at least 5x5/, '1 px');
  const thin = path.join(dir, 'thin.png');
  await writePng(thin, new Uint8Array(3 * 50 * 3), 3, 50, 3);
  assertOneLine(t(thin, ['--preprocess', 'none']), /thin\.png: the image is 4x48 after --preprocess, but resnet_6blocks needs at least 5x5/, '3x50');
  console.log(`# 8000x8000 PNG claim (${pngClaiming(8000, 8000).length} bytes): refused, peak RSS ${r.rssMb.toFixed(0)} MB`);
});

// ---------------------------------------------------------------- flags

test('absurd flag values: one line naming the flag, before any work', async () => {
  const data = path.join(dir, 'flags-data');
  const cases: Array<[string[], RegExp]> = [
    [['train', '--dataroot', data, '--name', 'f', '--ngf', '100000'], /--ngf must be between 1 and 1024, got 100000/],
    [['train', '--dataroot', data, '--name', 'f', '--ndf', '100000'], /--ndf must be between 1 and 1024, got 100000/],
    [['train', '--dataroot', data, '--name', 'f', '--load-size', '100000'], /--load-size must be between 1 and 4096/],
    [['train', '--dataroot', data, '--name', 'f', '--batch-size', '1e9'], /--batch-size must be between 1 and 256, got 1000000000/],
    [['train', '--dataroot', data, '--name', 'f', '--n-layers-D', '1e6'], /--n-layers-D must be between 1 and 10/],
    [['train', '--dataroot', data, '--name', 'f', '--netD', 'n_layers', '--n-layers-D', '8', '--load-size', '36', '--crop-size', '32'],
      /--crop-size 32 is too small for a 8-layer discriminator \(its output would be empty\); use --n-layers-D 3 or less/],
    [['train', '--dataroot', data, '--name', 'f', '--max-dataset-size', '1e400'], /--max-dataset-size .*'1e400'/],
    [['train', '--dataroot', data, '--name', 'f', '--lr', '0x10'], /flag --lr expects a number, got '0x10'/],
    [['train', '--dataroot', data, '--name', 'f', '--direction', 'sideways'], /--direction must be AtoB or BtoA, got 'sideways'/],
    [['bench', '--size', '100000'], /--size must be between 1 and 4096/],
    [['import-torch', 'x.pth', '--ngf', '1e9', '--out', 'y.safetensors'], /--ngf must be between 1 and 1024, got 1000000000/],
    [['demo', '--num-test', '-1'], /--num-test must be between 1 and 1000000000, got -1/],
    [['translate', '--model', modelFile, '--direction', 'sideways', 'x.png', '--out', 'o'], /--direction must be AtoB or BtoA/],
    [['serve', '--model', modelFile, '--host', ''], /--host '' is not an address; use 127\.0\.0\.1 .* or 0\.0\.0\.0/],
    [['serve', '--model', modelFile, '--host', 'no.such.host.invalid', '--port', '0'], /--host no\.such\.host\.invalid: no such host name or address/],
  ];
  for (const [args, re] of cases) assertOneLine(cli(args), re, args.join(' '));
});

// ---------------------------------------------------------------- folders, disk, run lock

test('unwritable outputs: --out and --checkpoints-dir under a regular file are one line', async () => {
  const file = path.join(dir, 'a-file');
  await fsp.writeFile(file, 'x');
  const img = path.join(dir, 'in16.png');
  await writePng(img, new Uint8Array(16 * 16 * 3), 16, 16, 3);
  assertOneLine(cli(['translate', '--model', modelFile, img, '--out', path.join(file, 'out'), '--backend', 'cpu']),
    /a-file\/out.*: a part of the path is a file, not a folder: check the path \(ENOTDIR/, 'translate --out');
  const data = path.join(dir, 'data-w');
  await makeRandomDataset(data, { n: 2, size: 18 });
  assertOneLine(cli(['train', '--dataroot', data, '--name', 'r', '--checkpoints-dir', path.join(file, 'ck'), ...TINY, '--n-epochs', '1', '--n-epochs-decay', '0']),
    /a-file\/ck.*ENOTDIR/, 'train --checkpoints-dir', true);
});

test('permission denied (injected EACCES): unwritable --checkpoints-dir and --out are one line; an unreadable subfolder is skipped', async () => {
  const data = path.join(dir, 'data-eacces');
  await makeRandomDataset(data, { n: 2, size: 18 });
  await makeRandomDataset(path.join(data, 'trainA', 'locked'), { n: 1, size: 18, phase: 'x' });
  const base = ['train', '--dataroot', data, ...TINY, '--n-epochs', '1', '--n-epochs-decay', '0'];
  assertOneLine(cli([...base, '--name', 'e', '--checkpoints-dir', path.join(dir, 'ck-denied')], { INJECT_EACCES: 'ck-denied' }),
    /ck-denied.*: permission denied: choose a folder you can write to, or fix its permissions \(EACCES in mkdir\)/, 'train --checkpoints-dir', true);
  const img = path.join(dir, 'in-eacces.png');
  await writePng(img, new Uint8Array(16 * 16 * 3), 16, 16, 3);
  assertOneLine(cli(['translate', '--model', modelFile, img, '--out', path.join(dir, 'out-denied'), '--backend', 'cpu'], { INJECT_EACCES: 'out-denied' }),
    /out-denied.*: permission denied: choose a folder you can write to/, 'translate --out');
  const r = cli([...base, '--name', 'e2', '--checkpoints-dir', path.join(dir, 'ck-eacces')], { INJECT_EACCES: `${path.sep}locked` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: skipped 1 file\(s\) that cannot be used: .*trainA\/locked \(folder cannot be listed: EACCES\)/);
});

test('--debug and CYCLEGAN_DEBUG=1 add the stack trace to the one line', () => {
  for (const [args, env] of [[['--debug'], {}], [[], { CYCLEGAN_DEBUG: '1' }]] as const) {
    const r = cli(['translate', '--model', modelFile, 'x.png', '--out', 'o', ...args], env);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^\s+at /m);
    assert.match(r.stderr, /^cyclegan: input x\.png does not exist$/m);
  }
});

test('images smaller than --crop-size are skipped with one warning; a domain left empty is one line', async () => {
  const data = path.join(dir, 'data-small');
  await makeRandomDataset(data, { n: 2, size: 18 });
  await writePng(path.join(data, 'trainA', 'tiny.png'), new Uint8Array(8 * 8 * 3), 8, 8, 3);
  const ck = path.join(dir, 'ck-small');
  const r = cli(['train', '--dataroot', data, '--name', 's', '--checkpoints-dir', ck, ...TINY, '--preprocess', 'crop',
    '--n-epochs', '1', '--n-epochs-decay', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: skipped 1 file\(s\) that cannot be used: .*tiny\.png \(8x8 is smaller than --crop-size 16\)/);
  const only = path.join(dir, 'data-only-small');
  await makeRandomDataset(only, { n: 2, size: 18 });
  for (const f of await fsp.readdir(path.join(only, 'trainB'))) await fsp.rm(path.join(only, 'trainB', f));
  await writePng(path.join(only, 'trainB', 'tiny.png'), new Uint8Array(8 * 8 * 3), 8, 8, 3);
  assertOneLine(cli(['train', '--dataroot', only, '--name', 's2', '--checkpoints-dir', ck, ...TINY, '--preprocess', 'crop']),
    /no usable image in .*trainB: all 1 are too small for --preprocess crop --crop-size 16/, 'empty domain', true);
});

test('ENOSPC while checkpointing: one line, partial generation removed, previous checkpoint intact, --continue works', async () => {
  const data = path.join(dir, 'data-nospc');
  await makeRandomDataset(data, { n: 4, size: 18 });
  const ck = path.join(dir, 'ck-nospc');
  const args = ['train', '--dataroot', data, '--name', 'n', '--checkpoints-dir', ck, ...TINY, '--n-epochs', '1', '--n-epochs-decay', '0', '--save-latest-freq', '2'];
  // each checkpoint writes 6 files into its generation folder: the 10th is the 4th of the second checkpoint
  const r = cli(args, { INJECT_ENOSPC_AT: '10' });
  assertOneLine(r, /state\/gen-[^/]+\/net_D_B\.safetensors: no space left on the device: free some space, then run again \(with --continue for train\) \(ENOSPC in write\)/, 'ENOSPC', true);
  const run = path.join(ck, 'n');
  const gens = (await fsp.readdir(path.join(run, 'state'))).filter((g) => g.startsWith('gen-'));
  assert.equal(gens.length, 1, `only the previous generation is left: ${gens}`);
  const ptr = JSON.parse(await fsp.readFile(path.join(run, 'state', 'LATEST'), 'utf8'));
  assert.equal(ptr.gen, gens[0]);
  assert.equal(ptr.totalIters, 2);
  assert.deepEqual((await fsp.readdir(path.join(run, 'state', gens[0]))).filter((n) => n.endsWith('.tmp')), []);
  assert.ok(!existsSync(path.join(run, 'train.lock')), 'the lock is released');
  const c = cli([...args, '--continue']);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, /resuming n at epoch 1, image 2 of 4/);
});

test('two trainers on one run: the second is refused; a dead one\'s lock is taken over; --continue before a checkpoint says so', async () => {
  const data = path.join(dir, 'data-lock');
  await makeRandomDataset(data, { n: 4, size: 18 });
  const ck = path.join(dir, 'ck-lock');
  const args = ['train', '--dataroot', data, '--name', 'L', '--checkpoints-dir', ck, ...TINY, '--n-epochs', '500', '--n-epochs-decay', '0',
    '--save-latest-freq', '100000', '--save-epoch-freq', '1000'];
  const first = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let firstErr = '';
  first.stderr.on('data', (d) => { firstErr += d; });
  const lock = path.join(ck, 'L', 'train.lock');
  try {
    for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(lock), `first trainer took no lock:\n${firstErr}`);
    const info = JSON.parse(await fsp.readFile(lock, 'utf8'));
    assert.equal(info.pid, first.pid);
    assert.equal(info.host, os.hostname());
    const second = cli(args);
    assertOneLine(second, new RegExp(`L is being trained by process ${first.pid} \\(since .*\\); one run folder takes one trainer`), 'second trainer', true);
  } finally {
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
  }
  // killed before its first checkpoint: the lock is stale, and there is nothing to continue
  assert.ok(existsSync(lock));
  const c = cli([...args, '--continue']);
  assert.equal(c.status, 2, c.stderr);
  const lines = c.stderr.trim().split('\n');
  assert.match(c.stderr, new RegExp(`note: took over the lock of .*L from process ${first.pid}, which is no longer running`));
  assert.match(lines[lines.length - 1], /^cyclegan: nothing to continue yet in .*L: the run stopped before its first checkpoint; run without --continue$/);
  assert.doesNotMatch(c.stderr, /^\s+at /m);
  assert.ok(!existsSync(lock), 'released after the refusal');
});
