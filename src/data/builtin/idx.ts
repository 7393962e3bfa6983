// IDX files (the MNIST format), and the digit images built from them written as PNGs.
import { writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { CycleGANError } from '../../core/errors.js';
import { MAX_IDX_BYTES } from '../../core/limits.js';
import { readFileBounded } from '../../read_file.js';
import { pngFromU8 } from '../decode.js';

export interface IdxArray { dims: number[]; data: Uint8Array }

/** Parses an IDX file of unsigned bytes (gzip-compressed or not). */
export function parseIdx(buf: Uint8Array): IdxArray {
  let b = buf;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      // bounded like the file itself: a small gzip must not inflate to gigabytes
      b = new Uint8Array(gunzipSync(b, { maxOutputLength: MAX_IDX_BYTES }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CycleGANError(code === 'ERR_BUFFER_TOO_LARGE' ? `its gzip data inflates past ${MAX_IDX_BYTES / 1048576} MB` : `its gzip data is corrupt (${code ?? (e as Error).message})`);
    }
  }
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new CycleGANError('not an IDX file (bad magic)');
  if (b[2] !== 0x08) throw new CycleGANError(`IDX type 0x${b[2].toString(16)} is not unsigned bytes`);
  const nd = b[3];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(dv.getUint32(4 + 4 * i));
  const off = 4 + 4 * nd;
  const n = dims.reduce((a, c) => a * c, 1);
  if (b.length < off + n) throw new CycleGANError(`IDX file is truncated (${b.length - off} of ${n} bytes)`);
  return { dims, data: b.subarray(off, off + n) };
}

export async function readIdx(path: string): Promise<IdxArray> {
  const buf = await readFileBounded(path, { what: 'IDX file', maxBytes: MAX_IDX_BYTES });
  try {
    return parseIdx(buf);
  } catch (e) {
    if (e instanceof CycleGANError) throw new CycleGANError(`${path}: ${e.message}`);
    throw new CycleGANError(`${path}: not a valid IDX file (${(e as Error).message.split('\n')[0]})`);
  }
}

/** One 28×28 (any size) IDX image zero-padded to `size`×`size`. */
export function paddedImage(images: IdxArray, index: number, size: number): Uint8Array {
  const [, h, w] = images.dims;
  const out = new Uint8Array(size * size);
  const oy = Math.floor((size - h) / 2), ox = Math.floor((size - w) / 2);
  for (let y = 0; y < h; y++) out.set(images.data.subarray((index * h + y) * w, (index * h + y + 1) * w), (y + oy) * size + ox);
  return out;
}

export async function writeGreyPng(path: string, px: Uint8Array, size: number): Promise<void> {
  await writeFile(path, await pngFromU8({ data: px, width: size, height: size, channels: 1 }));
}

export async function writeRgbPng(path: string, px: Uint8Array, size: number): Promise<void> {
  await writeFile(path, await pngFromU8({ data: px, width: size, height: size, channels: 3 }));
}
