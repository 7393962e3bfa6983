// Minimal ZIP reader for torch.save's zip format: central directory (with zip64), stored and deflated entries;
// and the one writer of stored (uncompressed) zips, for torch.save's format and numpy's .npz.
import { crc32, inflateRawSync } from 'node:zlib';
import { CycleGANError } from '../core/errors.js';
import { maxInflateRatio, RATIO_FREE_BYTES } from '../core/limits.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** CRC-32 of the uncompressed data, from the central directory */
  crc: number;
}

export class ZipError extends Error {}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly dv: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.readCentralDirectory();
  }

  private u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
  private u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  private u64(o: number): number {
    const v = this.dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('zip64 field too large');
    return Number(v);
  }
  private check(o: number, n: number): void {
    if (o < 0 || o + n > this.buf.length) throw new ZipError('zip structure points outside the file (truncated?)');
  }

  private readCentralDirectory(): void {
    const buf = this.buf;
    // The end-of-central-directory record is 22 bytes plus a comment of at most 65535 bytes.
    let eocd = -1;
    for (let o = buf.length - 22; o >= Math.max(0, buf.length - 22 - 65535); o--) {
      if (this.u32(o) === SIG_EOCD) {
        eocd = o;
        break;
      }
    }
    if (eocd < 0) throw new ZipError('no zip end-of-central-directory record (truncated file?)');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_EOCD64_LOCATOR) throw new ZipError('zip64 locator missing');
      const e64 = this.u64(loc + 8);
      this.check(e64, 56);
      if (this.u32(e64) !== SIG_EOCD64) throw new ZipError('zip64 end record missing');
      count = this.u64(e64 + 32);
      cdSize = this.u64(e64 + 40);
      cdOffset = this.u64(e64 + 48);
    }
    this.check(cdOffset, cdSize);
    let o = cdOffset;
    const dec = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      this.check(o, 46);
      if (this.u32(o) !== SIG_CENTRAL) throw new ZipError('bad zip central directory entry');
      const method = this.u16(o + 10);
      const crc = this.u32(o + 16);
      let compressedSize = this.u32(o + 20);
      let size = this.u32(o + 24);
      const nameLen = this.u16(o + 28);
      const extraLen = this.u16(o + 30);
      const commentLen = this.u16(o + 32);
      let localHeaderOffset = this.u32(o + 42);
      this.check(o + 46, nameLen + extraLen + commentLen);
      const name = dec.decode(buf.subarray(o + 46, o + 46 + nameLen));
      // zip64 extended information: the 8-byte values appear only for fields that hold 0xFFFFFFFF, in this order
      let e = o + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let p = e + 4;
          if (size === 0xffffffff) {
            size = this.u64(p);
            p += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(p);
            p += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.u64(p);
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localHeaderOffset, crc });
      o += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** The entry's bytes (a view into the file for stored entries). */
  read(name: string): Uint8Array {
    const ent = this.entries.get(name);
    if (!ent) throw new ZipError(`zip entry ${name} missing`);
    const o = ent.localHeaderOffset;
    this.check(o, 30);
    if (this.u32(o) !== SIG_LOCAL) throw new ZipError(`bad zip local header for ${name}`);
    const start = o + 30 + this.u16(o + 26) + this.u16(o + 28);
    this.check(start, ent.compressedSize);
    const raw = this.buf.subarray(start, start + ent.compressedSize);
    if (ent.method === 0) return raw;
    if (ent.method === 8) {
      // Decided before inflating: the declared size against the compressed size (a zip bomb claims a
      // ratio no weights file has), and inflation stops at the declared size instead of checking after.
      if (ent.size > RATIO_FREE_BYTES && ent.size > maxInflateRatio() * Math.max(1, ent.compressedSize)) {
        throw new ZipError(`zip entry ${name} would inflate ${ent.compressedSize} bytes to ${ent.size} ` +
          `(over ${maxInflateRatio()}x: a zip bomb?); set CYCLEGAN_MAX_INFLATE_RATIO to allow it`);
      }
      let out: Buffer;
      try {
        out = inflateRawSync(raw, { maxOutputLength: Math.max(1, ent.size) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new ZipError(`zip entry ${name} inflates to more than its declared ${ent.size} bytes`);
        }
        throw new ZipError(`zip entry ${name} cannot be inflated (${(e as Error).message})`);
      }
      if (out.length !== ent.size) throw new ZipError(`zip entry ${name} inflated to ${out.length} bytes, expected ${ent.size}`);
      return out;
    }
    throw new ZipError(`zip entry ${name} uses unsupported compression method ${ent.method}`);
  }
}

export interface StoredZipEntry {
  name: string;
  data: Uint8Array;
}

/**
 * A zip archive of stored entries (no zip64: each entry and the whole archive stay under 4 GiB). With `align`,
 * each entry's data starts on a multiple of `align` bytes, the padding carried in an extra field of id 'FB'
 * as torch.save writes it (torch memory-maps storages from those offsets); without it there is no extra field
 * (numpy's np.savez layout).
 */
export function writeStoredZip(entries: StoredZipEntry[], o: { align?: number } = {}): Buffer {
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    if (e.data.length >= 0xffffffff) throw new CycleGANError(`${e.name} is too large for a zip without zip64`);
    const name = Buffer.from(e.name, 'utf8');
    // one extra-field record (id, size, zero padding) that moves the data onto the next `align` boundary
    const extraLen = o.align ? 4 + ((o.align - ((offset + 30 + name.length + 4) % o.align)) % o.align) : 0;
    const extra = Buffer.alloc(extraLen);
    if (extraLen) {
      extra.writeUInt16LE(0x4246, 0);
      extra.writeUInt16LE(extraLen - 4, 2);
    }
    const crc = crc32(e.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLen, 28);
    const cd = Buffer.alloc(46); // fields not written are 0 (no extra in the central directory, no comment)
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // made by
    cd.writeUInt16LE(20, 6); // version needed
    cd.writeUInt16LE(0x21, 14); // date
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, extra, e.data);
    central.push(cd, name);
    offset += 30 + name.length + extraLen + e.data.length;
    if (offset >= 0xffffffff) throw new CycleGANError('archive too large for a zip without zip64');
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, eocd]);
}
