// Pixels in memory, with the official conventions and nothing else (no decoder, no Node, no TF.js): the
// 8-bit and float image layouts, PIL's RGB → L, ToTensor + Normalize (u8ToFloat) and util.tensor2im (floatToU8).
// The web page, the decode workers and the Node pipeline all use these; data/decode.ts re-exports them.

/** 8-bit interleaved pixels (HWC). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Float pixels (HWC) in [-1, 1]. */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/** PIL's RGB → L conversion (fixed point, rounds half up). */
export function rgbToLuma(img: RawImage): RawImage {
  if (img.channels === 1) return img;
  if (img.channels !== 3) throw new Error(`rgbToLuma: expected 3 channels, got ${img.channels}`);
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = (d[3 * i] * 19595 + d[3 * i + 1] * 38470 + d[3 * i + 2] * 7471 + 0x8000) >>> 16;
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/** Any 1–4 channel 8-bit buffer → RGB (alpha dropped, grey replicated). */
export function toRgb(data: Uint8Array, width: number, height: number, channels: number): RawImage {
  if (channels === 3) return { data, width, height, channels: 3 };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels <= 2) {
      const v = data[i * channels];
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
    } else {
      out[3 * i] = data[i * channels];
      out[3 * i + 1] = data[i * channels + 1];
      out[3 * i + 2] = data[i * channels + 2];
    }
  }
  return { data: out, width, height, channels: 3 };
}

// ToTensor then Normalize((0.5,), (0.5,)) in float32, one entry per byte value.
const U8_TO_FLOAT = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5);
  return t;
})();

export function u8ToFloat(img: RawImage): FloatImage {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = U8_TO_FLOAT[img.data[i]];
  return { data: out, width: img.width, height: img.height, channels: img.channels };
}

/** util.tensor2im: ((y + 1) / 2 * 255) in float32, truncated to uint8 (clamped first; numpy would wrap). */
export function floatToU8(img: FloatImage): RawImage {
  const out = new Uint8Array(img.data.length);
  const f = Math.fround;
  for (let i = 0; i < out.length; i++) {
    const v = f(f(f(img.data[i] + 1) / 2) * 255);
    out[i] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0; // NaN → 0
  }
  return { data: out, width: img.width, height: img.height, channels: img.channels };
}
