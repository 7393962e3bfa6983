import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  decodeImage, decodeImageU8, encodePng, floatToU8, ImageDecodeError, imagesToTensor, probeImage, rgbToLuma,
  tensorToImages, u8ToFloat,
} from '../src/data/image.js';

const W = 7, H = 5;
function rgbPixels(c = 3, seed = 1): Uint8Array {
  const d = new Uint8Array(W * H * c);
  let s = seed;
  for (let i = 0; i < d.length; i++) { s = (s * 1103515245 + 12345) >>> 0; d[i] = s >>> 24; }
  return d;
}
const raw = (d: Uint8Array, channels: number) => sharp(d, { raw: { width: W, height: H, channels: channels as 1 | 3 | 4 } });

function png16(width: number, height: number, channels: 1 | 3, samples: Uint16Array): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * channels * 2);
    for (let i = 0; i < width * channels; i++) row.writeUInt16BE(samples[y * width * channels + i], 1 + 2 * i);
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 16; ihdr[9] = channels === 1 ? 0 : 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** Bottom-up BMP: 24-bit, 32-bit (BGRX) or 8-bit with a palette (pixels = palette indices). */
function bmp(bpp: 8 | 24 | 32, px: Uint8Array, palette?: Uint8Array, topDown = false): Buffer {
  const stride = Math.floor((W * bpp + 31) / 32) * 4;
  const palBytes = bpp === 8 ? 256 * 4 : 0;
  const off = 14 + 40 + palBytes;
  const b = Buffer.alloc(off + stride * H);
  b.write('BM', 0, 'latin1'); b.writeUInt32LE(b.length, 2); b.writeUInt32LE(off, 10);
  b.writeUInt32LE(40, 14); b.writeInt32LE(W, 18); b.writeInt32LE(topDown ? -H : H, 22);
  b.writeUInt16LE(1, 26); b.writeUInt16LE(bpp, 28);
  if (palette) for (let i = 0; i < 256; i++) { b[54 + 4 * i] = palette[3 * i + 2]; b[55 + 4 * i] = palette[3 * i + 1]; b[56 + 4 * i] = palette[3 * i]; }
  for (let y = 0; y < H; y++) {
    const fileRow = topDown ? y : H - 1 - y;
    for (let x = 0; x < W; x++) {
      const o = off + fileRow * stride;
      if (bpp === 8) b[o + x] = px[y * W + x];
      else { const s = (y * W + x) * 3, d = o + x * (bpp / 8); b[d] = px[s + 2]; b[d + 1] = px[s + 1]; b[d + 2] = px[s]; if (bpp === 32) b[d + 3] = 0x55; }
    }
  }
  return b;
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'cg-img-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

test('lossless formats decode to the exact RGB pixels', async () => withDir(async (dir) => {
  const px = rgbPixels();
  await raw(px, 3).png().toFile(join(dir, 'a.png'));
  await raw(px, 3).webp({ lossless: true }).toFile(join(dir, 'a.webp'));
  await raw(px, 3).tiff({ compression: 'lzw' }).toFile(join(dir, 'a.tif'));
  await writeFile(join(dir, 'a24.bmp'), bmp(24, px));
  await writeFile(join(dir, 'a32.bmp'), bmp(32, px, undefined, true));
  await writeFile(join(dir, 'a.ppm'), Buffer.concat([Buffer.from(`P6\n# c\n${W} ${H}\n255\n`), Buffer.from(px)]));
  for (const f of ['a.png', 'a.webp', 'a.tif', 'a24.bmp', 'a32.bmp', 'a.ppm']) {
    const img = await decodeImageU8(join(dir, f));
    assert.equal(img.width, W, f); assert.equal(img.height, H, f); assert.equal(img.channels, 3, f);
    assert.deepEqual(img.data, px, f);
  }
}));

test('JPEG decodes close to its source', async () => withDir(async (dir) => {
  const px = new Uint8Array(W * H * 3).fill(120);
  await raw(px, 3).jpeg({ quality: 95 }).toFile(join(dir, 'a.jpg'));
  const img = await decodeImageU8(join(dir, 'a.jpg'));
  assert.equal(img.channels, 3);
  for (const v of img.data) assert.ok(Math.abs(v - 120) <= 2);
}));

test('RGBA drops alpha without compositing (PIL convert("RGB"))', async () => withDir(async (dir) => {
  const px = rgbPixels(4);
  await raw(px, 4).png().toFile(join(dir, 'rgba.png'));
  const img = await decodeImageU8(join(dir, 'rgba.png'));
  assert.equal(img.channels, 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) assert.equal(img.data[3 * i + c], px[4 * i + c]);
}));

test('greyscale is replicated; channels 1 gives PIL luma', async () => withDir(async (dir) => {
  const g = rgbPixels(1);
  await raw(g, 1).png().toFile(join(dir, 'g.png'));
  const rgb = await decodeImageU8(join(dir, 'g.png'));
  assert.equal(rgb.channels, 3);
  for (let i = 0; i < W * H; i++) assert.deepEqual([rgb.data[3 * i], rgb.data[3 * i + 1], rgb.data[3 * i + 2]], [g[i], g[i], g[i]]);
  const l = await decodeImageU8(join(dir, 'g.png'), { channels: 1 });
  assert.deepEqual(l.data, g);
  // RGB -> L with Pillow's integer weights; reference values computed with PIL 9.4 convert('L')
  const luma = rgbToLuma({ data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 172, 47, 117, 10, 200, 30]), width: 5, height: 1, channels: 3 });
  assert.deepEqual(Array.from(luma.data), [76, 150, 29, 92, 124]);
}));

test('16-bit PNGs keep the high byte; palette PNGs expand', async () => withDir(async (dir) => {
  const s16 = new Uint16Array(W * H * 3);
  for (let i = 0; i < s16.length; i++) s16[i] = (i * 4099 + 123) & 0xffff;
  await writeFile(join(dir, 'rgb16.png'), png16(W, H, 3, s16));
  await writeFile(join(dir, 'g16.png'), png16(W, H, 1, s16.subarray(0, W * H)));
  const c = await decodeImageU8(join(dir, 'rgb16.png'));
  assert.deepEqual(Array.from(c.data), Array.from(s16, (v) => v >> 8));
  const g = await decodeImageU8(join(dir, 'g16.png'));
  for (let i = 0; i < W * H; i++) assert.equal(g.data[3 * i + 1], s16[i] >> 8);
  const px = rgbPixels();
  await raw(px, 3).png({ palette: true, colours: 4, dither: 0 }).toFile(join(dir, 'pal.png'));
  assert.equal((await sharp(join(dir, 'pal.png')).metadata()).isPalette, true);
  const p = await decodeImageU8(join(dir, 'pal.png'));
  assert.equal(p.channels, 3);
  assert.ok(new Set(Array.from({ length: W * H }, (_, i) => p.data.subarray(3 * i, 3 * i + 3).join())).size <= 4);
  const pal = new Uint8Array(256 * 3); for (let i = 0; i < pal.length; i++) pal[i] = (i * 7) & 255;
  const idx = new Uint8Array(W * H); for (let i = 0; i < idx.length; i++) idx[i] = (i * 13) % 256;
  await writeFile(join(dir, 'p8.bmp'), bmp(8, idx, pal));
  const b = await decodeImageU8(join(dir, 'p8.bmp'));
  for (let i = 0; i < W * H; i++) assert.deepEqual(Array.from(b.data.subarray(3 * i, 3 * i + 3)), Array.from(pal.subarray(3 * idx[i], 3 * idx[i] + 3)));
}));

test('bad files are ImageDecodeErrors naming the file', async () => withDir(async (dir) => {
  await raw(rgbPixels(), 3).jpeg().toFile(join(dir, 'full.jpg'));
  const jpg = await readFile(join(dir, 'full.jpg'));
  await writeFile(join(dir, 'trunc.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  await writeFile(join(dir, 'text.jpg'), 'this is not a picture');
  await writeFile(join(dir, 'empty.png'), '');
  await writeFile(join(dir, 'short.bmp'), bmp(24, rgbPixels()).subarray(0, 70));
  for (const f of ['trunc.jpg', 'text.jpg', 'empty.png', 'short.bmp', 'missing.png']) {
    const p = join(dir, f);
    await assert.rejects(decodeImageU8(p), (e: unknown) => e instanceof ImageDecodeError && e.message.startsWith(p), f);
    const pr = await probeImage(p);
    assert.equal(pr.ok, false, f);
    assert.ok(pr.reason, f);
  }
  const good = await probeImage(join(dir, 'full.jpg'));
  assert.deepEqual([good.ok, good.width, good.height, good.format], [true, W, H, 'jpeg']);
}));

test('float mapping is ToTensor+Normalize; encoding is tensor2im', async () => withDir(async (dir) => {
  const f = u8ToFloat({ data: Uint8Array.from([0, 255, 51]), width: 1, height: 1, channels: 3 });
  assert.equal(f.data[0], -1); assert.equal(f.data[1], 1);
  assert.ok(Math.abs(f.data[2] - (51 / 127.5 - 1)) < 1e-6);
  // tensor2im truncates: 0 -> 127.5 -> 127; values outside [-1, 1] are clamped
  const u = floatToU8({ data: Float32Array.from([-1, 1, 0, 2, -3, 0.999]), width: 2, height: 1, channels: 3 });
  assert.deepEqual(Array.from(u.data), [0, 255, 127, 255, 0, 254]);
  const img = await decodeImage(join(dir, 'nope.png')).catch((e) => e);
  assert.ok(img instanceof ImageDecodeError);
  const data = new Float32Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i % 11) / 5 - 1;
  const out = join(dir, 'sub', 'x.png');
  await encodePng(data, W, H, 3, out);
  assert.deepEqual((await readdir(join(dir, 'sub'))), ['x.png']); // no temp file left behind
  const back = await decodeImageU8(out);
  assert.deepEqual(back.data, floatToU8({ data, width: W, height: H, channels: 3 }).data);
  // one channel is tiled to RGB like tensor2im
  await encodePng(data.subarray(0, W * H), W, H, 1, join(dir, 'g.png'));
  const g = await decodeImageU8(join(dir, 'g.png'));
  assert.equal(g.channels, 3);
  assert.equal(g.data[3 * 4 + 2], floatToU8({ data: data.subarray(0, W * H), width: W, height: H, channels: 1 }).data[4]);
}));

test('tensor helpers round-trip NHWC', async () => {
  const a = u8ToFloat({ data: rgbPixels(3, 1), width: W, height: H, channels: 3 });
  const b = u8ToFloat({ data: rgbPixels(3, 2), width: W, height: H, channels: 3 });
  const t = imagesToTensor([a, b]);
  assert.deepEqual(t.shape, [2, H, W, 3]);
  const back = tensorToImages(t);
  t.dispose();
  assert.deepEqual(back[0].data, a.data);
  assert.deepEqual(back[1].data, b.data);
  assert.throws(() => imagesToTensor([a, { ...b, width: 3, data: b.data.subarray(0, 3 * H * 3) }]), /batch differ in size/);
});
