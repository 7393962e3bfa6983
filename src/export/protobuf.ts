// A minimal protocol-buffers writer: just the wire types ONNX needs (varint, 32-bit float, length-delimited).
// Messages are built bottom-up: encode the children, then embed their bytes as length-delimited fields.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt(field) << 3n | BigInt(wire));
  }

  /** Unsigned LEB128; negative int64 values are written as their 64-bit two's complement (10 bytes), as protobuf does. */
  private varint(v: bigint): void {
    let x = v < 0n ? (1n << 64n) + v : v;
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      out.push(b);
    } while (x !== 0n);
    this.push(Uint8Array.from(out));
  }

  int(field: number, v: number | bigint): this {
    if (typeof v === 'number' && !Number.isInteger(v)) throw new Error(`protobuf int field ${field}: ${v} is not an integer`);
    this.tag(field, WIRE_VARINT);
    this.varint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(BigInt(data.length));
    this.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, sub: ProtoWriter): this {
    return this.bytes(field, sub.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Reads back what ProtoWriter writes (tests and sanity checks): field number → raw values in order. */
export function decodeMessage(buf: Uint8Array): Map<number, Array<bigint | number | Uint8Array>> {
  const fields = new Map<number, Array<bigint | number | Uint8Array>>();
  let i = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: bigint | number | Uint8Array;
    if (wire === WIRE_VARINT) value = readVarint();
    else if (wire === WIRE_I32) {
      value = new DataView(buf.buffer, buf.byteOffset + i, 4).getFloat32(0, true);
      i += 4;
    } else if (wire === WIRE_LEN) {
      const n = Number(readVarint());
      if (i + n > buf.length) throw new Error('truncated field');
      value = buf.subarray(i, i + n);
      i += n;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}
