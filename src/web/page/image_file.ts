// Reading an image file in a browser as the CLI reads it (src/data/decode.ts): the raw decoded values (no colour
// management, no premultiplication), as 8-bit RGB. The one decoder of the translate page (main.ts), the training
// page (train/page.ts, its test translations) and the training worker (train/worker.ts); it runs in a window and
// in a Web Worker alike (OffscreenCanvas), and is Node-free like the rest of the pages.
import type { RawImage } from '../../core/data/pixels.js';
import { DEFAULT_MAX_IMAGE_PIXELS, pixelLimitMessage, sizeLimitMessage } from '../../core/limits.js';

/** The formats the pages read, as named in their messages. */
const IMAGE_FORMATS = 'PNG, JPEG, WebP, GIF or BMP';

/** The limits of a picked image file: its bytes, and its width × height (checked before the browser decodes it). */
export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

/** The training page's and its worker's limits: the CLI's default pixel limit (a browser has no environment). */
export const TRAIN_IMAGE_LIMITS: ImageLimits = { maxBytes: 50 * 1024 * 1024, maxPixels: DEFAULT_MAX_IMAGE_PIXELS };

/** Why a picked file cannot be used ('empty file', '5000x5000 pixels is over the …-pixel limit'); the caller names the file. */
export class UnusableImage extends Error {}

/**
 * A picked image file as 8-bit RGB within `limits`: its size, then its width × height from the header before the
 * browser decodes it (a small file can claim gigapixels), then from the decoded bitmap (a header headerSize does not
 * read). The one reader of the translate page, the training page and the worker; the bitmap comes back open (the
 * caller draws and closes it). Throws UnusableImage.
 */
export async function readImageFile(file: Blob, limits: ImageLimits): Promise<{ rgb: RawImage; bitmap: ImageBitmap }> {
  if (file.size === 0) throw new UnusableImage('empty file');
  if (file.size > limits.maxBytes) throw new UnusableImage(sizeLimitMessage(file.size, limits.maxBytes));
  const over = (width: number, height: number) => width * height > limits.maxPixels;
  const overMessage = (width: number, height: number) => pixelLimitMessage(width, height, limits.maxPixels, null);
  const head = headerSize(new Uint8Array(await file.slice(0, 65536).arrayBuffer()));
  if (head && over(head.width, head.height)) throw new UnusableImage(overMessage(head.width, head.height));
  const bitmap = await openImage(file);
  if (!bitmap) throw new UnusableImage(`could not be read as an image: ${IMAGE_FORMATS}`);
  if (over(bitmap.width, bitmap.height)) {
    bitmap.close();
    throw new UnusableImage(overMessage(bitmap.width, bitmap.height));
  }
  return { rgb: bitmapToRgb(bitmap), bitmap };
}

/** readImageFile for a page's message line: an unusable file is an Error naming it ("'photo.png': empty file"). */
export async function readPickedImage(file: File, limits: ImageLimits): Promise<{ rgb: RawImage; bitmap: ImageBitmap }> {
  try {
    return await readImageFile(file, limits);
  } catch (e) {
    throw e instanceof UnusableImage ? new Error(`'${file.name}': ${e.message}`) : e;
  }
}

/** The file decoded to raw values, as PIL gives them; null when the browser cannot read it as an image. */
async function openImage(file: Blob): Promise<ImageBitmap | null> {
  try {
    return await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    return null;
  }
}

/** The bitmap's pixels as 8-bit RGB (alpha dropped); the bitmap stays open (the caller closes it). */
function bitmapToRgb(bitmap: ImageBitmap): RawImage {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j];
    rgb[i + 1] = rgba[j + 1];
    rgb[i + 2] = rgba[j + 2];
  }
  return { data: rgb, width, height, channels: 3 };
}

/** width × height from the first bytes of a PNG, JPEG, GIF or BMP (null: decode and look). */
function headerSize(b: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { width: dv.getUint32(16), height: dv.getUint32(20) };
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return { width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let o = 2;
    while (o + 9 < b.length) {
      if (b[o] !== 0xff) return null;
      const marker = b[o + 1];
      const len = dv.getUint16(o + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: dv.getUint16(o + 7), height: dv.getUint16(o + 5) };
      o += 2 + len;
    }
  }
  return null;
}
