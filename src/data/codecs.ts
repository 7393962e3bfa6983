// Decoders for the two formats in the official extension list that sharp's prebuilt libvips cannot read:
// BMP and PPM/PGM. Both return 8-bit interleaved pixels; alpha, when present, is dropped by the caller.
import { maxImagePixels, pixelLimitMessage } from '../core/limits.js';
export interface U8Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export class CodecError extends Error {}


function checkSize(w: number, h: number, what: string): void {
  if (!(w > 0 && h > 0)) throw new CodecError(`${what}: bad image size ${w}x${h}`);
  // decided before the pixel buffer is allocated (an RLE BMP of 1 KB can claim 16000x16000)
  if (w * h > maxImagePixels()) throw new CodecError(pixelLimitMessage(w, h));
}

function maskInfo(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Windows/OS2 bitmaps: 1/4/8-bit palette (also RLE4/RLE8), 16/24/32-bit (also BI_BITFIELDS). */
export function decodeBmp(buf: Uint8Array): U8Pixels {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new CodecError('BMP: bad signature');
  const dataOffset = dv.getUint32(10, true);
  const hdr = dv.getUint32(14, true);
  let width: number, height: number, bpp: number, compression = 0, colorsUsed = 0;
  let palEntrySize = 4;
  if (hdr === 12) {
    width = dv.getUint16(18, true);
    height = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
    palEntrySize = 3;
  } else if (hdr >= 40 && buf.length >= 14 + 40) {
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    colorsUsed = dv.getUint32(46, true);
  } else {
    throw new CodecError(`BMP: unsupported header size ${hdr}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  checkSize(width, height, 'BMP');

  // Channel masks for 16/32-bit images.
  let masks: number[] | null = null;
  let afterHeader = 14 + hdr;
  if (compression === 3 || compression === 6) {
    if (hdr === 40) {
      const n = compression === 6 ? 4 : 3;
      if (buf.length < afterHeader + 4 * n) throw new CodecError('BMP: truncated bit masks');
      masks = [];
      for (let i = 0; i < n; i++) masks.push(dv.getUint32(afterHeader + 4 * i, true));
      afterHeader += 4 * n;
    } else {
      masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)];
    }
  } else if (compression !== 0 && compression !== 1 && compression !== 2) {
    throw new CodecError(`BMP: unsupported compression ${compression}`);
  }

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = colorsUsed || 1 << bpp;
    if (afterHeader + n * palEntrySize > buf.length) throw new CodecError('BMP: truncated palette');
    palette = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const o = afterHeader + i * palEntrySize;
      palette[i * 3] = buf[o + 2];
      palette[i * 3 + 1] = buf[o + 1];
      palette[i * 3 + 2] = buf[o];
    }
  }

  const out = new Uint8Array(width * height * 3);
  const rowOut = (fileRow: number) => (topDown ? fileRow : height - 1 - fileRow);
  const setIndex = (x: number, fileRow: number, idx: number) => {
    if (!palette || x >= width || fileRow >= height) return;
    const i = idx * 3 < palette.length ? idx * 3 : 0;
    const o = (rowOut(fileRow) * width + x) * 3;
    out[o] = palette[i];
    out[o + 1] = palette[i + 1];
    out[o + 2] = palette[i + 2];
  };

  if (compression === 1 || compression === 2) {
    // Run-length encoded palette images.
    const four = compression === 2;
    let p = dataOffset, x = 0, y = 0;
    for (;;) {
      if (p + 1 >= buf.length) throw new CodecError('BMP: truncated RLE data');
      const count = buf[p++], val = buf[p++];
      if (count > 0) {
        for (let i = 0; i < count; i++) setIndex(x++, y, four ? (i & 1 ? val & 15 : val >> 4) : val);
      } else if (val === 0) { x = 0; y++; }
      else if (val === 1) break;
      else if (val === 2) {
        if (p + 1 >= buf.length) throw new CodecError('BMP: truncated RLE data');
        x += buf[p++];
        y += buf[p++];
      } else {
        const n = val;
        const bytes = four ? Math.ceil(n / 2) : n;
        if (p + bytes > buf.length) throw new CodecError('BMP: truncated RLE data');
        for (let i = 0; i < n; i++) setIndex(x++, y, four ? (i & 1 ? buf[p + (i >> 1)] & 15 : buf[p + (i >> 1)] >> 4) : buf[p + i]);
        p += bytes + (bytes & 1);
      }
      if (y >= height) break;
    }
    return { data: out, width, height, channels: 3 };
  }

  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (dataOffset + stride * (height - 1) + Math.ceil((width * bpp) / 8) > buf.length) throw new CodecError('BMP: truncated pixel data');
  if (bpp === 16 && !masks) masks = [0x7c00, 0x03e0, 0x001f];
  const mi = masks ? masks.slice(0, 3).map(maskInfo) : null;
  for (let fy = 0; fy < height; fy++) {
    const row = dataOffset + fy * stride;
    const o0 = rowOut(fy) * width * 3;
    for (let x = 0; x < width; x++) {
      const o = o0 + x * 3;
      if (bpp <= 8) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)];
        const idx = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        setIndex(x, fy, idx);
      } else if (bpp === 24 || (bpp === 32 && !mi)) {
        const b = row + x * (bpp >> 3);
        out[o] = buf[b + 2];
        out[o + 1] = buf[b + 1];
        out[o + 2] = buf[b];
      } else if ((bpp === 16 || bpp === 32) && mi) {
        const v = bpp === 16 ? dv.getUint16(row + x * 2, true) : dv.getUint32(row + x * 4, true);
        for (let c = 0; c < 3; c++) {
          const { shift, max } = mi[c];
          out[o + c] = max ? Math.round((((v >>> shift) & max) * 255) / max) : 0;
        }
      } else {
        throw new CodecError(`BMP: unsupported bit depth ${bpp}`);
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** Netpbm P2/P3/P5/P6 (grey or RGB, maxval up to 65535, scaled to 8 bits). */
export function decodePnm(buf: Uint8Array): U8Pixels {
  if (buf.length < 3 || buf[0] !== 0x50) throw new CodecError('PNM: bad signature');
  const kind = buf[1] - 0x30;
  if (![2, 3, 5, 6].includes(kind)) throw new CodecError(`PNM: unsupported type P${kind}`);
  let p = 2;
  const token = (): number => {
    for (;;) {
      while (p < buf.length && /\s/.test(String.fromCharCode(buf[p]))) p++;
      if (buf[p] === 0x23) { while (p < buf.length && buf[p] !== 0x0a) p++; continue; }
      break;
    }
    const s = p;
    while (p < buf.length && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
    if (s === p) throw new CodecError('PNM: truncated header');
    return Number(new TextDecoder().decode(buf.subarray(s, p)));
  };
  const width = token(), height = token(), maxval = token();
  checkSize(width, height, 'PNM');
  if (!(maxval > 0 && maxval < 65536)) throw new CodecError(`PNM: bad maxval ${maxval}`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const n = width * height * channels;
  const out = new Uint8Array(n);
  const scale = (v: number) => Math.min(255, Math.round((v * 255) / maxval));
  if (kind === 5 || kind === 6) {
    p++; // the single whitespace after maxval
    const wide = maxval > 255;
    if (p + n * (wide ? 2 : 1) > buf.length) throw new CodecError('PNM: truncated pixel data');
    for (let i = 0; i < n; i++) out[i] = scale(wide ? (buf[p + 2 * i] << 8) | buf[p + 2 * i + 1] : buf[p + i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = scale(token());
  }
  return { data: out, width, height, channels };
}
