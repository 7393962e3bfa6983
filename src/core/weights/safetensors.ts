// The safetensors format: 8-byte little-endian header length, a JSON header, then raw little-endian data.
import { CycleGANError } from '../errors.js';
import { MAX_SAFETENSORS_HEADER } from '../limits.js';

export interface RawTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** element count (product of shape) */
  count: number;
  /** absolute byte range in the file */
  begin: number;
  end: number;
}

/** Width in bytes of each dtype the format defines (readers decide which of them they decode). */
export const SAFETENSORS_DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/**
 * Parses and validates a safetensors header without touching the data: header size within bounds, every
 * entry an object with a known dtype, a shape of non-negative whole numbers, offsets of whole numbers
 * inside the data section whose length matches the shape, and no two tensors overlapping (the format
 * forbids it; overlapping views are how a small file claims far more tensor bytes than it holds).
 * `buf` may hold only the start of a file of `fileLength` bytes (the 8-byte length and the header): a
 * caller that needs the metadata alone (the server) reads no tensor data.
 */
export function parseSafetensorsHeader(buf: Uint8Array, source: string, fileLength = buf.byteLength): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new CycleGANError(`${source}: not a valid safetensors file (${why})`);
  };
  if (buf.byteLength < 8) bad('too short');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 < 2n || headerLen64 > BigInt(Math.min(MAX_SAFETENSORS_HEADER, fileLength - 8))) bad(`header length ${headerLen64} is out of range`);
  const headerLen = Number(headerLen64);
  if (buf.byteLength < 8 + headerLen) bad('header is truncated');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen)));
  } catch {
    bad('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
  const base = 8 + headerLen;
  const dataLen = fileLength - base;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v !== 'string') bad(`metadata '${k}' is not a string`);
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(`tensor '${name}' is not an object`);
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE_BYTES, e.dtype)) bad(`tensor '${name}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    const dtype = e.dtype as string;
    const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every(isCount)) bad(`tensor '${name}' has a bad shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every(isCount)) {
      bad(`tensor '${name}' has bad data_offsets ${JSON.stringify(e.data_offsets)}`);
    }
    const [begin, end] = e.data_offsets as [number, number];
    let count = 1;
    for (const d of shape) count *= d;
    const width = SAFETENSORS_DTYPE_BYTES[dtype];
    if (!(end >= begin && end <= dataLen && end - begin === count * width)) {
      bad(`tensor '${name}' is truncated or its offsets do not match its shape`);
    }
    entries.push({ name, dtype, shape, count, begin: base + begin, end: base + end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) bad(`tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap`);
  }
  return { entries, metadata };
}

export function readSafetensors(buf: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const { entries, metadata } = parseSafetensorsHeader(buf, source);
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    tensors.set(e.name, { shape: e.shape, data: toFloat32(buf.subarray(e.begin, e.end), e.dtype, e.count) });
  }
  return { tensors, metadata };
}

function toFloat32(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  const copy = new Uint8Array(bytes); // an aligned copy (Buffer.slice would be a view into its pool)
  const dv = new DataView(copy.buffer);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32': out[i] = dv.getFloat32(i * 4, true); break;
      case 'F64': out[i] = dv.getFloat64(i * 8, true); break;
      case 'F16': out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0]; break;
      case 'I64': out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = dv.getInt32(i * 4, true); break;
      case 'I16': out[i] = dv.getInt16(i * 2, true); break;
      case 'I8': out[i] = dv.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = dv.getUint8(i); break;
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Serializes float32 tensors (in the given order) with string metadata. */
export function writeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20); // keep the data 8-byte aligned
  padded.set(raw);
  const headerBytes = padded;
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
