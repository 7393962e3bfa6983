// Image decoding and encoding with the official conventions (no TF.js here: decode workers import this).
//
// Decoding follows PIL's `Image.open(path).convert('RGB')` as the official loader does:
//  - alpha is dropped, not composited (RGBA, LA, palette with transparency);
//  - greyscale is replicated to three channels; palettes are expanded;
//  - 16-bit samples keep their high byte (what PIL does for 16-bit colour PNGs). For 16-bit *greyscale*
//    PIL clips every value above 255 to white, which destroys the image; we scale it like colour instead.
//  - `channels: 1` then applies PIL's `convert('L')` (ITU-R 601-2 luma, L = (19595 R + 38470 G + 7471 B
//    + 32768) >> 16), which the official code does through `transforms.Grayscale(1)`.
// Values map to floats as ToTensor + Normalize(0.5, 0.5) do in float32, i.e. x/127.5 - 1.
// Encoding follows util.tensor2im: ((y + 1) / 2 * 255) in float32, then truncation to uint8.
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { CycleGANError } from '../core/errors.js';
import { CodecError, decodeBmp, decodePnm } from './codecs.js';
import { writeFileAtomic } from '../atomic.js';
import { maxImageFileBytes, maxImagePixels, pixelLimitMessage, PIXELS_LIMIT_HINT } from '../core/limits.js';
import { readFailureReason, readFileBounded } from '../read_file.js';
import { floatToU8, rgbToLuma, toRgb, u8ToFloat, type FloatImage, type RawImage } from '../core/data/pixels.js';

// The in-memory pixel layouts and conversions live in pixels.ts (no Node, no sharp: the page imports it).
export { floatToU8, rgbToLuma, toRgb, u8ToFloat, type FloatImage, type RawImage } from '../core/data/pixels.js';

export interface DecodeOptions {
  /** 3 (RGB, default) or 1 (luma). */
  channels?: 1 | 3;
}

/** A file that cannot be read as an image; the message names the file and says why. */
export class ImageDecodeError extends CycleGANError {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
  }
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'bmp' | 'tiff' | 'pnm' | 'gif';

/** Recognises an image by its first bytes (extensions lie). */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const b = head;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
      b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 2 && b[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(b[1])) return 'pnm';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  return null;
}

async function decodeBuffer(buf: Uint8Array, label: string, channels: 1 | 3): Promise<RawImage> {
  const fmt = sniffFormat(buf.subarray(0, 16));
  if (!fmt) throw new ImageDecodeError(label, 'not an image (unrecognised file signature)');
  let rgb: RawImage;
  try {
    if (fmt === 'bmp' || fmt === 'pnm') {
      const px = fmt === 'bmp' ? decodeBmp(buf) : decodePnm(buf);
      rgb = toRgb(px.data, px.width, px.height, px.channels);
    } else {
      // sharp casts 16-bit to 8-bit by the high byte and expands palettes; decoding runs on libuv's pool.
      const { data, info } = await sharp(buf, { limitInputPixels: maxImagePixels() }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      rgb = toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels);
    }
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    if (e instanceof CodecError && /pixel limit/.test(e.message)) throw new ImageDecodeError(label, e.message);
    if (/pixel limit/i.test((e as Error).message)) {
      const m = await sharp(buf, { limitInputPixels: false }).metadata().catch(() => undefined);
      throw new ImageDecodeError(label, pixelLimitMessage(m?.width, m?.height));
    }
    const msg = (e as Error).message.split('\n')[0].replace(/^Input (file|buffer) /, '');
    throw new ImageDecodeError(label, `cannot decode ${fmt.toUpperCase()} (${msg})`);
  }
  return channels === 1 ? rgbToLuma(rgb) : rgb;
}

/** Decodes a file (or an in-memory file) to 8-bit RGB or luma, the official way. */
export async function decodeImageU8(input: string | Uint8Array, opts: DecodeOptions = {}): Promise<RawImage> {
  const channels = opts.channels ?? 3;
  if (typeof input !== 'string') return decodeBuffer(input, '<buffer>', channels);
  const buf = await readFileBounded(input, { what: 'image', maxBytes: maxImageFileBytes(), limitHint: PIXELS_LIMIT_HINT, error: (why) => new ImageDecodeError(input, why) });
  return decodeBuffer(buf, input, channels);
}

/** Decodes to floats in [-1, 1], HWC. */
export async function decodeImage(input: string | Uint8Array, opts: DecodeOptions = {}): Promise<FloatImage> {
  return u8ToFloat(await decodeImageU8(input, opts));
}

function checkLayout(len: number, width: number, height: number, channels: number): void {
  if (![1, 3].includes(channels) || len !== width * height * channels) {
    throw new Error(`image data of length ${len} does not match ${width}x${height}x${channels}`);
  }
}

/** The project's one PNG writer for 8-bit pixels: stored as given (1 channel: a greyscale PNG; 3: RGB). */
export async function pngFromU8(img: RawImage): Promise<Buffer> {
  checkLayout(img.data.length, img.width, img.height, img.channels);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 } }).png().toBuffer();
}

/** PNG bytes of 8-bit pixels. One channel is tiled to RGB, as tensor2im does. */
export async function encodePngU8Buffer(img: RawImage): Promise<Buffer> {
  checkLayout(img.data.length, img.width, img.height, img.channels);
  return pngFromU8(toRgb(img.data, img.width, img.height, img.channels));
}

/** PNG bytes of a float image in [-1, 1] (tensor2im mapping). */
export async function encodePngBuffer(data: Float32Array, width: number, height: number, channels: number): Promise<Buffer> {
  checkLayout(data.length, width, height, channels);
  return encodePngU8Buffer(floatToU8({ data, width, height, channels }));
}

/** Writes a float image in [-1, 1] as PNG, atomically. */
export async function encodePng(data: Float32Array, width: number, height: number, channels: number, path: string): Promise<void> {
  await writeFileAtomic(path, await encodePngBuffer(data, width, height, channels));
}

export interface ProbeResult {
  ok: boolean;
  format?: ImageFormat;
  width?: number;
  height?: number;
  reason?: string;
}

/**
 * Cheap check that a file is a readable image: its signature, for JPEG/PNG an end marker at the tail (a
 * truncated file lacks it) and a parsed header; files that look damaged or are in rarer formats are fully
 * decoded to decide.
 */
export async function probeImage(path: string): Promise<ProbeResult> {
  let head: Uint8Array, tail: Uint8Array, size: number;
  try {
    const fh = await open(path, 'r');
    try {
      size = (await fh.stat()).size;
      head = new Uint8Array(Math.min(size, 32));
      await fh.read(head, 0, head.length, 0);
      tail = new Uint8Array(Math.min(size, 64));
      await fh.read(tail, 0, tail.length, size - tail.length);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { ok: false, reason: `cannot read image: ${readFailureReason(e)}` };
  }
  const format = sniffFormat(head);
  if (!format) return { ok: false, reason: size === 0 ? 'empty file' : 'not an image (unrecognised file signature)' };
  let tailOk = false;
  if (format === 'jpeg') {
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) { tailOk = true; break; }
  } else if (format === 'png') {
    const s = String.fromCharCode(...tail);
    tailOk = s.includes('IEND');
  }
  if (tailOk) {
    try {
      const m = await sharp(path, { limitInputPixels: false }).metadata();
      if ((m.width ?? 0) * (m.height ?? 0) > maxImagePixels()) return { ok: false, format, reason: pixelLimitMessage(m.width, m.height) };
      return { ok: true, format, width: m.width, height: m.height };
    } catch (e) {
      return { ok: false, format, reason: `cannot decode ${format.toUpperCase()} (${(e as Error).message.split('\n')[0]})` };
    }
  }
  try {
    const img = await decodeImageU8(path);
    return { ok: true, format, width: img.width, height: img.height };
  } catch (e) {
    return { ok: false, format, reason: e instanceof ImageDecodeError ? e.reason : (e as Error).message };
  }
}

export { CodecError };
