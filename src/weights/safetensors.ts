// The safetensors format: 8-byte little-endian header length, a JSON header, then raw little-endian data.
import { CycleGANError } from '../errors.js';

export interface RawTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, F64: 8, BF16: 2, I64: 8, I32: 4, U8: 1 };

export function readSafetensors(buf: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  if (buf.byteLength < 8) throw new CycleGANError(`${source}: too short to be a safetensors file`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > buf.byteLength) throw new CycleGANError(`${source}: not a safetensors file (bad header length)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch {
    throw new CycleGANError(`${source}: not a safetensors file (header is not JSON)`);
  }
  const base = 8 + headerLen;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = e.data_offsets ?? [];
    const count = e.shape.reduce((a, b) => a * b, 1);
    const width = DTYPE_BYTES[e.dtype];
    if (width === undefined) throw new CycleGANError(`${source}: tensor '${name}' has unsupported dtype ${e.dtype}`);
    if (!(begin >= 0 && end >= begin && base + end <= buf.byteLength && end - begin === count * width)) {
      throw new CycleGANError(`${source}: tensor '${name}' is truncated or its offsets are wrong`);
    }
    tensors.set(name, { shape: e.shape, data: toFloat32(buf.subarray(base + begin, base + end), e.dtype, count) });
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
      case 'U8': out[i] = dv.getUint8(i); break;
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
