// A state dict in torch.save's zip format (torch >= 1.6), so `torch.load` reads what `cyclegan export --format
// pth` writes and the official code's load_networks takes it (official key names, PyTorch layout):
//   <archive>/data.pkl   pickle protocol 2: collections.OrderedDict of torch._utils._rebuild_tensor_v2(...)
//   <archive>/data/<i>   raw little-endian storage bytes, one per tensor
//   <archive>/version    "3"
// Entries are stored (not deflated) with their data 64-byte aligned, as torch writes them. Float tensors are
// float32 (FloatStorage); batch norm's num_batches_tracked is int64 (LongStorage), as in PyTorch.
import type { RawTensor } from '../core/weights/safetensors.js';
import { writeStoredZip, type StoredZipEntry } from '../weights/zip.js';

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

/**
 * torch.save(state_dict) bytes in the zip format. `archive` is the folder name inside the zip (torch uses the
 * file name without extension; any name loads).
 */
export function encodeTorchStateDict(stateDict: Map<string, RawTensor>, archive = 'archive'): Buffer {
  const entries = [...stateDict];
  const dir = archive.replace(/[^\w.-]/g, '_') || 'archive';
  const files: StoredZipEntry[] = [{ name: `${dir}/data.pkl`, data: pickleStateDict(entries) }];
  entries.forEach(([key, t], i) => files.push({ name: `${dir}/data/${i}`, data: storageBytes(key, t) }));
  files.push({ name: `${dir}/version`, data: Buffer.from('3\n') });
  return writeStoredZip(files, { align: 64 }); // torch.save aligns every storage to 64 bytes
}
