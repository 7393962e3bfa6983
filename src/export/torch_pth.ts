// A state dict in torch.save's zip format (torch >= 1.6), so `torch.load` reads what `cyclegan export --format
// pth` writes and the official code's load_networks takes it (official key names, PyTorch layout):
//   <archive>/data.pkl   pickle protocol 2: collections.OrderedDict of torch._utils._rebuild_tensor_v2(...)
//   <archive>/data/<i>   raw little-endian storage bytes, one per tensor
//   <archive>/version    "3"
// Entries are stored (not deflated) with their data 64-byte aligned, as torch writes them. Float tensors are
// float32 (FloatStorage); batch norm's num_batches_tracked is int64 (LongStorage), as in PyTorch.
import { crc32 } from 'node:zlib';
import type { RawTensor } from '../weights/safetensors.js';

/** Pickle protocol 2 writer for the few opcodes a state dict needs. */
class Pickler {
  private parts: Buffer[] = [];
  op(code: number): this {
    this.parts.push(Buffer.from([code]));
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(b.length, 1);
    this.parts.push(h, b);
    return this;
  }
  int(n: number): this {
    if (Number.isInteger(n) && n >= 0 && n < 256) {
      this.parts.push(Buffer.from([0x4b, n])); // BININT1
    } else if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else {
      throw new Error(`integer ${n} out of range for the state dict writer`);
    }
    return this;
  }
  tuple(items: number[]): this {
    this.op(0x28); // MARK
    for (const i of items) this.int(i);
    return this.op(0x74); // TUPLE
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const MARK = 0x28, EMPTY_TUPLE = 0x29, REDUCE = 0x52, SETITEMS = 0x75, TUPLE = 0x74, BINPERSID = 0x51, NEWFALSE = 0x89, STOP = 0x2e, PROTO = 0x80;

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** int64 for num_batches_tracked (as PyTorch keeps it), float32 for everything else. */
function isLong(key: string): boolean {
  return key.endsWith('.num_batches_tracked') || key === 'num_batches_tracked';
}

function storageBytes(key: string, t: RawTensor): Buffer {
  if (isLong(key)) {
    const b = Buffer.alloc(8 * t.data.length);
    for (let i = 0; i < t.data.length; i++) b.writeBigInt64LE(BigInt(Math.round(t.data[i])), 8 * i);
    return b;
  }
  const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

/** The data.pkl of a state dict whose tensors are storages "0", "1", … in the given order. */
function pickleStateDict(entries: Array<[string, RawTensor]>): Buffer {
  const p = new Pickler();
  p.op(PROTO).op(2);
  p.global('collections', 'OrderedDict').op(EMPTY_TUPLE).op(REDUCE);
  p.op(MARK);
  entries.forEach(([key, t], i) => {
    p.str(key);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(MARK);
    // persistent id: ('storage', torch.<X>Storage, key, location, numel)
    p.op(MARK).str('storage').global('torch', isLong(key) ? 'LongStorage' : 'FloatStorage').str(String(i)).str('cpu').int(t.data.length).op(TUPLE);
    p.op(BINPERSID);
    p.int(0); // storage offset
    p.tuple([...t.shape]);
    p.tuple(contiguousStrides(t.shape));
    p.op(NEWFALSE); // requires_grad
    p.global('collections', 'OrderedDict').op(EMPTY_TUPLE).op(REDUCE); // backward hooks
    p.op(TUPLE).op(REDUCE);
  });
  p.op(SETITEMS).op(STOP);
  return p.bytes();
}

export interface ZipFile {
  name: string;
  data: Buffer;
}

/** A zip archive of stored entries, each file's data starting on a 64-byte boundary (padding in the extra field). */
export function storedZip(files: ZipFile[]): Buffer {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const headerLen = 30 + name.length;
    let pad = (64 - ((offset + headerLen + 4) % 64)) % 64;
    const extraLen = pad + 4; // one extra-field record: id 'FB' (as torch), size, zero padding
    pad = extraLen - 4;
    const crc = crc32(f.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLen, 28);
    const extra = Buffer.alloc(extraLen);
    extra.writeUInt16LE(0x4246, 0);
    extra.writeUInt16LE(pad, 2);
    out.push(local, name, extra, f.data);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt32LE(0, 12);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(f.data.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(0, 30); // no extra in the central directory
    cd.writeUInt16LE(0, 32);
    cd.writeUInt16LE(0, 34);
    cd.writeUInt16LE(0, 36);
    cd.writeUInt32LE(0, 38);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + extraLen + f.data.length;
    if (offset >= 2 ** 32 - 1) throw new Error('state dict too large for the zip writer (no zip64)');
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0, 4);
  eocd.writeUInt16LE(0, 6);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(0, 20);
  return Buffer.concat([...out, cdBuf, eocd]);
}

/**
 * torch.save(state_dict) bytes in the zip format. `archive` is the folder name inside the zip (torch uses the
 * file name without extension; any name loads).
 */
export function encodeTorchStateDict(stateDict: Map<string, RawTensor>, archive = 'archive'): Buffer {
  const entries = [...stateDict];
  const dir = archive.replace(/[^\w.-]/g, '_') || 'archive';
  const files: ZipFile[] = [{ name: `${dir}/data.pkl`, data: pickleStateDict(entries) }];
  entries.forEach(([key, t], i) => files.push({ name: `${dir}/data/${i}`, data: storageBytes(key, t) }));
  files.push({ name: `${dir}/version`, data: Buffer.from('3\n') });
  return storedZip(files);
}
