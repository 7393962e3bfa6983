// Reads PyTorch state dicts without Python: torch.save's zip format (torch >= 1.6), the legacy pickle format the
// official CycleGAN pretrained models were published in, and .safetensors files.
import { basename } from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { PickleError, PyDict, PyGlobal, PyObject, unpickle } from './pickle.js';
import { isZip, ZipError, ZipReader } from './zip.js';
import { halfToFloat, readSafetensors as readSafetensorsFile } from '../core/weights/safetensors.js';
import { formatBytes, maxWeightBytes, MAX_MATERIALIZE_RATIO, overSizeLimit, RATIO_FREE_BYTES, WEIGHTS_LIMIT_HINT } from '../core/limits.js';
import { readFileBounded } from '../read_file.js';

export interface StateTensor {
  shape: number[];
  data: Float32Array;
}
export type StateDict = Map<string, StateTensor>;

type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const ELEMENT_SIZE: Record<DType, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

// torch.<X>Storage class names as pickled, and torch.<dtype> globals (used by _rebuild_tensor_v3)
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16', float64: 'float64',
  double: 'float64', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool',
};

class StorageType {
  constructor(readonly dtype: DType) {}
}
class DTypeMarker {
  constructor(readonly dtype: DType) {}
}

/** A torch storage: its bytes arrive after the pickle in the legacy format, so they are filled in later. */
class Storage {
  bytes: Uint8Array | undefined;
  private decoded: Float64Array | Float32Array | undefined;
  constructor(readonly key: string, readonly dtype: DType, public numel: number, readonly bigEndian = false) {}

  values(): Float32Array | Float64Array {
    if (this.decoded) return this.decoded;
    if (!this.bytes) throw new PickleError(`storage ${this.key} has no data`);
    this.decoded = decode(this.bytes, this.dtype, this.numel, this.bigEndian);
    return this.decoded;
  }
}

/** A view of another storage (legacy format's view_metadata): offset and length in elements. */
class StorageView {
  constructor(readonly base: Storage, readonly offset: number, readonly numel: number) {}
}

class TensorRef {
  constructor(
    readonly storage: Storage | StorageView,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** Raw little- (or big-) endian bytes of `numel` elements → float values (float64 kept wide until indexed). */
function decode(bytes: Uint8Array, dtype: DType, numel: number, bigEndian: boolean): Float32Array | Float64Array {
  const es = ELEMENT_SIZE[dtype];
  if (bytes.length < numel * es) throw new PickleError(`storage holds ${bytes.length} bytes, needs ${numel * es}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, numel * es);
  const le = !bigEndian;
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(numel);
      if (le) new Uint8Array(out.buffer).set(bytes.subarray(0, numel * 4)); // copy also fixes alignment
      else for (let i = 0; i < numel; i++) out[i] = dv.getFloat32(i * 4, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getFloat64(i * 8, le);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(dv.getUint16(i * 2, le));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(numel);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < numel; i++) {
        tmp.setUint32(0, dv.getUint16(i * 2, le) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      return out;
    }
    case 'int64': {
      const out = new Float64Array(numel);
      for (let i = 0; i < numel; i++) out[i] = Number(dv.getBigInt64(i * 8, le));
      return out;
    }
    case 'int32': {
      const out = new Float64Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt32(i * 4, le);
      return out;
    }
    case 'int16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt16(i * 2, le);
      return out;
    }
    case 'int8': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'uint8':
    case 'bool': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getUint8(i);
      return out;
    }
  }
}

function asIntList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new PickleError(`${what} is not a tuple`);
  return Array.from(v, (x) => {
    if (typeof x === 'bigint') return Number(x);
    if (typeof x !== 'number') throw new PickleError(`${what} holds a non-integer`);
    return x;
  });
}

function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef {
  if (!(storage instanceof Storage || storage instanceof StorageView)) throw new PickleError('tensor without a storage');
  const shape = asIntList(size, 'tensor size');
  return new TensorRef(storage, Number(offset), shape, asIntList(stride, 'tensor stride'));
}

/** The globals torch.save emits for state dicts; anything else stays an inert PyObject. */
function torchGlobals(module: string, name: string): unknown {
  const full = `${module}.${name}`;
  switch (full) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict':
      // Python 3 pickles OrderedDict as cls() + SETITEMS; Python 2 passes the items as a list of [key, value].
      return (items?: unknown) => {
        const d = new PyDict();
        if (items instanceof Map) for (const [k, v] of items) d.set(k, v);
        else if (Array.isArray(items)) for (const kv of items) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
        return d;
      };
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return (storage: unknown, offset: unknown, size: unknown, stride: unknown) => rebuildTensor(storage, offset, size, stride);
    case 'torch._utils._rebuild_tensor_v3':
      // (storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata): storage may be untyped
      return (storage: unknown, offset: unknown, size: unknown, stride: unknown, _rg: unknown, _bh: unknown, dtype: unknown) => {
        if (storage instanceof Storage && storage.dtype === 'uint8' && dtype instanceof DTypeMarker && dtype.dtype !== 'uint8') {
          const es = ELEMENT_SIZE[dtype.dtype];
          const typed = new Storage(storage.key, dtype.dtype, Math.floor(storage.numel / es), storage.bigEndian);
          retyped.push([storage, typed]);
          return rebuildTensor(typed, offset, size, stride);
        }
        return rebuildTensor(storage, offset, size, stride);
      };
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return (data: unknown) => data;
    case 'torch._tensor._rebuild_from_type_v2':
    case 'torch._tensor._rebuild_from_type':
      return (fn: unknown, _type: unknown, args: unknown) =>
        typeof fn === 'function' && Array.isArray(args) ? (fn as (...a: unknown[]) => unknown)(...args) : new PyObject(full, []);
    case 'torch.nn.parameter.Parameter':
      return (data: unknown) => data;
    case '_codecs.encode':
      return (s: unknown) => (typeof s === 'string' ? Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff) : s);
  }
  if (module === 'torch' && name in STORAGE_DTYPES) return new StorageType(STORAGE_DTYPES[name]);
  if (module === 'torch' && name === 'UntypedStorage') return new StorageType('uint8');
  if (module === 'torch' && name in TORCH_DTYPES) return new DTypeMarker(TORCH_DTYPES[name]);
  return undefined;
}
// _rebuild_tensor_v3 over untyped storages: typed copies whose bytes are filled from the untyped one.
let retyped: [Storage, Storage][] = [];

function storageFromPid(pid: unknown, storages: Map<string, Storage>, bigEndian: boolean): Storage | StorageView {
  if (!Array.isArray(pid) || pid[0] !== 'storage') {
    const what = Array.isArray(pid) ? String(pid[0]) : String(pid);
    if (what === 'module') throw new PickleError('the file holds a whole pickled model, not a state dict');
    throw new PickleError(`unknown persistent id '${what}'`);
  }
  const [, type, key, , numelRaw, view] = pid as unknown[];
  let dtype: DType;
  if (type instanceof StorageType) dtype = type.dtype;
  else if (type instanceof PyGlobal) throw new PickleError(`unsupported storage type ${type.fullName}`);
  else throw new PickleError('storage without a type');
  const k = String(key);
  let s = storages.get(k);
  if (!s) {
    s = new Storage(k, dtype, Number(numelRaw), bigEndian);
    storages.set(k, s);
  }
  if (Array.isArray(view)) {
    // legacy view_metadata: (view_key, offset, view_size), in elements
    const [, off, n] = view as unknown[];
    return new StorageView(s, Number(off), Number(n));
  }
  return s;
}

/** Where a tensor's elements live, checked against its storage before anything is allocated. */
interface CheckedView {
  base: Storage;
  offset: number;
  count: number;
}

/** Validates a tensor's shape, strides and offset against its storage (element counts only, no allocation). */
function checkView(t: TensorRef): CheckedView {
  let base: Storage;
  let offset = t.offset;
  let limit: number;
  if (t.storage instanceof StorageView) {
    base = t.storage.base;
    if (!Number.isSafeInteger(t.storage.offset) || t.storage.offset < 0 || !Number.isSafeInteger(t.storage.numel) || t.storage.numel < 0 ||
        t.storage.offset + t.storage.numel > base.numel) throw new PickleError(`storage view reaches past storage ${base.key}`);
    offset += t.storage.offset;
    limit = t.storage.offset + t.storage.numel;
  } else {
    base = t.storage;
    limit = base.numel;
  }
  const rank = t.shape.length;
  const okDim = (d: number) => Number.isSafeInteger(d) && d >= 0;
  if (rank > 8 || t.stride.length !== rank || !t.shape.every(okDim) || !t.stride.every(okDim) || !Number.isSafeInteger(offset) || offset < 0) {
    throw new PickleError(`tensor with bad size ${JSON.stringify(t.shape)} / stride ${JSON.stringify(t.stride)} / offset ${t.offset}`);
  }
  let count = 1;
  for (const d of t.shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) throw new PickleError(`tensor of shape ${JSON.stringify(t.shape)} is impossibly large`);
  }
  if (count === 0) return { base, offset, count };
  // the highest storage index the view touches must exist
  let maxIdx = offset;
  for (let d = 0; d < rank; d++) maxIdx += (t.shape[d] - 1) * t.stride[d];
  if (!(maxIdx < limit)) throw new PickleError(`tensor reaches past its storage (element ${maxIdx} of ${limit})`);
  return { base, offset, count };
}

/** Copies a (possibly strided) tensor out of its storage into a dense row-major Float32Array. */
function materialize(t: TensorRef, v: CheckedView): StateTensor {
  const { offset, count: n } = v;
  if (n === 0) return { shape: t.shape, data: new Float32Array(0) };
  const src = v.base.values();
  const rank = t.shape.length;
  const out = new Float32Array(n);
  let contiguous = true;
  for (let d = rank - 1, expect = 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) {
    out.set(src.subarray(offset, offset + n));
    return { shape: t.shape, data: out };
  }
  const idx = new Array<number>(rank).fill(0);
  let p = offset;
  for (let i = 0; i < n; i++) {
    out[i] = src[p];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      p += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      p -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return { shape: t.shape, data: out };
}

export interface ReadOptions {
  /** Non-fatal findings (extra objects in the state dict); default: a 'warning:' line on stderr. */
  warn?: (message: string) => void;
  /** The name the parser's messages give the file (a download's URL); default: its path. */
  source?: string;
}

function describeValue(v: unknown): string {
  if (v instanceof PyObject) return v.cls;
  if (v instanceof PyGlobal) return v.fullName;
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return 'list';
  if (v === null || v === undefined) return 'None';
  return typeof v === 'bigint' ? 'int' : typeof v;
}

/**
 * The tensors of a loaded top-level object: a state dict, or a checkpoint dict wrapping one. Every tensor's
 * size is checked against its storage, and the total against the file, before any tensor is copied out:
 * views that repeat storage (stride 0, thousands of tensors over one storage) cannot expand a small file
 * into gigabytes.
 */
function collectStateDict(obj: unknown, source: string, opts: ReadOptions): StateDict {
  let dict: Map<unknown, unknown> | undefined;
  if (obj instanceof Map) dict = obj;
  else if (obj instanceof PyObject && obj.state instanceof Map) dict = obj.state;
  if (!dict) {
    const what = obj instanceof PyObject ? obj.cls : typeof obj;
    throw new PickleError(`the file holds a ${what}, not a state dict (save net.state_dict())`);
  }
  // checkpoints that wrap the weights: {'state_dict': {...}} or {'model': {...}}
  for (const wrap of ['state_dict', 'model', 'net', 'generator']) {
    const inner = dict.get(wrap);
    if (inner instanceof Map && [...inner.values()].some((v) => v instanceof TensorRef)) {
      dict = inner;
      break;
    }
  }
  const views: [string, TensorRef, CheckedView][] = [];
  const extras: string[] = [];
  for (const [k, v] of dict) {
    if (v instanceof TensorRef) views.push([String(k), v, checkView(v)]);
    else extras.push(`'${String(k)}' (${describeValue(v)})`);
  }
  if (views.length === 0) throw new PickleError('no tensors found (is this a state dict?)');
  const storageBytes = new Set<Uint8Array>();
  let stored = 0;
  let wanted = 0;
  for (const [, , v] of views) {
    wanted += v.count * 4;
    const b = v.base.bytes;
    if (b && !storageBytes.has(b)) {
      storageBytes.add(b);
      stored += b.byteLength;
    }
  }
  const cap = maxWeightBytes();
  if (wanted > cap) {
    throw new PickleError(`its tensors would take ${formatBytes(wanted)} as float32, ${overSizeLimit(cap, WEIGHTS_LIMIT_HINT)}`);
  }
  if (wanted > RATIO_FREE_BYTES && wanted > MAX_MATERIALIZE_RATIO * stored) {
    throw new PickleError(`its tensors claim ${formatBytes(wanted)} but the file stores only ${formatBytes(stored)} for them ` +
      '(views that repeat the same storage); refusing to expand it');
  }
  if (extras.length) {
    const warn = opts.warn ?? ((m: string) => console.error(`warning: ${m}`));
    warn(`${source}: ignoring ${extras.length} non-tensor entr${extras.length === 1 ? 'y' : 'ies'} in the state dict: ` +
      `${extras.slice(0, 5).join(', ')}${extras.length > 5 ? ', …' : ''}`);
  }
  const out: StateDict = new Map();
  for (const [k, t, v] of views) out.set(k, materialize(t, v));
  return stripDataParallel(out);
}

/** nn.DataParallel saves every key under 'module.'; the networks use the bare keys. */
export function stripDataParallel(sd: StateDict): StateDict {
  const keys = [...sd.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return sd;
  return new Map([...sd].map(([k, v]) => [k.slice('module.'.length), v]));
}

function readZipFormat(buf: Uint8Array, source: string, opts: ReadOptions): StateDict {
  const zip = new ZipReader(buf);
  const pklName = [...zip.entries.keys()].find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) {
    if ([...zip.entries.keys()].some((n) => /(^|\/)constants\.pkl$/.test(n))) {
      throw new PickleError('this is a TorchScript archive, not a state dict saved with torch.save');
    }
    throw new PickleError('zip file without a data.pkl: not a torch.save checkpoint');
  }
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  let bigEndian = false;
  if (zip.entries.has(`${prefix}byteorder`)) bigEndian = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() === 'big';
  const storages = new Map<string, Storage>();
  retyped = [];
  const { value } = unpickle(zip.read(pklName), 0, {
    resolveGlobal: torchGlobals,
    persistentLoad: (pid) => storageFromPid(pid, storages, bigEndian),
  });
  // Sizes are checked from the central directory before any storage is read or inflated.
  let declared = 0;
  for (const s of storages.values()) {
    const name = `${prefix}data/${s.key}`;
    const ent = zip.entries.get(name);
    if (!ent) throw new PickleError(`storage ${name} missing from the archive`);
    const need = s.numel * ELEMENT_SIZE[s.dtype];
    if (!Number.isSafeInteger(need) || need < 0 || ent.size < need) throw new PickleError(`storage ${name} holds ${ent.size} bytes, needs ${need}`);
    declared += ent.size;
  }
  const cap = maxWeightBytes();
  if (declared > cap) throw new PickleError(`its storages declare ${formatBytes(declared)}, ${overSizeLimit(cap, WEIGHTS_LIMIT_HINT)}`);
  for (const s of storages.values()) s.bytes = zip.read(`${prefix}data/${s.key}`);
  for (const [from, to] of retyped) to.bytes = from.bytes;
  return collectStateDict(value, source, opts);
}

// Legacy torch.save: pickled magic number, protocol version, sys_info, the object pickle, the sorted storage keys,
// then each storage's raw data prefixed by its element count (int64 little-endian).
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacyFormat(buf: Uint8Array, source: string, opts: ReadOptions): StateDict {
  const magic = unpickle(buf, 0);
  if (magic.value !== LEGACY_MAGIC) throw new PickleError('a pickle, but not a torch.save file (no torch magic number)');
  const proto = unpickle(buf, magic.end);
  if (proto.value !== 1001) throw new PickleError(`unsupported legacy torch format version ${String(proto.value)}`);
  const sysInfo = unpickle(buf, proto.end);
  const bigEndian = sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false;
  const storages = new Map<string, Storage>();
  retyped = [];
  const main = unpickle(buf, sysInfo.end, {
    resolveGlobal: torchGlobals,
    persistentLoad: (pid) => storageFromPid(pid, storages, bigEndian),
  });
  const keysPickle = unpickle(buf, main.end);
  if (!Array.isArray(keysPickle.value)) throw new PickleError('legacy storage key list missing');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = keysPickle.end;
  for (const rawKey of keysPickle.value) {
    const key = String(rawKey);
    const s = storages.get(key);
    if (!s) throw new PickleError(`storage ${key} listed but never referenced`);
    if (pos + 8 > buf.length) throw new PickleError(`truncated file: storage ${key} missing`);
    const count = Number(dv.getBigInt64(pos, !bigEndian));
    pos += 8;
    const nbytes = count * ELEMENT_SIZE[s.dtype];
    if (count < 0 || pos + nbytes > buf.length) throw new PickleError(`truncated file: storage ${key} needs ${nbytes} bytes`);
    s.bytes = buf.subarray(pos, pos + nbytes);
    s.numel = count;
    pos += nbytes;
  }
  for (const [from, to] of retyped) to.bytes = from.bytes;
  return collectStateDict(main.value, source, opts);
}

function looksLikeSafetensors(buf: Uint8Array): boolean {
  if (buf.length < 10) return false;
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  return n > 1 && n <= buf.length - 8 && buf[8] === 0x7b; // '{'
}

/** A .safetensors state dict, read by the one safetensors codec (src/core/weights/safetensors.ts). */
function readSafetensors(buf: Uint8Array, name: string): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of readSafetensorsFile(buf, name).tensors) out.set(k, { shape: [...t.shape], data: t.data });
  if (out.size === 0) throw new PickleError('no tensors found');
  return stripDataParallel(out);
}

/** Parses a state dict from bytes; `name` only labels errors. */
export function parseTorchStateDict(buf: Uint8Array, name = 'file', opts: ReadOptions = {}): StateDict {
  try {
    if (isZip(buf)) return readZipFormat(buf, name, opts);
    if (buf.length > 2 && buf[0] === 0x80 && buf[1] >= 2 && buf[1] <= 5) return readLegacyFormat(buf, name, opts);
    if (looksLikeSafetensors(buf)) return readSafetensors(buf, name);
    if (buf.length >= 262 && new TextDecoder('latin1').decode(buf.subarray(257, 262)) === 'ustar') {
      throw new PickleError('the tar-based format of torch < 0.1.10 is not supported; re-save it with a newer torch');
    }
  } catch (e) {
    // RangeError/SyntaxError: a malformed file tripping DataView bounds, BigInt parsing or a huge allocation
    if (e instanceof PickleError || e instanceof ZipError || e instanceof RangeError || e instanceof SyntaxError) {
      throw new CycleGANError(`${name}: cannot read PyTorch weights: ${e.message}`);
    }
    throw e;
  }
  throw new CycleGANError(`${name}: not a PyTorch checkpoint (.pth zip or legacy format) or a .safetensors file`);
}

/** Reads a PyTorch state dict (.pth/.pt zip or legacy format, or .safetensors) into float32 tensors, PyTorch layout. */
export async function readTorchStateDict(path: string, opts: ReadOptions = {}): Promise<StateDict> {
  // float64 storages take twice the float32 tensors maxWeightBytes bounds; the parser checks the tensors
  const buf = await readFileBounded(path, { what: 'PyTorch weights', maxBytes: 2 * maxWeightBytes(), limitHint: WEIGHTS_LIMIT_HINT });
  return parseTorchStateDict(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), opts.source ?? (path || basename(path)), opts);
}
